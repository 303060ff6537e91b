"""Answers by the trained reader: its spans in the retrieved passages, merged, calibrated, cited and verified."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qa.answering.base import READ_CHARS, Answers, repeats, verified
from qa.models.calibration import Evidence
from qa.models.reader import SpanReader
from qa.text.chunking import PARAGRAPH_BREAK, split_sentences
from qa.text.metrics import normalize
from qa.types import Answer, Article, Citation, Passage

SPANS_PER_WINDOW = 3
_TRAILING = ",;:–—-"
_PAIRS = {"(": ")", "[": "]", '"': '"', "“": "”", "‘": "’"}


@dataclass(frozen=True)
class Proposal:
    """One distinct answer the reader proposes, before the thresholds: where it is and why we believe it."""

    passage: Passage
    start: int  # article offsets
    end: int
    evidence: Evidence
    probability: float

    @property
    def text(self) -> str:
        at = self.passage.chunk.start
        return self.passage.text[self.start - at : self.end - at]


class ReaderAnswerer:
    """The best proposal if its probability reaches `min_probability`, then others reaching `extra_probability`
    (at most `limit`); when none is sure enough, the best as a guess if it reaches `guess_probability`."""

    def __init__(
        self,
        articles: Mapping[str, Article],
        reader: SpanReader,
        limit: int,
        min_probability: float,
        extra_probability: float,
        guess_probability: float = 1.0,
    ):
        self.articles, self.reader, self.limit = articles, reader, limit
        self.min_probability, self.extra_probability = min_probability, extra_probability
        self.guess_probability = guess_probability

    def proposals(self, question: str, passages: list[Passage]) -> list[Proposal]:
        """Distinct answers in the passages, most probable first: mentions with the same normalised text are
        merged, and a span overlapping a stronger one in the same article (a part or an extension) is dropped."""
        found = self.reader.read(question, [p.text[:READ_CHARS] for p in passages], top=SPANS_PER_WINDOW)
        if not found:
            return []
        groups: dict[str, list] = {}
        taken: list[tuple[str, int, int]] = []  # article spans of the groups' first mentions
        for f in found:  # best logit first, so a group's first mention is its strongest
            passage = passages[f.context]
            start, end = tidy(passage.text, f.start, f.end)
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
            out.append(Proposal(passage, at + start, at + end, evidence, self.reader.calibrator(evidence)))
        return sorted(out, key=lambda c: -c.probability)

    def answers(self, question: str, passages: list[Passage], shown: Sequence[str] = ()) -> Answers:
        ranked = [p for p in self.proposals(question, passages) if not repeats(p.text, shown)]
        confidence = ranked[0].probability if ranked else 0.0
        chosen: list[Answer] = []
        for p in ranked:
            floor = self.extra_probability if chosen else self.min_probability
            if len(chosen) >= self.limit or p.probability < floor:
                break
            answer = self._answer(p)
            if verified(self.articles, answer):
                chosen.append(answer)
        guess = None
        if not chosen and ranked and ranked[0].probability >= self.guess_probability:
            guess = self._answer(ranked[0])
            guess = guess if verified(self.articles, guess) else None
        return Answers(chosen, confidence, guess)

    def _answer(self, p: Proposal) -> Answer:
        chunk = p.passage.chunk
        article = self.articles[chunk.article_id]  # its sentences may start before the chunk does
        overlapping = split_sentences(article.text, chunk.start, min(chunk.end, chunk.start + READ_CHARS))
        sentences = [s for s in overlapping if s.start < p.end and s.end > p.start]
        s_start, s_end = (sentences[0].start, sentences[-1].end) if sentences else (p.start, p.end)
        citation = Citation.of(article, p.start, p.end, s_start, s_end)
        return Answer(p.text, round(p.probability, 4), article.text[s_start:s_end], citation)


def tidy(text: str, start: int, end: int) -> tuple[int, int]:
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
