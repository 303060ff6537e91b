"""Candidate answer spans inside a sentence, scored by answer type and closeness to the question's words."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from qa.answering.rules.lexicon import (
    CONNECTORS,
    DETERMINERS,
    HONORIFICS,
    LOCATIVE,
    NOT_PERSON,
    NOT_PHRASE,
    NOUN_CONTEXT,
    NUMBER_WORDS,
    REPORTING,
    ROLES,
    SCALES,
    SPEECH,
)
from qa.text.chunking import ABBREVIATIONS, Span
from qa.text.question import AnswerType, Question
from qa.text.tokens import STOPWORDS, Token, stem, tokens

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}(?:,?\s+\d{{4}})?"
    rf"|{_MONTH}\s+\d{{4}}|(?:early|mid|late)[- ]\d{{4}}s?|\d{{1,2}}(?:st|nd|rd|th)\s+century|\d{{3,4}}s?"
    rf"|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|{_MONTH}(?=\s)|(?:spring|summer|autumn|fall|winter)\s+(?:of\s+)?\d{{4}})\b"
)
TYPE_WEIGHT = 0.65  # candidate score = TYPE_WEIGHT * type fit + (1 - TYPE_WEIGHT) * closeness to question words
HEAD_BONUS = 0.2
MIN_NAME_SCORE = 0.35  # below this a capitalised run is not taken as a person or place
_MEASURE = re.compile(r"\bhow (long|far|old|big|large|tall|high|heavy|deep|wide)\b")
_VERB_LIKE = re.compile(r"(ed|ing|ly|ize|ise|ate)$")
_DEMONYM = re.compile(r"(ian|ean|an|ese|ish)$")
_NUMERIC = re.compile(r"^\$?\d[\d,.]*$")


@dataclass(frozen=True)
class TypedSpan:
    """A span of the type the question asks for (a name, a number, a place...) in a sentence, scored."""

    start: int
    end: int
    score: float
    key: str  # mentions with the same key are the same answer (e.g. "Boris Johnson" / "Mr Johnson")


def _unbroken(text: str, a: Token, b: Token) -> bool:
    """True when no clause punctuation separates two tokens (a hyphen, or the dot of an initial, is fine)."""
    gap = text[a.end : b.start].strip()
    return gap in ("", "-") or (
        gap == "." and (len(a.text) == 1 and a.text.isupper() or a.text.lower() in ABBREVIATIONS)
    )


def _is_cap(t: Token) -> bool:
    return t.text[:1].isupper() or (t.text[:1].isdigit() and any(c.isalpha() for c in t.text))


def _token_possessive(t: Token) -> bool:
    return t.text.lower().endswith(("'s", "’s"))


def _is_number(t: Token) -> bool:
    return bool(_NUMERIC.match(t.text)) or t.text.lower() in NUMBER_WORDS


class _Sentence:
    """Tokens of one sentence with the positions of the question's words."""

    def __init__(self, text: str, span: Span, question: Question):
        self.text = text
        self.toks = tokens(text[span.start : span.end], span.start)
        asked = [t.norm in question.terms for t in self.toks]
        # The noun a what/which question names may be part of the answer ("what tower?" - "Magdalen Tower").
        self.in_question = [q and t.norm != question.head for t, q in zip(self.toks, asked, strict=True)]
        self.matches: dict[str, list[int]] = {}
        for i, (t, q) in enumerate(zip(self.toks, asked, strict=True)):
            if q:
                self.matches.setdefault(t.norm, []).append(i)

    def common(self, i: int) -> bool:
        """A capitalised word that is an ordinary word elsewhere in the text ("Another", "The"), unless a
        capitalised word follows it ("North American Aviation")."""
        w = self.word(i)
        if w in STOPWORDS:
            return True
        if (
            i + 1 < len(self.toks)
            and _is_cap(self.toks[i + 1])
            and _unbroken(self.text, self.toks[i], self.toks[i + 1])
        ):
            return False
        if _VERB_LIKE.search(w):  # "Speaking after ...", "Asked about ..."
            return True
        return re.search(rf"(?<![.!?\"'])\s{re.escape(w)}\b", self.text) is not None

    def word(self, i: int) -> str:
        return self.toks[i].text.lower() if 0 <= i < len(self.toks) else ""

    def runs(self, keep: Callable[[int], bool], max_len: int) -> list[tuple[int, int]]:
        """Maximal runs [a, b] of tokens passing `keep`, unbroken by punctuation, at most `max_len` long."""
        out, a = [], None
        for i in range(len(self.toks) + 1):
            ok = i < len(self.toks) and keep(i) and (a is None or _unbroken(self.text, self.toks[i - 1], self.toks[i]))
            if ok and a is None:
                a = i
            elif not ok and a is not None:
                if i - a <= max_len:
                    out.append((a, i - 1))
                a = i if i < len(self.toks) and keep(i) else None
        return out

    def proximity(self, a: int, b: int, idf: Callable[[str], float]) -> float:
        """Closeness (0-1) of tokens a..b to each question word found in the sentence, idf-weighted."""
        if not self.matches:
            return 0.3
        total = weight = 0.0
        for term, positions in self.matches.items():
            d = min(a - p if p < a else p - b for p in positions)
            w = idf(term)
            total += w * math.exp(-(max(d, 1) - 1) / 4)
            weight += w
        return total / weight if weight else 0.3


