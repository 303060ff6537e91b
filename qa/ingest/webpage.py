"""News web pages as articles: the story's own text, found by trafilatura among the menus, banners, share
buttons and links to other stories around it, and what the page says about the story (title, date, outlet,
authors, link).

`html_text` is the plain reading every visible paragraph keeps; it serves fragments that are all story (a feed
entry's body) and pages where trafilatura finds nothing."""

from __future__ import annotations

import codecs
import logging
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

log = logging.getLogger(__name__)
PRUNED = ["//nav", "//aside", "//footer"]  # never the story; trafilatura keeps a lone menu on a short page
_URLISH = re.compile(r"https?://|www\.|/", re.IGNORECASE)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# labels browsers read as a wider encoding (WHATWG Encoding Standard): Latin-1 pages are windows-1252 in practice
_BROWSER_CODEC = {label: "cp1252" for label in ("iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "ascii")}
_BROWSER_CODEC.update({"us-ascii": "cp1252", "gb2312": "gbk", "x-gbk": "gbk"})


@dataclass(frozen=True)
class Page:
    """What a page holds: `fields` are its metadata candidates (published, url, source, authors), most trusted
    first; the first usable value of each wins."""

    title: str
    text: str
    fields: list[dict] = field(default_factory=list)


def read_page(raw: str, main: bool = True) -> Page:
    """The story on an HTML page: trafilatura's main text (each line a paragraph), else (or with `main` off)
    every visible paragraph; the headline from the page's one `<h1>`, else the one trafilatura finds (JSON-LD,
    Open Graph), else the first `<h1>` or the `<title>`; the date, link and authors the page's tags give, then
    those trafilatura infers (JSON-LD, the URL, the byline)."""
    parser, paragraphs = _parsed(raw)
    found = _trafilatura(raw) if main else None
    headings = [h for h in (" ".join(h.split()) for h in parser.h1) if h]
    inferred = " ".join((found.title or "").split()) if found is not None else ""
    title = (headings[0] if len(headings) == 1 else inferred) or (headings or [parser.title])[0]
    title = " ".join(title.split())
    if found is not None and (found.text or "").strip():
        paragraphs = [p for p in (" ".join(line.split()) for line in found.text.split("\n")) if p]
    if paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    fields = [_named(parser.fields)]
    if found is not None:
        fields.insert(0, {"source": found.sitename or ""})  # the outlet's name (JSON-LD), not an edition's
        fields.append({"published": found.date, "url": found.url, "authors": _names(found.author or "")})
    return Page(title, "\n\n".join(paragraphs), fields)


def decode(data: bytes) -> str:
    """A saved page's text, decoded as a browser would: by its byte-order mark, else as UTF-8, else in the charset
    its `<meta>` declares, else windows-1252 (undecodable bytes become U+FFFD rather than refusing the page)."""
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    declared = _CHARSET.search(data[:65536])
    name = declared.group(1).decode("ascii").lower() if declared else "windows-1252"
    try:
        codec = codecs.lookup(_BROWSER_CODEC.get(name, name)).name
    except LookupError:
        codec = "cp1252"
    return data.decode(codec, errors="replace")


def html_text(raw: str) -> str:
    """The visible text of an HTML page or fragment, one paragraph per block."""
    return "\n\n".join(_parsed(raw)[1])


def _trafilatura(raw: str):
    """trafilatura's reading of the page (None if it fails: the visible text stands in)."""
    import trafilatura

    try:
        return trafilatura.bare_extraction(raw, with_metadata=True, include_comments=False, prune_xpath=PRUNED)
    except Exception as exc:  # a third-party parser on any page: fall back rather than refuse the article
        log.warning("trafilatura could not read a page (%s: %s); keeping all its visible text", type(exc).__name__, exc)
        return None


def _named(fields: dict) -> dict:
    """The page's own tags, less author "names" that are links (Open Graph's article:author is a URL)."""
    fields = dict(fields)
    if "authors" in fields:
        fields["authors"] = _names(fields["authors"])
    return fields


def _names(authors: str) -> str:
    """Author names separated by semicolons, dropping links and bylines that are sentences (over six words)."""
    names = [" ".join(n.split()) for n in re.split(r"[;,]", authors)]
    return "; ".join(n for n in names if n and not _URLISH.search(n) and len(n.split()) <= 6)


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page, one paragraph per block element."""

    BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "article", "section", "blockquote", "tr"}
    SKIP = {"script", "style", "noscript", "template", "nav", "header", "footer", "aside"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.fields: dict[str, str] = {}  # metadata from <meta>, <link rel=canonical> and <time datetime>
        self.title = ""
        self.h1: list[str] = []  # the text of each <h1>
        self._skip = 0
        self._in = ""

    META = {  # <meta property/name=...> -> metadata field (the first one found wins)
        "article:published_time": "published",
        "og:published_time": "published",
        "date": "published",
        "og:url": "url",
        "og:site_name": "source",
        "author": "authors",
        "article:author": "authors",
    }

    def handle_starttag(self, tag: str, attrs) -> None:
        found = dict(attrs)
        if tag == "meta":
            field = self.META.get((found.get("property") or found.get("name") or "").lower())
            if field and found.get("content"):
                self.fields.setdefault(field, found["content"])
        elif tag == "link" and (found.get("rel") or "").lower() == "canonical" and found.get("href"):
            self.fields.setdefault("url", found["href"])
        elif tag == "time" and found.get("datetime"):
            self.fields.setdefault("published", found["datetime"])
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
        if tag in ("title", "h1"):
            self._in = tag
            if tag == "h1":
                self.h1.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
        if tag == self._in:
            self._in = ""

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
            return
        if self._in == "h1":
            self.h1[-1] += data  # the headline, even inside a <header> whose text is skipped
        if not self._skip:
            self.parts.append(data)


def _parsed(raw: str) -> tuple[_TextExtractor, list[str]]:
    """The page read by the extractor, and its visible text as whitespace-normalised paragraphs."""
    parser = _TextExtractor()
    parser.feed(raw)
    parser.close()
    paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s*\n", "".join(parser.parts)))
    return parser, [p for p in paragraphs if p]
