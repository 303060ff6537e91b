"""Sentence splitting and sentence-aware chunking, with character offsets into the article text; the passage text
of a chunk (what is embedded and BM25-indexed)."""

from __future__ import annotations

import re
from dataclasses import dataclass

ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st jr sr gen col lt sgt capt cmdr adm gov sen rep rev fr hon pres inc ltd co corp bros
    vs no nos fig jan feb mar apr jun jul aug sep sept oct nov dec mt ft approx est dept univ u.s u.k u.n e.g i.e
    a.m p.m""".split()
)
# End punctuation, optional closing quotes/brackets, then space before a likely sentence start.
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def _trimmed(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if start < end else None


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the '.' at `dot` ends an abbreviation or an initial, not a sentence."""
    if text[dot] != ".":
        return False
    m = re.search(r"([A-Za-z.]+)$", text[max(0, dot - 12) : dot])
    if not m:
        return False
    word = m.group(1).lower().strip(".")
    return word in ABBREVIATIONS or (len(word) == 1 and text[dot - 1].isupper())


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences of text[start:end], as trimmed spans; paragraph breaks always end a sentence."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    para_start = start
    breaks = [m for m in PARAGRAPH_BREAK.finditer(text, start, end)]
    for para_end in [m.start() for m in breaks] + [end]:
        cursor = para_start
        for m in _BOUNDARY.finditer(text, para_start, para_end):
            if _is_abbreviation(text, m.start()):
                continue
            span = _trimmed(text, cursor, m.end())
            if span:
                spans.append(span)
            cursor = m.end()
        span = _trimmed(text, cursor, para_end)
        if span:
            spans.append(span)
        next_break = next((b for b in breaks if b.start() == para_end), None)
        para_start = next_break.end() if next_break else end
    return spans


def bounded(text: str, sentences: list[Span], max_chars: int) -> list[Span]:
    """The sentences, each longer than `max_chars` cut into pieces at the last space before each limit (at the
    limit where a word runs past it): an article that is one huge sentence, or one word, still makes chunks of
    about `max_chars` that the reader reads in a few windows."""
    out: list[Span] = []
    for sentence in sentences:
        start = sentence.start
        while sentence.end - start > max_chars:
            limit = start + max_chars
            cut = next((i for i in range(limit, start + max_chars // 2, -1) if text[i - 1].isspace()), limit)
            if piece := _trimmed(text, start, cut):
                out.append(piece)
            start = cut
        if piece := _trimmed(text, start, sentence.end):
            out.append(piece)
    return out


def chunk_spans(text: str, max_chars: int, overlap: int) -> list[Span]:
    """Consecutive groups of whole sentences of about `max_chars`, sharing `overlap` sentences; a longer sentence
    is cut into pieces that count as sentences."""
    sentences = bounded(text, split_sentences(text), max_chars)
    chunks: list[Span] = []
    i = 0
    while i < len(sentences):
        j = i + 1
        while j < len(sentences) and sentences[j].end - sentences[i].start <= max_chars:
            j += 1
        chunks.append(Span(sentences[i].start, sentences[j - 1].end))
        if j >= len(sentences):
            break
        i = max(i + 1, j - overlap)
    return chunks


def passage_text(title: str, text: str) -> str:
    """What gets embedded and BM25-indexed for a chunk: its article title gives context."""
    return f"{title}\n{text}"


def article_passages(title: str, text: str, chunk_chars: int, chunk_overlap: int) -> list[tuple[Span, str]]:
    """An article's chunk spans, each with the passage text that gets embedded for it."""
    return [(s, passage_text(title, text[s.start : s.end])) for s in chunk_spans(text, chunk_chars, chunk_overlap)]
