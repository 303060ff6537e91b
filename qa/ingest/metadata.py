"""An article's identity and metadata checked as every format reads them: ids, dates, links, outlets, authors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TypeVar

from qa.errors import ArticleError
from qa.types import Article

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
T = TypeVar("T")


def read_each(items: Iterable[T], read: Callable[[T], list[Article]]) -> tuple[list[Article], list[str]]:
    """`read` applied to every item: the articles of those that read, and the problems of those that did not
    (going on past each, so that one error can name them all)."""
    articles, problems = [], []
    for item in items:
        try:
            articles += read(item)
        except ArticleError as exc:
            problems += exc.problems
    return articles, problems


def read_all(items: Iterable[T], read: Callable[[T], list[Article]]) -> list[Article]:
    """`read_each`, raising one ArticleError naming every problem if there was any."""
    articles, problems = read_each(items, read)
    if problems:
        raise ArticleError(*problems)
    return articles


def metadata(fields: dict, where: str) -> dict:
    """Article keyword arguments from a record's or front matter's metadata fields (unknown ones ignored):
    `published` (checked: ISO 8601), `url` (http or https only), `source` (or `site`: the outlet), `authors`
    (or `author`: a list, or names separated by commas or semicolons)."""
    out: dict = {}
    published = fields.get("published") or fields.get("date")
    if published:
        if not isinstance(published, str):  # 20170101 as a number is no date to guess at
            raise ArticleError(f'{where}: published must be a string such as "2017-04-11", not {published!r}')
        out["published"] = iso_date(published, where)
    url = str(fields.get("url") or "").strip()
    if re.match(r"https?://\S+$", url, re.IGNORECASE):  # links only to web pages (no javascript: or file:)
        out["url"] = url
    outlet = fields.get("source") or fields.get("site")
    if outlet:
        out["outlet"] = " ".join(str(outlet).split())
    authors = fields.get("authors") or fields.get("author")
    if authors:
        names = authors if isinstance(authors, list) else re.split(r"[;,]", str(authors))
        out["authors"] = tuple(n for n in (" ".join(str(a).split()) for a in names) if n)
    return out


def iso_date(value: str, where: str) -> str:
    """`value` as an ISO 8601 date (2017-04-11) or date-time (2017-04-11T09:30:00+00:00)."""
    try:
        return parse_iso(value.strip())
    except ValueError:
        raise ArticleError(f"{where}: published {value.strip()!r} is not an ISO 8601 date or date-time") from None


def parse_iso(value: str) -> str:
    """An ISO 8601 date (10 characters) or date-time in its canonical form; ValueError if it is neither."""
    if len(value) == 10:
        return date.fromisoformat(value).isoformat()
    return datetime.fromisoformat(value).isoformat()


def usable(candidates: list[dict]) -> dict:
    """Each metadata field's first value that is usable: a web page's date in a form other than ISO 8601 (or a
    link that is not http) is the page's, not the operator's, so the next candidate is taken instead of refusing
    the article."""
    out: dict = {}
    for fields in candidates:
        for key, value in fields.items():
            if key in out or not value:
                continue
            try:
                if metadata({key: value}, ""):  # {} for a link that is not http
                    out[key] = value
            except ArticleError:  # a date that is not ISO 8601
                pass
    return out


def make_id(raw: str) -> str:
    """A URL-safe article id from any string."""
    slug = _ID_UNSAFE.sub("-", raw.strip()).strip("-.")
    return slug[:120] or "article"


def checked(article: Article, where: str) -> Article:
    if not article.text.strip():
        raise ArticleError(f"{where}: article has no text")
    if not article.title.strip():
        raise ArticleError(f"{where}: article has no title")
    return article
