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
    second: Callable[[], SpanReader] | None = None,
) -> Answerer:
    """An answerer over one generation; for the reader with `second_reader` set, the cascade from it to the `second`
    reader. A reader is loaded only when first used; the rules embed the generation's sentences through a cache of
    their own and questions through the service's `questions`."""
    first = _first(s, snapshot, reader, questions)
    if s.answerer != "reader" or not s.second_reader or second is None:  # the rules' scores are not probabilities
        return first

    def again() -> Answerer:
        articles = snapshot.articles
        limit, floor = s.max_answers, s.second_min_probability
        return ReaderAnswerer(articles, second(), limit, floor, s.extra_probability, s.guess_probability)

    return Cascade(first, again, s.second_below)


def _first(s: Settings, snapshot: Snapshot, reader: Callable[[], SpanReader], questions: CachedEncoder) -> Answerer:
    if s.answerer == "reader":
        return ReaderAnswerer(
            snapshot.articles, reader(), s.max_answers, s.min_probability, s.extra_probability, s.guess_probability
        )
    sentences = CachedEncoder(questions.encode, s.sentence_cache)
    return RuleAnswerer(snapshot, sentences, questions, snapshot.bm25.idf, s.max_answers, s.min_score, s.answer_ratio)
