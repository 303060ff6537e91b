"""Articles from the web: a news page or a feed at an http(s) address, fetched and then read as a saved file of
its kind (qa/webpage.py, qa/feeds.py), and the stories a feed's entries link to.

Fetched with the standard library rather than trafilatura's downloader, which retries a failed TLS handshake
without certificate checks and reports a failure only as "no page"."""

from __future__ import annotations

import logging
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from urllib.parse import urlsplit

from .articles import Article, ArticleError, make_id
from .webpage import decode, read_page

log = logging.getLogger(__name__)

URL = re.compile(r"https?://\S+$", re.IGNORECASE)
PAGE_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")
ACCEPT = "text/html, application/xhtml+xml, application/rss+xml, application/atom+xml, application/xml;q=0.9"
USER_AGENT = "newsqa (self-hosted news question answering)"
CONNECTIONS = 4  # pages of one feed fetched at once


def is_url(source: object) -> bool:
    """Whether an article source names a web address (http or https) rather than a file."""
    return isinstance(source, str) and URL.match(source) is not None


def fetch(url: str, max_bytes: int, timeout: float = 20.0) -> tuple[str, bytes, str]:
    """What `url` serves, as (a file name whose suffix says its kind, its bytes, the address it was served from
    after redirects): a page is `.html`, a feed `.xml`, named after that address. Anything else, an error
    status, a body over `max_bytes` or an unreachable server is an ArticleError naming `url` and the reason."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": ACCEPT})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            data = response.read(max_bytes + 1)
            kind = response.headers.get_content_type()
            final = response.geturl()
    except urllib.error.HTTPError as exc:
        raise ArticleError(f"{url}: the server answered {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise ArticleError(f"{url}: cannot fetch it ({exc.reason})") from None
    except (OSError, ValueError) as exc:  # timeouts, resets, a malformed address
        raise ArticleError(f"{url}: cannot fetch it ({exc or type(exc).__name__})") from None
    if len(data) > max_bytes:
        raise ArticleError(f"{url}: larger than the {max_bytes}-byte limit")
    if kind in PAGE_TYPES:
        suffix = ".html"
    elif kind in FEED_TYPES or kind.endswith(("+xml", "/rss")):
        suffix = ".xml"
    else:
        raise ArticleError(f"{url}: serves {kind}, not a web page or a feed")
    parts = urlsplit(final)
    page = re.sub(r"\.(s?html?|php|aspx?)$", "", parts.path.rstrip("/"), flags=re.IGNORECASE)
    return make_id(f"{parts.netloc}{page}")[:100] + suffix, data, final


class _WebOnly(urllib.request.HTTPRedirectHandler):
    """Redirects only to http and https addresses (urllib also follows ftp)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not is_url(newurl):
            raise urllib.error.URLError(f"redirected to {newurl}, not a web address")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_WebOnly)


def stories(entries: list[Article], max_bytes: int, known: Callable[[Article], Article | None]) -> list[Article]:
    """Feed entries with the story their link points to: many feeds carry a line or two of each story, so each
    entry's page is fetched (`CONNECTIONS` at a time) and its story (qa/webpage.py) replaces the entry's text
    when it is longer; the entry keeps its id, title, date and link. An entry `known` to the index already (the
    same id, link and date) is taken from there without fetching. A link that cannot be fetched or read leaves
    the entry as the feed gives it, with a warning."""

    def story(entry: Article) -> Article:
        indexed = known(entry)
        if indexed is not None:
            return indexed
        page = None
        if is_url(entry.url):
            try:
                name, data, _ = fetch(entry.url, max_bytes)
                page = read_page(decode(data)) if name.endswith(".html") else None
            except ArticleError as exc:
                log.warning("keeping the feed's own text of %s: %s", entry.id, exc)
        return replace(entry, text=page.text) if page and len(page.text) > len(entry.text) else entry

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        return list(pool.map(story, entries))
