"""Reading articles from .txt, .md, .html, .jsonl and feed files (pages by webpage.py, feeds by feeds.py)."""

from __future__ import annotations

import json
from pathlib import Path

from qa.errors import ArticleError
from qa.ingest.feeds import from_feed
from qa.ingest.metadata import checked, make_id, metadata, read_all, usable
from qa.ingest.webpage import decode, read_page
from qa.types import Article

FEED_SUFFIXES = (".xml", ".rss", ".atom")  # RSS and Atom documents (feeds.py)
SUFFIXES = (".txt", ".md", ".html", ".htm", ".jsonl", *FEED_SUFFIXES)


def load_path(path: Path, max_bytes: int) -> list[Article]:
    """Articles in a file, or in every supported file below a directory (sorted; hidden ones skipped)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and p.suffix.lower() in SUFFIXES and not _hidden(p.relative_to(path))
        )
        return read_all(files, lambda f: load_file(f, max_bytes))
    if not path.exists():
        raise ArticleError(f"{path}: no such file or directory")
    return load_file(path, max_bytes)


def _hidden(relative: Path) -> bool:
    """A dot-file or one inside a dot-folder (.git, macOS's ._ copies, editor backups): never an article."""
    return any(part.startswith(".") for part in relative.parts)


def load_file(path: Path, max_bytes: int) -> list[Article]:
    _check_size(str(path), path.suffix.lower(), path.stat().st_size, max_bytes)  # before reading it all
    return from_bytes(path.read_bytes(), path.name, str(path), max_bytes)


def from_bytes(data: bytes, name: str, where: str, max_bytes: int) -> list[Article]:
    """The articles in a file's bytes, its kind told by the suffix of its `name` (whose stem names a lone
    article); `where` names it in problems and is the articles' source (an upload, an address, a path)."""
    suffix = Path(name).suffix.lower()
    _check_size(where, suffix, len(data), max_bytes)
    if suffix in FEED_SUFFIXES:
        return from_feed(data, where)  # feedparser decodes what the XML declaration says
    page = suffix in (".html", ".htm")
    try:
        raw = decode(data) if page else data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"{where}: not valid UTF-8 text ({exc.reason} at byte {exc.start})") from None
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    if suffix == ".jsonl":
        return _from_jsonl(raw, where, max_bytes)
    if page:
        found = read_page(raw)
        title, text, fields, line = found.title or Path(name).stem, found.text, usable(found.fields), 0
    else:
        fields, raw, line = _front_matter(raw)
        title, text = _from_text(raw, markdown=suffix == ".md")
    meta = metadata(fields, f"{where}:{line}" if line else where)  # a bad date: the line that gives it
    return [checked(Article(make_id(Path(name).stem), title, text, where, **meta), where)]


def _check_size(where: str, suffix: str, size: int, max_bytes: int) -> None:
    """A supported kind of file within the size limit (a .jsonl holds many articles: its records are checked)."""
    if suffix not in SUFFIXES:
        raise ArticleError(f"{where}: unsupported file type {suffix or '(none)'}; use one of {', '.join(SUFFIXES)}")
    if size > max_bytes and suffix != ".jsonl":
        raise ArticleError(f"{where}: file is {size} bytes, larger than the {max_bytes}-byte limit")


def _front_matter(raw: str) -> tuple[dict, str, int]:
    """`key: value` lines between a first line of `---` and the next `---` line, the rest of the file, and the
    line (1-based) where `published` was given (0: none)."""
    skipped = len(raw) - len(raw.lstrip("\n"))
    lines = raw.lstrip("\n").split("\n")
    if not lines or lines[0].strip() != "---" or "---" not in (line.strip() for line in lines[1:]):
        return {}, raw, 0
    end = next(i for i, line in enumerate(lines[1:], 1) if line.strip() == "---")
    fields, at = {}, 0
    for n, line in enumerate(lines[1:end], 2 + skipped):
        key, sep, value = line.partition(":")
        if sep and key.strip():
            fields[key.strip().lower()] = value.strip().strip('"')
            at = n if key.strip().lower() in ("published", "date") else at
    return fields, "\n".join(lines[end + 1 :]), at


def _from_text(raw: str, markdown: bool) -> tuple[str, str]:
    """First non-empty line is the title (a Markdown heading loses its #); the rest is the text."""
    stripped = raw.lstrip("\n")
    title, _, body = stripped.partition("\n")
    if markdown:
        title = title.lstrip("#").strip()
    return title.strip(), body.strip("\n")


def _from_jsonl(raw: str, where: str, max_bytes: int) -> list[Article]:
    """One article per non-blank line; every bad line is named in one error."""
    numbered = ((n, line) for n, line in enumerate(raw.split("\n"), 1) if line.strip())
    return read_all(numbered, lambda nl: _jsonl_record(f"{where}:{nl[0]}", nl[1], max_bytes))


def _jsonl_record(where: str, line: str, max_bytes: int) -> list[Article]:
    try:
        return [from_record(json.loads(line), where, max_bytes)]
    except json.JSONDecodeError as exc:
        raise ArticleError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise ArticleError(f"{where}: JSON nested too deeply to be an article") from None


def from_record(rec, where: str, max_bytes: int) -> Article:
    """An article from a JSON object: `text`, `id` and/or `title`, and the metadata fields (see `metadata`)."""
    if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
        raise ArticleError(f'{where}: expected an object with a "text" string')
    try:
        json.dumps(rec, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # "\ud800" escapes to half a character, which no file or database can hold
        raise ArticleError(
            f"{where}: holds an unpaired surrogate escape (such as \\ud800), which is not text"
        ) from None
    except (TypeError, ValueError, RecursionError):
        raise ArticleError(f"{where}: not a JSON object of article fields") from None
    if len(rec["text"].encode()) > max_bytes:
        raise ArticleError(f"{where}: article text is larger than the {max_bytes}-byte limit")
    title = str(rec.get("title") or "").strip()
    raw_id = rec.get("id") or rec.get("doc_id") or title
    if not raw_id:
        raise ArticleError(f'{where}: needs an "id" or a "title"')
    text, meta = rec["text"].strip("\n"), metadata(rec, where)
    return checked(Article(make_id(str(raw_id)), title or str(raw_id), text, where, **meta), where)
