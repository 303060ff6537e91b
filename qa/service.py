"""QAService: the one object the CLI and the web app drive. It wires the stages (ingest, store, search,
answering, conversation, feedback) and owns nothing they do."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from functools import cached_property

from qa.answering.base import Answerer, newest_first
from qa.answering.choice import answerer
from qa.conversation.inputs import date_window, history_texts, passage_count, question_text
from qa.conversation.memory import Conversation, other_than
from qa.errors import Abandoned, Busy, IndexStateError, UnknownArticle
from qa.feedback import Feedback, FeedbackLog
from qa.ingest.indexer import Indexer
from qa.models.cores import WANTED
from qa.models.embedding import CachedEncoder, Embedder
from qa.models.reader import SpanReader
from qa.search.retrieval import Retriever
from qa.settings import MAX_PASSAGES, Settings
from qa.store.live import LiveIndex
from qa.store.manifest import Manifest, live_files, read_manifest
from qa.store.snapshot import Snapshot
from qa.types import Article, ArticleSummary, IndexReport, Passage, Result

QUESTION_VECTORS = 256  # recent questions' embeddings kept (a follow-up's turns are embedded again otherwise)


class Generation:
    """An index generation as served: its snapshot, and the retriever and answerer made for it when first used
    (so that looking up articles never loads the reader)."""

    def __init__(self, snapshot: Snapshot, stamp: tuple[int, int], service: QAService):
        self.snapshot, self.stamp, self._service = snapshot, stamp, service

    @cached_property
    def retriever(self) -> Retriever:
        s = self._service.settings
        return Retriever(self.snapshot, s.candidates, s.rrf_k, s.fusion, s.dense_weight)

    @cached_property
    def answerer(self) -> Answerer:
        service = self._service
        s = service.settings
        return answerer(s, self.snapshot, lambda: service.reader, service.questions, lambda: service.second_reader)


class QAService:
    """Indexes articles and answers questions over them; safe to share between threads."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        reader: SpanReader | None = None,
        second_reader: SpanReader | None = None,
    ):
        self.settings = settings
        self._embedder, self._reader, self._second_reader = embedder, reader, second_reader
        self.live = LiveIndex(settings.index_dir, settings.nprobe, self._generation, self._check)
        self.indexer = Indexer(settings, lambda: self.embedder, lambda: self.current().snapshot.articles)
        self.conversation = Conversation(lambda: self.current().stamp, self._ask_again)
        # the write methods, as the indexer has them
        self.build, self.add, self.add_articles = self.indexer.build, self.indexer.add, self.indexer.add_articles
        self.add_upload, self.remove = self.indexer.add_upload, self.indexer.remove
        self._pending, self._pending_lock = 0, threading.Lock()  # questions in `ask` now

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = Embedder.from_settings(self.settings)
        return self._embedder

    @property
    def reader(self) -> SpanReader:
        if self._reader is None:
            self._reader = SpanReader.from_settings(self.settings)
        return self._reader

    @property
    def second_reader(self) -> SpanReader | None:
        """The reader of the cascade's second step (`second_reader`; None without one)."""
        if self._second_reader is None and self.settings.rereads:
            self._second_reader = SpanReader.from_settings(self.settings.replace(reader=self.settings.second_reader))
        return self._second_reader

    @cached_property
    def questions(self) -> CachedEncoder:
        """Question embeddings, by question text."""
        return CachedEncoder(self.embedder.encode, QUESTION_VECTORS)

    # --- the index --------------------------------------------------------------------------------

    def ensure_index(self) -> IndexReport | None:
        """Build the index from the seeds when there is none yet."""
        return None if self.manifest() else self.build()

    def manifest(self) -> Manifest | None:
        return read_manifest(self.settings.index_dir)

    def stats(self) -> dict:
        manifest, index_dir = self.manifest(), self.settings.index_dir
        if manifest is None:
            raise IndexStateError.missing(index_dir)
        files = [p for p in live_files(index_dir, manifest) if p.exists()]
        listed = {k: v for k, v in asdict(manifest).items() if k != "files"}  # the checksums are the index's
        updated = datetime.fromtimestamp(manifest.updated, UTC).isoformat(timespec="seconds")
        return {"index_dir": str(index_dir), "bytes": sum(p.stat().st_size for p in files), **listed,
                "updated": updated, "files": len(files)}  # fmt: skip

    def current(self) -> Generation:
        """The generation being served (see `qa.store.live.LiveIndex.current`)."""
        return self.live.current()

    def warm_up(self) -> None:
        """Open the index and make what answering needs, the models included, before the first question."""
        served = self.current()
        served.retriever, served.answerer, self.second_reader  # noqa: B018 - made on first use, so used here

    def status(self) -> dict:
        """The index being served, and the questions being answered or waiting now (`pending`, of at most
        `max_pending`: a load balancer's measure of how busy this process is)."""
        return {**self.live.status(), "pending": self._pending, "max_pending": self.settings.max_pending}

    @property
    def index_error(self) -> str | None:
        return self.live.error

    def _generation(self, snapshot: Snapshot, stamp: tuple[int, int]) -> Generation:
        return Generation(snapshot, stamp, self)

    def _check(self, manifest: Manifest) -> None:
        if manifest.model != self.settings.model or manifest.dims != self.embedder.dims:
            raise IndexStateError(
                f"index was built with {manifest.model} ({manifest.dims} dims) but the service uses "
                f"{self.settings.model} ({self.embedder.dims} dims); rebuild it with `qa index build`"
            )

    # --- asking -----------------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        k: int | None = None,
        history=(),
        since: str = "",
        until: str = "",
        wanted: Callable[[], bool] | None = None,
    ) -> Result:
        """Extractive answers to `question`, with the passages they came from; no answers = abstain. `since` /
        `until` (ISO dates) search only articles published in that window; answers from different articles
        are shown newest first. Busy when `max_pending` questions are being answered or waiting already;
        Abandoned when `wanted()` turns false (the asker has gone) before the question is read."""
        if wanted and not wanted():
            raise Abandoned("the question was dropped unasked: no one waits for it any more")
        with self._pending_lock:
            if self.settings.max_pending and self._pending >= self.settings.max_pending:
                raise Busy(f"{self._pending} questions are being answered or waiting; ask again in a moment")
            self._pending += 1
        token = WANTED.set(wanted) if wanted else None
        try:
            return self._answer(question, k, history, since, until)
        finally:
            if token:
                WANTED.reset(token)
            with self._pending_lock:
                self._pending -= 1

    def _answer(self, question: str, k: int | None, history, since: str, until: str) -> Result:
        s = self.settings
        window = date_window(since, until)
        question = question_text(question, s.max_question_chars)
        k = passage_count(k, s.passages, MAX_PASSAGES)
        history = history_texts(history, s.max_question_chars, s.max_history)
        served = self.current()
        read, query = self.conversation.read(question, history, window)
        shown = self.conversation.shown_before(question, history, window)
        snapshot, vector = served.snapshot, self.questions([query], [query])[0]
        allowed = snapshot.published_between(*window) if any(window) else None
        recency = (s.recency_weight, snapshot.recency) if s.recency_weight else None
        passages = served.retriever.search(query, vector, max(k, s.read_passages), allowed, recency)
        answers, confidence, guess = served.answerer.answers(read, passages[: s.read_passages], shown)
        answers = newest_first(answers, snapshot.articles.published)
        confidence = answers[0].score if answers else confidence
        self.conversation.remember(served.stamp, [*history, question], window, tuple(a.text for a in answers))
        read = other_than(read, shown) if shown else read
        interpreted = read if read != question else None
        return Result(question, answers, passages[:k], confidence, interpreted, *window, bool(shown), guess)

    def _ask_again(self, question: str, history: list[str], window: tuple[str, str]) -> None:
        self._answer(question, None, history, *window)  # part of the question that asked it: never busy

    def passages(self, question: str, history=(), k: int | None = None) -> list[Passage]:
        """The top `k` passages for `question` (default: the passages the reader reads)."""
        _, query = self.conversation.read(question, list(history))
        vector = self.questions([query], [query])[0]
        return self.current().retriever.search(query, vector, k or self.settings.read_passages)

    # --- articles and feedback ----------------------------------------------------------------------

    def article(self, article_id: str) -> Article:
        try:
            return self.current().snapshot.articles[article_id]
        except KeyError:
            raise UnknownArticle(article_id) from None

    def articles(self, offset: int = 0, limit: int | None = None) -> list[ArticleSummary]:
        """Up to `limit` articles (None: all) in id order from the `offset`-th: ids, titles and lengths."""
        return self.current().snapshot.articles.page(offset, limit)

    def titles(self) -> dict[str, str]:
        """Every article's title by id, without reading any text."""
        return self.current().snapshot.articles.titles

    def newest(self, limit: int) -> list[tuple[str, str, str]]:
        """Up to `limit` articles as (id, title, published), newest first; undated ones follow in id order."""
        return self.current().snapshot.articles.newest(limit)

    def feedback(self, question: str, answer: str, article_id: str, start: int, end: int, verdict: str) -> int:
        """Store a verdict ("correct" / "wrong") on a shown answer, whose citation must quote it from the article
        as indexed now; returns the feedback's id."""
        text, limit = self.article(article_id).text, self.settings.max_question_chars
        return self.feedback_log.add(Feedback.on(text, question, answer, article_id, start, end, verdict, limit))

    @cached_property
    def feedback_log(self) -> FeedbackLog:
        return FeedbackLog(self.settings.index_dir / self.settings.feedback_file)  # an absolute path stays as is