def _cap_runs(s: _Sentence) -> list[tuple[int, int]]:
    def keep(i: int) -> bool:
        if s.in_question[i]:
            return False
        if _is_cap(s.toks[i]):
            return not (i == 0 and s.common(i))
        inner = 0 < i < len(s.toks) - 1 and not (s.in_question[i - 1] or s.in_question[i + 1])
        return s.word(i) in CONNECTORS and inner and _is_cap(s.toks[i + 1]) and _is_cap(s.toks[i - 1])

    out = []
    for a, b in s.runs(keep, 8):
        titles = [i for i in range(a, b) if s.word(i) in HONORIFICS | ROLES]
        if titles:  # "Foreign Secretary Boris Johnson" -> "Boris Johnson"
            a = titles[-1] + (3 if s.word(titles[-1] + 1) == "of" and titles[-1] + 2 < b else 1)  # "Secretary of State"
        while a < b and s.word(a) in CONNECTORS:
            a += 1
        if s.word(b) not in HONORIFICS | ROLES:
            out.append((a, b))
    return out


def _name_score(s: _Sentence, a: int, b: int, qtype: AnswerType, speaker_question: bool) -> float:
    before, after = s.word(a - 1), s.word(b + 1)
    adjective = (
        bool(_DEMONYM.search(s.word(b)))
        and b + 1 < len(s.toks)
        and _unbroken(s.text, s.toks[b], s.toks[b + 1])
        and not _is_cap(s.toks[b + 1])
        and after not in STOPWORDS | REPORTING
    )  # "Russian military"
    titled = before in HONORIFICS or before in ROLES
    score = 0.6 + (0.2 if b > a else 0.0) - (0.5 if adjective else 0.0)
    if qtype is AnswerType.PERSON:
        score += (0.3 if titled else 0.0) - (0.3 if before in LOCATIVE else 0.0)
        score -= 0.3 if s.word(b) in NOT_PERSON else 0.0  # "Apollo Spacecraft Program Office"
        if after in REPORTING or s.word(b + 2) in REPORTING:  # "X said", "X has said"
            score += 0.35 if speaker_question else 0.15
        score -= 0.4 if _token_possessive(s.toks[b]) else 0.0
    elif qtype is AnswerType.PLACE:
        score += (0.35 if before in LOCATIVE else 0.0) - (0.4 if titled else 0.0)
    return min(max(score, 0.0), 1.0)


def _place_extension(s: _Sentence, b: int) -> int:
    """Extend a place over ", Country" ("Lucca, Italy"), but not over a list ("Nishapur, Bukhara, and ...")."""
    nxt = b + 1
    if (
        nxt < len(s.toks)
        and s.text[s.toks[b].end : s.toks[nxt].start].strip() == ","
        and _is_cap(s.toks[nxt])
        and not s.in_question[nxt]
    ):
        gap_after = s.text[s.toks[nxt].end : s.toks[nxt + 1].start].strip() if nxt + 1 < len(s.toks) else ""
        if nxt + 1 >= len(s.toks) or not (
            _is_cap(s.toks[nxt + 1]) or gap_after == "," or s.word(nxt + 1) in ("and", "or")
        ):
            return nxt
    return b


def _phrases(s: _Sentence) -> list[tuple[int, int, float]]:
    """Noun-phrase-like runs of content words not in the question, scored by how noun-like they look."""
    out = []
    for a, b in s.runs(lambda i: not s.in_question[i] and s.word(i) not in STOPWORDS | NOT_PHRASE, 5):
        before = s.word(a - 1)
        score = 0.75 if before in NOUN_CONTEXT else 0.55
        if b > a and s.word(b + 1) in DETERMINERS and not _is_cap(s.toks[b]):
            b -= 1  # "Teaching ... requires a degree": a word right before "a"/"the" is a verb
        if a == b and not _is_cap(s.toks[a]) and (_VERB_LIKE.search(s.word(a)) or s.word(a + 1) in DETERMINERS):
            score -= 0.3  # "needed", "fled", "quickly", "requires a": a verb or adverb, not a thing
        if before in DETERMINERS and _unbroken(s.text, s.toks[a - 1], s.toks[a]):
            a -= 1
        out.append((a, b, score))
    return out


