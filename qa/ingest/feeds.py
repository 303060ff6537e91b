"""RSS 2.0 and Atom feeds as articles (parsed by feedparser): one article per entry, with its date, link,
authors and the feed's title as the outlet."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from qa.errors import ArticleError
from qa.ingest.metadata import checked, make_id, metadata, read_all
from qa.ingest.webpage import html_text
from qa.types import Article


def from_feed(raw: bytes | str, where: str) -> list[Article]:
    """The entries of a feed document that have text (content, else summary); a document that is not a feed
    is refused, and so is one with broken entries (one error names each)."""
    try:
        import feedparser
    except ImportError:
        raise ArticleError(f"{where}: reading feeds needs feedparser: pip install feedparser") from None
    feed = feedparser.parse(raw)
    if not feed.version and not feed.entries:
        raise ArticleError(f"{where}: not an RSS or Atom feed")
    outlet = " ".join(str(feed.feed.get("title", "")).split())
    return read_all(enumerate(feed.entries, 1), lambda ne: _entry(where, outlet, *ne))


def _entry(source: str, outlet: str, n: int, entry) -> list[Article]:
    """Entry `n` of a feed as an article ([] for a headline without text)."""
    where = f"{source}: entry {n}"
    body = entry.get("content", [{}])[0].get("value") or entry.get("summary") or ""
    text = html_text(body)
    title = " ".join(html_text(entry.get("title", "")).split())
    if not text.strip():
        return []  # a headline-only entry: nothing to quote
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    fields = {
        "published": datetime(*stamp[:6], tzinfo=UTC).isoformat() if stamp else "",
        "url": entry.get("link", ""),
        "source": outlet,
        "authors": _authors(entry),
    }
    raw_id = entry.get("id") or entry.get("link") or title
    if not raw_id:
        raise ArticleError(f"{where}: has no id, link or title")
    return [checked(Article(make_id(raw_id), title or raw_id, text, where, **metadata(fields, where)), where)]


def _authors(entry) -> list[str]:
    """Author names: RSS writes "desk@example.org (Jane Doe)" (feedparser misreads that form), Atom <name>."""
    named = re.search(r"\(([^()]+)\)\s*$", entry.get("author", ""))
    if named:
        return [named.group(1)]
    return [a["name"] for a in entry.get("authors", []) if a.get("name") and "@" not in a["name"]]
