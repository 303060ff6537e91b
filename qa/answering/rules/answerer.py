"""Answers by rules: the best sentences of the retrieved passages and a typed span inside them (answerer=rules)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from qa.answering.base import READ_CHARS, Answers, repeats, verified
from qa.answering.rules.candidates import candidates
from qa.store.snapshot import Snapshot
from qa.text.chunking import Span, split_sentences
from qa.text.question import AnswerType, Question, analyse
from qa.text.tokens import terms
from qa.types import Answer, Citation, Passage

Encode = Callable[[Sequence[Hashable], Sequence[str]], np.ndarray]  # texts' vectors by key (a cache)
MAX_SENTENCES = 60
STRONG_MENTION = 0.8  # a mention scoring at least this fraction of the best may be shown instead ("Boris Johnson")
SENTENCE_MARGIN = 0.12  # answers are looked for in sentences scoring within this of the best one
CANDIDATE_WEIGHT = 0.4  # answer score = sentence score * (1 - CANDIDATE_WEIGHT + CANDIDATE_WEIGHT * span score)
DENSE_WEIGHT = 0.5  # sentence score = DENSE_WEIGHT * cosine + (1 - DENSE_WEIGHT) * idf-weighted word overlap


@dataclass(frozen=True)
class ScoredSentence:
    article_id: str
    span: Span
    score: float


class RuleAnswerer:
    """Turns retrieved passages into verified extractive answers by rules, or none (abstention)."""

    def __init__(
        self,
        snapshot: Snapshot,
        sentences: Encode,
        questions: Encode,
        idf: Callable[[str], float],
        limit: int,
        min_score: float,
        answer_ratio: float,
    ):
        """`sentences` and `questions` embed texts by key through caches (a question is keyed by its text, so
        the one the service searched with is not embedded again)."""
        self.snapshot, self.sentence_vectors, self.question_vectors, self.idf = snapshot, sentences, questions, idf
        self.limit, self.min_score, self.answer_ratio = limit, min_score, answer_ratio

    def sentences(
        self, question: Question, question_vector: np.ndarray, passages: list[Passage]
    ) -> list[ScoredSentence]:
        """Distinct sentences of the passages, best first, scored by meaning and word overlap."""
        seen: dict[tuple[str, int], Span] = {}
        for p in passages:
            text = self.snapshot.articles[p.chunk.article_id].text
            for span in split_sentences(text, p.chunk.start, min(p.chunk.end, p.chunk.start + READ_CHARS)):
                seen.setdefault((p.chunk.article_id, span.start), span)
        keys = list(seen)[:MAX_SENTENCES]
        if not keys:
            return []
        texts = [self.snapshot.articles[a].text[seen[(a, s)].start : seen[(a, s)].end] for a, s in keys]
        dense = self.sentence_vectors(keys, texts) @ question_vector
        weights = {t: self.idf(t) for t in question.terms}
        total = sum(weights.values()) or 1.0
        out = []
        for (article_id, start), text, cos in zip(keys, texts, dense, strict=True):
            overlap = sum(weights[t] for t in set(terms(text)) & weights.keys()) / total
            score = DENSE_WEIGHT * float(cos) + (1 - DENSE_WEIGHT) * overlap
            out.append(ScoredSentence(article_id, seen[(article_id, start)], score))
        return sorted(out, key=lambda s: -s.score)

    def answers(self, question: str, passages: list[Passage], shown: Sequence[str] = ()) -> Answers:
        """Up to `limit` distinct answers (none = abstain) and the best sentence's score as the confidence."""
        asked = analyse(question)
        ranked = self.sentences(asked, self.question_vectors([question], [question])[0], passages)
        confidence = ranked[0].score if ranked else 0.0
        if confidence < self.min_score:
            return Answers([], confidence)
        floor = max(self.min_score, ranked[0].score - SENTENCE_MARGIN)
        pool = [s for s in ranked if s.score >= floor][:8]
        groups: dict[str, list[Answer]] = {}  # mentions of one answer across sentences
        for sent in pool:
            for answer, key in self._extract(asked, sent):
                groups.setdefault(key, []).append(answer)
        merged = (_merged(g) for g in groups.values())
        ranked_answers = sorted(
            (a for a in merged if not repeats(a.text, shown)), key=lambda a: (-a.score, a.citation.start)
        )
        top = ranked_answers[0].score if ranked_answers else 0.0
        chosen = [
            a for a in ranked_answers if a.score >= top * self.answer_ratio and verified(self.snapshot.articles, a)
        ]
        return Answers(chosen[: self.limit], confidence)

    def _extract(self, question: Question, sent: ScoredSentence) -> list[tuple[Answer, str]]:
        """The answer spans in one sentence (the sentence itself when no span of the right type is there)."""
        article = self.snapshot.articles[sent.article_id]
        found = []
        if question.type is not AnswerType.SENTENCE:
            found = sorted(candidates(article.text, sent.span, question, self.idf), key=lambda c: -c.score)[:2]
        if not found:
            return [
                (
                    self._answer(sent, sent.span.start, sent.span.end, sent.score),
                    f"sentence:{sent.article_id}:{sent.span.start}",
                )
            ]
        scale = [1 - CANDIDATE_WEIGHT + CANDIDATE_WEIGHT * c.score for c in found]
        return [(self._answer(sent, c.start, c.end, sent.score * w), c.key) for c, w in zip(found, scale, strict=True)]

    def _answer(self, sent: ScoredSentence, start: int, end: int, score: float) -> Answer:
        article = self.snapshot.articles[sent.article_id]
        text = article.text[start:end]
        sentence = article.text[sent.span.start : sent.span.end]
        citation = Citation.of(article, start, end, sent.span.start, sent.span.end)
        return Answer(text, round(min(max(score, 0.0), 1.0), 4), sentence, citation)


def _merged(mentions: list[Answer]) -> Answer:
    """One answer for several mentions of it: the fullest mention scoring near the best, with the best score."""
    best = max(a.score for a in mentions)
    shown = max((a for a in mentions if a.score >= STRONG_MENTION * best), key=lambda a: (len(a.text), a.score))
    return dataclasses.replace(shown, score=best)