def _numbers(s: _Sentence, with_unit: bool = False) -> list[tuple[int, int]]:
    """Numbers with their scale ("80 million"); `with_unit` adds a following unit ("24 years")."""
    out = []
    for a, b in s.runs(
        lambda i: _is_number(s.toks[i]) or (s.word(i) in SCALES and i > 0 and _is_number(s.toks[i - 1])), 5
    ):
        unit = b + 1
        if (
            with_unit
            and unit < len(s.toks)
            and _unbroken(s.text, s.toks[b], s.toks[unit])
            and s.word(unit) not in STOPWORDS
        ):
            out.append((a, unit))
        out.append((a, b))
    return out


def _definition(s: _Sentence, topic: str) -> list[tuple[int, int, float]]:
    """Descriptions of `topic` in the sentence: appositive after it, title before it, or "X is ..."."""
    words = [stem(t.text) for t in tokens(topic)]
    norms = [t.norm for t in s.toks]
    n, out = len(words), []
    for i in range(len(norms) - n + 1):
        if norms[i : i + n] != words:
            continue
        j = i + n - 1
        k = i - 1
        while (
            k >= 0
            and _unbroken(s.text, s.toks[k], s.toks[k + 1])
            and i - k <= 6
            and s.word(k) not in ("that", "who", "and", "but")
        ):
            k -= 1
        if k + 1 < i:
            out.append((k + 1, i - 1, 0.9))
        after = s.text[s.toks[j].end : s.toks[j + 1].start].strip() if j + 1 < len(s.toks) else ""
        if after == "," or s.word(j + 1) in ("is", "was", "are", "were"):
            a = j + 1 if after == "," else j + 2
            b = a
            while b + 1 < len(s.toks) and _unbroken(s.text, s.toks[b], s.toks[b + 1]) and b - a < 8:
                b += 1
            if a < len(s.toks):
                out.append((a, b, 1.0))
    return out


def candidates(text: str, span: Span, question: Question, idf: Callable[[str], float]) -> list[TypedSpan]:
    """Scored answer candidates of the expected type inside sentence `span` of `text`."""
    s = _Sentence(text, span, question)
    qtype = question.type
    speaker_question = bool(question.terms & SPEECH)  # "who warned ...?": the speaker is the answer
    scored: dict[tuple[int, int], tuple[float, str]] = {}

    def add(a: int, b: int, type_score: float, key: str | None = None) -> None:
        if a > b or all(t.norm in question.terms for t in s.toks[a : b + 1]):
            return
        if question.head and s.toks[b].norm == question.head:
            type_score += HEAD_BONUS  # "what tower?" -> "Magdalen Tower"
        length_penalty = 0.04 * max(0, b - a - 3)
        score = TYPE_WEIGHT * type_score + (1 - TYPE_WEIGHT) * s.proximity(a, b, idf) - length_penalty
        key = key or " ".join(t.norm for t in s.toks[a : b + 1] if t.text.lower() not in DETERMINERS)
        if score > scored.get((a, b), (-1.0, ""))[0]:
            scored[(a, b)] = (score, key)

    if qtype is AnswerType.DEFINITION:
        for a, b, w in _definition(s, question.topic):
            add(a, b, w)
    elif qtype is AnswerType.DATE:
        for m in _DATE.finditer(text, span.start, span.end):
            idx = [i for i, t in enumerate(s.toks) if m.start() <= t.start < m.end()]
            if idx:
                add(idx[0], idx[-1], 1.0 if len(idx) > 1 else 0.85)
    elif qtype is AnswerType.NUMBER:
        measured = bool(_MEASURE.search(question.text.lower()))  # "how long" wants "24 years", not "24"
        percent = "percent" in question.text.lower()  # "what percentage": prefer "91%" over "1970"
        for a, b in _numbers(s, with_unit=measured):
            fit = 1.0 if measured == (b > a and not _is_number(s.toks[b])) else 0.9
            if percent and s.word(b) not in ("%", "percent"):
                fit -= 0.3
            add(a, b, fit)
    elif qtype in (AnswerType.PERSON, AnswerType.PLACE, AnswerType.ENTITY):
        for a, b in _cap_runs(s):
            if qtype is AnswerType.PLACE:
                b = _place_extension(s, b)
            key = s.toks[b].norm if qtype is AnswerType.PERSON else None
            score = _name_score(s, a, b, qtype, speaker_question)
            if score >= MIN_NAME_SCORE or qtype is AnswerType.ENTITY:
                add(a, b, score, key)
        if qtype is AnswerType.ENTITY:
            for a, b, score in _phrases(s):
                add(a, b, score)
            for a, b in _numbers(s):
                add(a, b, 0.5)
    out = []
    for (a, b), (score, key) in scored.items():
        end = s.toks[b].end - (2 if _token_possessive(s.toks[b]) and qtype is not AnswerType.DEFINITION else 0)
        out.append(TypedSpan(s.toks[a].start, end, score, key))
    return out
