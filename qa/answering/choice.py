"""The one place that picks the answerer the settings ask for (`answerer`: reader or rules; `second_reader`: a
cascade to a second reader)."""

from __future__ import annotations

from collections.abc import Callable

from qa.answering.base import Answerer
from qa.answering.cascade import Cascade
from qa.answering.reader import ReaderAnswerer
from qa.answering.rules.answerer import RuleAnswerer
from qa.models.embedding import CachedEncoder
from qa.models.reader import SpanReader
from qa.settings import Settings
from qa.store.snapshot import Snapshot


def answerer(
    s: Settings,
    snapshot: Snapshot,
    reader: Callable[[], SpanReader],
    questions: CachedEncoder,
    second: Callable[[], SpanReader],
) -> Answerer:
    """An answerer over one generation, and when `s.rereads`, the cascade from it to the `second` reader. A reader
    is loaded only when first used; the rules embed the generation's sentences through a cache of their own and
    questions through the service's `questions`."""
    if s.answerer != "reader":
        sentences = CachedEncoder(questions.encode, s.sentence_cache)
        return RuleAnswerer(
            snapshot, sentences, questions, snapshot.bm25.idf, s.max_answers, s.min_score, s.answer_ratio
        )
    first = _reading(s, snapshot, reader(), s.min_probability)
    if not s.rereads:
        return first
    below = max(s.second_below, s.min_probability)  # never an abstention the second reader did not confirm
    return Cascade(first, lambda: _reading(s, snapshot, second(), s.second_min_probability), below)


def _reading(s: Settings, snapshot: Snapshot, reader: SpanReader, floor: float) -> ReaderAnswerer:
    """`reader`'s answers, abstaining under `floor`."""
    return ReaderAnswerer(snapshot.articles, reader, s.max_answers, floor, s.extra_probability, s.guess_probability)
