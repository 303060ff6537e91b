"""Articles from the web: a news page or a feed at an http(s) address, fetched and then read as a saved file of
its kind (webpage.py, feeds.py), and the stories a feed's entries link to.

Fetched with the standard library rather than trafilatura's downloader, which retries a failed TLS handshake
without certificate checks and reports a failure only as "no page"."""

from __future__ import annotations

import http.client
import ipaddress
import logging
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from qa.errors import ArticleError
from qa.ingest.metadata import make_id
from qa.ingest.webpage import decode, read_page
from qa.types import Article

log = logging.getLogger(__name__)

URL = re.compile(r"https?://\S+$", re.IGNORECASE)
PAGE_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")
ACCEPT = "text/html, application/xhtml+xml, application/rss+xml, application/atom+xml, application/xml;q=0.9"
ROBOT = "newsqa"  # the name robots.txt rules address
USER_AGENT = f"{ROBOT} (self-hosted news question answering)"
CONNECTIONS = 4  # pages of one feed fetched at once


def is_url(source: object) -> bool:
    """Whether an article source names a web address (http or https) rather than a file."""
    return isinstance(source, str) and URL.match(source) is not None


def fetch(url: str, max_bytes: int, timeout: float = 20.0, public: bool = False) -> tuple[str, bytes, str]:
    """What `url` serves, as (a file name whose suffix says its kind, its bytes, the address it was served from
    after redirects): a page is `.html`, a feed `.xml`, named after that address. Anything else, an error
    status, a body over `max_bytes` or an unreachable server is an ArticleError naming `url` and the reason.
    With `public`, only servers at public internet addresses are read (checked on the connected socket, each
    redirect too): a link someone else wrote, such as a feed entry's, cannot reach this machine's own network."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": ACCEPT})
    try:
        with (_PUBLIC if public else _OPENER).open(request, timeout=timeout) as response:
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


def _allowed(url: str, rules: dict[str, RobotFileParser], max_bytes: int, public: bool) -> bool:
    """Whether the site's robots.txt lets this user agent fetch `url` (no robots.txt, or one that cannot be
    read, allows everything, as for any crawler; read once per site into `rules`)."""
    parts = urlsplit(url)
    site = f"{parts.scheme}://{parts.netloc}"
    if site not in rules:  # two threads may both read it: the rules are set only once parsed
        parser, lines = RobotFileParser(), []
        request = urllib.request.Request(f"{site}/robots.txt", headers={"User-Agent": USER_AGENT})
        try:
            with (_PUBLIC if public else _OPENER).open(request, timeout=10) as response:
                lines = response.read(max_bytes).decode("utf-8", "replace").splitlines()
        except (OSError, ValueError):  # 404 and the like: no rules
            pass
        parser.parse(lines)
        rules.setdefault(site, parser)
    return rules[site].can_fetch(ROBOT, url)


class _WebOnly(urllib.request.HTTPRedirectHandler):
    """Redirects only to http and https addresses (urllib also follows ftp)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not is_url(newurl):
            raise urllib.error.URLError(f"redirected to {newurl}, not a web address")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Public:
    """A connection only to a public address: the name is resolved and its private addresses (loopback, the
    local network, link-local cloud metadata) are refused before any packet is sent, so a refused link reveals
    nothing about what listens there; the address connected to is the one checked (a name that resolves again,
    to a private address, gains nothing), and the connected peer is checked once more."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _public_connection

    def connect(self):
        super().connect()
        address = ipaddress.ip_address(self.sock.getpeername()[0])
        if not address.is_global:
            self.sock.close()
            raise OSError(f"{self.host} is at a private address ({address})")


def _public_connection(address: tuple[str, int], timeout=None, source_address=None) -> socket.socket:
    """A socket connected to a public address of `address`'s host (as socket.create_connection, public only)."""
    host, port = address
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    public = [f for f in found if ipaddress.ip_address(f[4][0].split("%")[0]).is_global]
    if not public:
        raise OSError(f"{host} is at a private address ({found[0][4][0] if found else 'none'})")
    failure: OSError | None = None
    for family, kind, proto, _, where in public:
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not None and timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(where)
            return sock
        except OSError as exc:
            sock.close()
            failure = exc
    raise failure or OSError(f"cannot connect to {host}")


class _PublicHTTP(_Public, http.client.HTTPConnection):
    pass


class _PublicHTTPS(_Public, http.client.HTTPSConnection):
    pass


class _PublicHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_PublicHTTP, req)


class _PublicHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_PublicHTTPS, req, context=self._context)


_OPENER = urllib.request.build_opener(_WebOnly)
_PUBLIC = urllib.request.build_opener(_WebOnly, _PublicHTTPHandler, _PublicHTTPSHandler)


def stories(
    entries: list[Article], max_bytes: int, known: Callable[[Article], Article | None], private: bool = False
) -> list[Article]:
    """Feed entries with the story their link points to: many feeds carry a line or two of each story, so each
    entry's page is fetched (`CONNECTIONS` at a time) and its story (webpage.py) replaces the entry's text
    when it is longer; the entry keeps its id, title, date and link. An entry `known` to the index already (the
    same id, link and date) is taken from there without fetching. A link that cannot be fetched or read, or
    that the site's robots.txt keeps robots from, leaves the entry as the feed gives it, with a warning; so
    does one to a private address (loopback, the local network, cloud metadata), unless `private`: the feed's
    author chose the link, and the page would become quotable in the chat."""

    rules: dict[str, RobotFileParser] = {}  # each site's robots.txt, read once

    def story(entry: Article) -> Article:
        indexed = known(entry)
        if indexed is not None:
            return indexed
        page = None
        if is_url(entry.url):
            try:
                if not _allowed(entry.url, rules, max_bytes, not private):
                    raise ArticleError(f"{entry.url}: the site's robots.txt asks robots not to fetch it")
                name, data, _ = fetch(entry.url, max_bytes, public=not private)
                page = read_page(decode(data)) if name.endswith(".html") else None
            except ArticleError as exc:
                log.warning("keeping the feed's own text of %s: %s", entry.id, exc)
        return replace(entry, text=page.text) if page and len(page.text) > len(entry.text) else entry

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        return list(pool.map(story, entries))
