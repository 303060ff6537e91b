"""Word tokens with offsets, stopwords and a light stemmer shared by BM25 and answer extraction."""

from __future__ import annotations

import re
from typing import NamedTuple

_WORD = re.compile(r"\d+(?:[.,]\d+)+|[A-Za-z0-9\u00C0-\u024F]+(?:['’.][A-Za-z0-9\u00C0-\u024F]+)*|[$€£%]")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
    now of off on once only or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until up very was we were
    what when where which while who whom whose why will with would you your yours yourself yourselves
    s t did does done many much name named kind type called""".split()
)


class Token(NamedTuple):
    text: str
    start: int
    end: int

    @property
    def norm(self) -> str:
        return stem(self.text)


def tokens(text: str, offset: int = 0) -> list[Token]:
    """Word tokens of `text`; offsets are shifted by `offset`."""
    return [Token(m.group(), m.start() + offset, m.end() + offset) for m in _WORD.finditer(text)]


def stem(word: str) -> str:
    """Lower-cased word with possessive and common inflections removed."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.rstrip(".'")
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 5 and w.endswith("ing"):
        return w[:-3]
    if len(w) > 4 and w.endswith("ed"):
        return w[:-2] if not w.endswith("eed") else w
    if len(w) > 3 and w.endswith("es") and w[-3] in "sxz":
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def terms(text: str) -> list[str]:
    """Stemmed content words of `text` (stopwords dropped), for search."""
    return [stem(t.text) for t in tokens(text) if t.text.lower() not in STOPWORDS]
