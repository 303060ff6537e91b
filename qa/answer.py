"""Extractive answers: the reader's spans in the retrieved passages, merged, calibrated, cited and verified."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .calibration import Evidence
from .chunking import PARAGRAPH_BREAK, split_sentences
from .index import Snapshot
from .metrics import normalize
from .reader import SpanReader
from .retrieval import Passage

SPANS_PER_WINDOW = 3
READ_CHARS = 4000  # of each passage: chunks are cut near chunk_chars, but an index built before that may hold more
_TRAILING = ",;:–—-"
_PAIRS = {"(": ")", "[": "]", '"': '"', "“": "”", "‘": "’"}


@dataclass(frozen=True)
class Citation:
    article_id: str
    title: str
    start: int  # article.text[start:end] == answer text
    end: int
    sentence_start: int
    sentence_end: int
    published: str = ""  # the article's metadata, where it has it
    source: str = ""  # the outlet
    url: str = ""


def cited(article) -> tuple[str, str, str]:
    """The metadata a citation carries: published, source (the outlet), url."""
    return article.published, article.outlet, article.url


@dataclass(frozen=True)
class Answer:
    text: str
    score: float  # reader: calibrated probability that the answer is right; rules: a 0-1 match score
    sentence: str
    citation: Citation


@dataclass(frozen=True)
class Candidate:
    """One distinct answer the reader proposes, before the thresholds: where it is and why we believe it."""

    passage: Passage
    start: int  # article offsets
    end: int
    evidence: Evidence
    probability: float


class Answerer:
    """Turns retrieved passages into verified, calibrated extractive answers, or none (abstention)."""

    def __init__(self, snapshot: Snapshot, reader: SpanReader):
        self.snapshot, self.reader = snapshot, reader

    def candidates(self, question: str, passages: list[Passage]) -> list[Candidate]:
        """Distinct answers in the passages, most probable first: mentions with the same normalised text are
        merged, and a span overlapping a stronger one in the same article (a part or an extension) is dropped."""
        found = self.reader.read(question, [p.text[:READ_CHARS] for p in passages], top=SPANS_PER_WINDOW)
        if not found:
            return []
        groups: dict[str, list] = {}
        taken: list[tuple[str, int, int]] = []  # article spans of the groups' first mentions
        for f in found:  # best logit first, so a group's first mention is its strongest
            passage = passages[f.context]
            start, end = _tidy(passage.text, f.start, f.end)
            if PARAGRAPH_BREAK.search(passage.text, start, end):
                continue  # an answer never runs from one paragraph into the next
            key = normalize(passage.text[start:end])
            article, at = passage.chunk.article_id, passage.chunk.start
            if key in groups:
                groups[key].append((f, passage, start, end))
            elif key and not any(a == article and s < at + end and at + start < e for a, s, e in taken):
                groups[key] = [(f, passage, start, end)]
                taken.append((article, at + start, at + end))
        out = []
        for mentions in groups.values():
            f, passage, start, end = mentions[0]
            evidence = Evidence(
                margin=f.logit - f.null_logit,
                prob=f.prob,
                rank=f.context,
                support=len({m[0].context for m in mentions}),
                gap=found[0].logit - f.logit,
            )
            at = passage.chunk.start
            out.append(Candidate(passage, at + start, at + end, evidence, self.reader.calibrator(evidence)))
        return sorted(out, key=lambda c: -c.probability)

    def answers(
        self,
        question: str,
        passages: list[Passage],
        limit: int,
        min_probability: float,
        extra_probability: float,
        shown: Sequence[str] = (),
        guess_probability: float = 1.0,
    ) -> tuple[list[Answer], float, Answer | None]:
        """The best answer if its probability reaches `min_probability`, then others reaching `extra_probability`;
        also the best candidate's probability (the confidence, reported even when abstaining) and, when none is
        sure enough, that candidate as a guess if its probability reaches `guess_probability`. Candidates that
        name one of the answers `shown` before ("who else?") are passed over."""
        ranked = [c for c in self.candidates(question, passages) if not repeats(self._text(c), shown)]
        confidence = ranked[0].probability if ranked else 0.0
        chosen: list[Answer] = []
        for c in ranked:
            floor = extra_probability if chosen else min_probability
            if len(chosen) >= limit or c.probability < floor:
                break
            answer = self._answer(c)
            if verified(self.snapshot, answer):
                chosen.append(answer)
        guess = None
        if not chosen and ranked and ranked[0].probability >= guess_probability:
            guess = self._answer(ranked[0])
            guess = guess if verified(self.snapshot, guess) else None
        return chosen, confidence, guess

    def _text(self, c: Candidate) -> str:
        return self.snapshot.articles[c.passage.chunk.article_id].text[c.start : c.end]

    def _answer(self, c: Candidate) -> Answer:
        chunk = c.passage.chunk
        article = self.snapshot.articles[chunk.article_id]
        overlapping = split_sentences(article.text, chunk.start, min(chunk.end, chunk.start + READ_CHARS))
        sentences = [s for s in overlapping if s.start < c.end and s.end > c.start]
        s_start, s_end = (sentences[0].start, sentences[-1].end) if sentences else (c.start, c.end)
        citation = Citation(article.id, article.title, c.start, c.end, s_start, s_end, *cited(article))
        return Answer(article.text[c.start : c.end], round(c.probability, 4), article.text[s_start:s_end], citation)


def repeats(text: str, shown: Sequence[str]) -> bool:
    """`text` names an answer already shown: the same words, or a part of it or more around it ("Johnson" and
    "Boris Johnson")."""
    words = f" {normalize(text)} "
    return words.strip() != "" and any(
        (other := f" {normalize(s)} ").strip() and (words in other or other in words) for s in shown
    )


def verified(snapshot: Snapshot, answer: Answer) -> bool:
    """The citation really points at the answer text, inside the quoted sentence."""
    c = answer.citation
    text = snapshot.articles[c.article_id].text
    return (
        bool(answer.text.strip())
        and text[c.start : c.end] == answer.text
        and text[c.sentence_start : c.sentence_end] == answer.sentence
        and c.sentence_start <= c.start < c.end <= c.sentence_end
    )


def _tidy(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim whitespace, trailing clause punctuation and unpaired brackets or quotes from a span."""
    while True:
        before = (start, end)
        while start < end and text[start].isspace():
            start += 1
        while end > start and (text[end - 1].isspace() or text[end - 1] in _TRAILING):
            end -= 1
        span = text[start:end]
        for left, right in _PAIRS.items():
            if span[:1] == left and right not in span[1:]:
                start += 1
                break
            if span[-1:] == right and left not in span[:-1]:
                end -= 1
                break
        if (start, end) == before:
            return start, end
