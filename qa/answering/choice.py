"""The one place that picks the answerer the settings ask for (`answerer`: reader or rules)."""

from __future__ import annotations

from collections.abc import Callable

from qa.answering.base import Answerer
from qa.answering.reader import ReaderAnswerer
from qa.answering.rules.answerer import RuleAnswerer
from qa.models.embedding import CachedEncoder
from qa.models.reader import SpanReader
from qa.settings import Settings
from qa.store.snapshot import Snapshot


def answerer(s: Settings, snapshot: Snapshot, reader: Callable[[], SpanReader], questions: CachedEncoder) -> Answerer:
    """An answerer over one generation. The reader is loaded only if it is the one chosen; the rules embed the
    generation's sentences through a cache of their own and questions through the service's `questions`."""
    if s.answerer == "reader":
        return ReaderAnswerer(
            snapshot.articles, reader(), s.max_answers, s.min_probability, s.extra_probability, s.guess_probability
        )
    sentences = CachedEncoder(questions.encode, s.sentence_cache)
    return RuleAnswerer(snapshot, sentences, questions, snapshot.bm25.idf, s.max_answers, s.min_score, s.answer_ratio)
