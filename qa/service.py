"""QAService: the one object the CLI and the web app drive (indexing, asking, reading articles)."""

from __future__ import annotations

import heapq
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from functools import cached_property
from itertools import islice
from pathlib import Path

import numpy as np
from tqdm import tqdm

from . import cluster
from .answer import Answer, Answerer
from .articles import FEED_SUFFIXES, SUFFIXES, Article, ArticleError, ArticleSummary, from_bytes, load_path, read_each
from .calibration import Calibrator
from .chunking import article_passages
from .embedding import CachedEncoder, Embedder
from .feedback import MAX_ANSWER_CHARS, Feedback, FeedbackError, FeedbackLog
from .fetch import fetch, is_url, stories
from .followup import NEEDS_ANSWER, asks_for_more, fill_in, fragment, resolve
from .index import MANIFEST, IndexStateError, Manifest, Snapshot, live_files, read_manifest, writing
from .inference import open_runner, reader_path
from .question import analyse
from .reader import SpanReader
from .retrieval import Passage, Retriever
from .rules import RuleAnswerer
from .settings import MAX_PASSAGES, Settings

ENCODE_BATCH = 256
_NOTHING = object()
ANSWER_MEMORY = 1024  # recent (conversation -> answers shown) pairs kept for follow-ups (at most ~6 MB of keys)
log = logging.getLogger("qa")


class UnknownArticle(KeyError):
    """No article with this id is indexed."""

    def __str__(self) -> str:
        return f"no article with id {self.args[0]!r}"


class QuestionError(ValueError):
    """A question the service will not try to answer (empty, too long, bad history)."""


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Result:
    question: str
    answers: list[Answer]
    passages: list[Passage]
    confidence: float  # reader: calibrated probability of the best candidate; rules: the best sentence's score
    interpreted: str | None = None  # the follow-up as read, its pronoun replaced ("what did Boris Johnson say?")
    since: str = ""  # the publication dates searched (ISO dates; "" for open)
    until: str = ""
    more: bool = False  # "who else?": the answers shown before were left out
    guess: Answer | None = None  # after an abstention, the reader's best candidate, shown as a guess

    @property
    def abstained(self) -> bool:
        return not self.answers


class _Loaded:
    """A snapshot with its retriever and answerer (the trained reader, or the rules), built together."""

    def __init__(self, snapshot: Snapshot, service: QAService, stamp: tuple[int, int]):
        s = service.settings
        self.snapshot, self.stamp = snapshot, stamp
        self.newest: dict[int, list[tuple[str, str, str]]] = {}  # QAService.newest by limit, once per generation
        self.retriever = Retriever(snapshot, s.candidates, s.rrf_k, s.fusion, s.dense_weight)
        if s.answerer == "reader":
            self.answerer = Answerer(snapshot, service.reader)
        else:
            sentences = CachedEncoder(service.embedder.encode, s.sentence_cache)
            self.answerer = RuleAnswerer(snapshot, sentences, self.retriever.bm25.idf, s.min_score, s.answer_ratio)


def _listed(names: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _turns_key(stamp: tuple, turns: list[str], window: tuple[str, str]) -> tuple:
    """What a turn's answer depends on: the index generation, the publication dates searched and the questions
    so far (a follow-up reads the turns before it, and "who else?" all of the answers they showed)."""
    return (stamp, window, *turns)


class QAService:
    """Indexes articles and answers questions over them; safe to share between threads."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, reader: SpanReader | None = None):
        self.settings = settings
        self._embedder, self._reader = embedder, reader
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()
        self._failed: object = _NOTHING  # manifest stamp (None: no manifest) whose generation could not be loaded
        self.index_error: str | None = None  # why; the last good generation keeps serving meanwhile
        self._answered: dict[tuple, tuple[str, ...]] = {}  # (stamp, window, *conversation) -> answers shown
        self._memory_lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            s = self.settings
            self._embedder = Embedder(s.model, s.device, s.batch_size, s.offline, s.embedder_backend, s.cache_dir)
        return self._embedder

    @property
    def reader(self) -> SpanReader:
        if self._reader is None:
            s = self.settings
            path = reader_path(s.reader)
            threads = s.reader_threads or len(os.sched_getaffinity(0))
            runner, tokenizer = open_runner(path, s.reader_backend, s.cache_dir, threads, s.offline)
            self._reader = SpanReader(
                runner,
                tokenizer,
                s.reader_max_length,
                s.reader_stride,
                s.max_answer_tokens,
                Calibrator.load(path).with_prior(s.answerable_prior),
            )
        return self._reader

    # --- indexing -------------------------------------------------------------------------------

    def build(self, source: Path | str | None = None, ray: str | None = None, full_text: bool = False) -> IndexReport:
        """Replace the index with the articles under `source` (default: the seeds directory; an address as `add`
        takes). With `ray` (a cluster address, or "" for RAY_ADDRESS or a local instance) chunking and embedding
        run on Ray."""
        articles = self._load(source or self.settings.seeds_dir, full_text=full_text)
        return self._write(articles, fresh=True, ray=ray)

    def add(
        self, *sources: Path | str, ray: str | None = None, full_text: bool = False, public: bool = False
    ) -> IndexReport:
        """Add or update the articles in `sources` (files, folders, or http(s) addresses of news pages and feeds)
        in one write; unchanged ones (same content hash) are skipped. With `full_text`, a feed's entries are
        read from the pages they link to (`qa.fetch.stories`); with `public`, addresses are fetched only from
        public servers (as for the API) unless `fetch_private_links` is set."""
        return self._write(self._load(*sources, full_text=full_text, public=public), fresh=False, ray=ray)

    def add_articles(self, articles: list[Article]) -> IndexReport:
        """Add or update these articles in one write (unchanged ones are skipped), as `add` does for files."""
        return self._write(self._unique(articles), fresh=False)

    def add_upload(self, name: str, data: bytes) -> IndexReport:
        """Add or update the articles in an uploaded file (any supported type, told by `name`'s suffix)."""
        safe = Path(name or "upload").name or "upload"
        articles, limit = self._unique(self._read_file(safe, data, safe)), self.settings.max_upload_articles
        if len(articles) > limit:  # embedding them would hold the write lock for minutes
            raise ArticleError(
                f"{safe}: {len(articles)} articles in one upload, more than max_upload_articles ({limit}); "
                f"load a collection with `qa index add FILE` on the server"
            )
        return self._write(articles, fresh=False)

    def remove(self, article_id: str) -> IndexReport:
        report, manifest = IndexReport(), self.manifest()
        if manifest is None:
            raise IndexStateError(f"no index in {self.settings.index_dir}; nothing to remove")
        with writing(self.settings.index_dir, manifest, False, self.settings.ann_threshold) as w:
            if not w.remove(article_id):
                raise UnknownArticle(article_id)
            report.removed.append(article_id)
        return report

    def ensure_index(self) -> IndexReport | None:
        """Build the index from the seeds when there is none yet."""
        return None if self.manifest() else self.build()

    def manifest(self) -> Manifest | None:
        return read_manifest(self.settings.index_dir)

    def stats(self) -> dict:
        manifest = self.manifest()
        if manifest is None:
            raise IndexStateError.missing(self.settings.index_dir)
        files = [p for p in live_files(self.settings.index_dir, manifest) if p.exists()]
        listed = {k: v for k, v in asdict(manifest).items() if k != "files"}  # the checksums are the index's
        updated = datetime.fromtimestamp(manifest.updated, UTC).isoformat(timespec="seconds")
        return {
            "index_dir": str(self.settings.index_dir),
            "bytes": sum(p.stat().st_size for p in files),
            **listed,
            "updated": updated,
            "files": len(files),
        }

    def _load(self, *sources: Path | str, full_text: bool = False, public: bool = False) -> list[Article]:
        """Every article of the sources, or one error naming every unreadable file or line (and, among the sources
        read, every repeated id)."""

        def found(source: Path | str) -> list[Article]:
            limit = self.settings.max_article_bytes
            if is_url(source):  # a page's link defaults to where it was served from, after any redirect
                name, data, served = fetch(str(source), limit, public=public and not self.settings.fetch_private_links)
                articles = [replace(a, url=a.url or served) for a in self._read_file(name, data, str(source))]
            else:
                name, articles = str(source), load_path(Path(source), limit)
            if full_text and Path(name).suffix.lower() in FEED_SUFFIXES:
                articles = stories(articles, limit, self._indexed(), self.settings.fetch_private_links)
            if not articles:
                raise _nothing_in(source)
            return articles

        articles, problems = read_each(sources, found)
        problems += _repeated(articles)
        if problems:
            raise ArticleError(*problems)
        return articles

    def _read_file(self, name: str, data: bytes, label: str) -> list[Article]:
        """The articles in a file's bytes (its kind told by `name`'s suffix), their source and problems named by
        `label` (the upload or the address)."""
        articles = from_bytes(data, name, label, self.settings.max_article_bytes)
        if not articles:
            raise _nothing_in(label)
        return [replace(a, source=label) for a in articles]

    def _indexed(self) -> Callable[[Article], Article | None]:
        """For a feed entry, its indexed article if its story was read from its page before (the same id,
        title, link and date, and a text other than the entry's own), so that the page is not fetched again."""
        indexed = self.current().snapshot.articles if self.manifest() is not None else {}

        def known(entry: Article) -> Article | None:
            found = indexed.get(entry.id)
            if found is None or found.text == entry.text:
                return None
            same = (found.title, found.url, found.published) == (entry.title, entry.url, entry.published)
            return found if same else None

        return known

    @staticmethod
    def _unique(articles: list[Article]) -> list[Article]:
        repeated = _repeated(articles)
        if repeated:
            raise ArticleError(*repeated)
        return articles

    def _new_manifest(self) -> Manifest:
        s = self.settings
        return Manifest(
            model=s.model, dims=self.embedder.dims, chunk_chars=s.chunk_chars, chunk_overlap=s.chunk_overlap
        )

    def _write(self, articles: list[Article], fresh: bool, ray: str | None = None) -> IndexReport:
        report, manifest = IndexReport(), self._new_manifest()  # loads the model before the clock starts
        started = time.perf_counter()
        with writing(self.settings.index_dir, manifest, fresh, self.settings.ann_threshold) as w:
            todo = []
            for a in articles:
                old = None if fresh else w.content_hash(a.id)
                if old == a.content_hash or (not fresh and old is None and w.holds(a.content_hash)):
                    report.unchanged.append(a.id)  # as indexed, under this id or (a feed's repeat) another
                else:
                    (report.updated if old else report.added).append(a.id)
                    todo.append(a)
            sizes = w.manifest.chunk_chars, w.manifest.chunk_overlap
            if ray is None:
                chunked = self._chunk_and_embed(todo, *sizes)
            else:
                chunked = cluster.chunk_and_embed(todo, self.settings, *sizes, address=ray)
            for a, (spans, vectors) in zip(todo, chunked, strict=True):
                w.add(a, spans, vectors)
                report.chunks += len(spans)
        report.seconds = time.perf_counter() - started
        return report

    def _chunk_and_embed(self, articles: list[Article], chunk_chars: int, chunk_overlap: int) -> list:
        """Each article's chunk spans and their vectors, in this process."""
        chunked = [article_passages(a.title, a.text, chunk_chars, chunk_overlap) for a in articles]
        vectors, offset, out = self._encode([passage for found in chunked for _, passage in found]), 0, []
        for found in chunked:
            out.append(([s for s, _ in found], vectors[offset : offset + len(found)]))
            offset += len(found)
        return out

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        parts = []
        with tqdm(
            total=len(texts), unit="chunk", desc="embedding", disable=not self.settings.progress or not texts
        ) as bar:
            for i in range(0, len(texts), ENCODE_BATCH):
                parts.append(self.embedder.encode(texts[i : i + ENCODE_BATCH]))
                bar.update(len(parts[-1]))
        return np.concatenate(parts) if parts else self.embedder.encode([])

    # --- asking ---------------------------------------------------------------------------------

    def current(self) -> _Loaded:
        """The loaded index, reloaded when another process has committed a new generation. When a new
        generation cannot be read (broken manifest or files), the last good one keeps serving and
        `index_error` says why, until a readable generation appears."""
        try:
            st = (Path(self.settings.index_dir) / MANIFEST).stat()
            stamp = (st.st_ino, st.st_mtime_ns)  # os.replace gives the manifest a new inode on every commit
        except FileNotFoundError:
            stamp = None
        loaded = self._loaded
        if loaded and stamp in (loaded.stamp, self._failed):
            return loaded
        with self._lock:
            if self._loaded and stamp in (self._loaded.stamp, self._failed):
                return self._loaded
            try:
                if stamp is None:
                    raise IndexStateError.missing(self.settings.index_dir)
                snapshot = self._read_snapshot()
                self._check(snapshot.manifest)
            except IndexStateError as exc:
                if self._loaded is None:
                    raise
                self._failed, self.index_error = stamp, str(exc)
                log.warning("serving index generation %d: %s", self._loaded.snapshot.manifest.generation, exc)
                return self._loaded
            self._loaded, self._failed, self.index_error = _Loaded(snapshot, self, stamp), _NOTHING, None
            return self._loaded

    def status(self) -> dict:
        """What /health reports: the generation being served and any problem with the index on disk."""
        try:
            snapshot = self.current().snapshot
        except IndexStateError as exc:
            return {"status": "no index", "articles": 0, "chunks": 0, "generation": None, "index_error": str(exc)}
        manifest, problem = snapshot.manifest, self.index_error or snapshot.damage()
        return {
            "status": "degraded" if problem else "ok",
            "articles": manifest.articles,
            "chunks": manifest.chunks,
            "generation": manifest.generation,
            "index_error": problem,
        }

    def _read_snapshot(self) -> Snapshot:
        """Read the index, retrying when a writer replaces the generation while we read it."""
        for _ in range(2):
            try:
                return Snapshot(self.settings.index_dir, self.settings.nprobe)
            except IndexStateError:
                time.sleep(0.05)
        return Snapshot(self.settings.index_dir, self.settings.nprobe)

    def _check(self, manifest: Manifest) -> None:
        if manifest.model != self.settings.model or manifest.dims != self.embedder.dims:
            raise IndexStateError(
                f"index was built with {manifest.model} ({manifest.dims} dims) but the service uses "
                f"{self.settings.model} ({self.embedder.dims} dims); rebuild it with `qa index build`"
            )

    def ask(
        self, question: str, k: int | None = None, history: Iterable[str] = (), since: str = "", until: str = ""
    ) -> Result:
        """Extractive answers to `question`, with the passages they came from; no answers = abstain. `since` /
        `until` (ISO dates) search only articles published in that window; answers from different articles
        are shown newest first."""
        s = self.settings
        since, until = _window(since, until)
        question = " ".join((question or "").split())
        if not question:
            raise QuestionError("question must not be empty")
        if len(question) > s.max_question_chars:
            raise QuestionError(f"question is {len(question)} characters long; the limit is {s.max_question_chars}")
        k = s.passages if k is None else k
        if not 1 <= k <= MAX_PASSAGES:
            raise QuestionError(f"k must be between 1 and {MAX_PASSAGES}")
        history = [" ".join(h.split()) for h in history if h and h.strip()][-s.max_history :]
        if any(len(h) > s.max_question_chars for h in history):
            raise QuestionError(f"history questions are limited to {s.max_question_chars} characters each")
        loaded = self.current()
        read, query = self._follow_up(question, history, (since, until))
        shown = self._shown_before(history, (since, until)) if history and asks_for_more(question) else ()
        vector = self.embedder.encode([query])[0]
        allowed = loaded.snapshot.published_between(since, until) if since or until else None
        recency = (s.recency_weight, loaded.snapshot.recency) if s.recency_weight else None
        passages = loaded.retriever.search(query, vector, max(k, s.passages), allowed, recency)
        top = passages[: s.passages]
        guess = None
        if s.answerer == "reader":
            answers, confidence, guess = loaded.answerer.answers(
                read, top, s.max_answers, s.min_probability, s.extra_probability, shown, s.guess_probability
            )
        else:
            if query != read:
                vector = self.embedder.encode([read])[0]
            answers, confidence = loaded.answerer.answers(analyse(read), vector, top, s.max_answers, shown)
        answers = newest_first(answers, loaded.snapshot.articles.published)
        confidence = answers[0].score if answers else confidence
        self._remember(_turns_key(loaded.stamp, [*history, question], (since, until)), tuple(a.text for a in answers))
        if shown:
            read = f"{read.rstrip('?!. ')}, other than {_listed(list(dict.fromkeys(shown)))}?"
        interpreted = read if read != question else None
        return Result(question, answers, passages[:k], confidence, interpreted, since, until, bool(shown), guess)

    def passages(self, question: str, history: Sequence[str] = (), k: int | None = None) -> list[Passage]:
        """The top `k` passages for `question` (default: the passages the reader reads)."""
        _, query = self._follow_up(question, list(history))
        return self.current().retriever.search(query, self.embedder.encode([query])[0], k or self.settings.passages)

    def _follow_up(self, question: str, history: list[str], window: tuple[str, str] = ("", "")) -> tuple[str, str]:
        """The question to read and the text to search with. An elliptical follow-up ("and the British one?")
        is filled in from the previous question as it was read; a pronoun that points back at the previous
        turn's answer (or topic) is replaced by it (the previous turn asked again, if need be, over the same
        publication dates `window`); another follow-up searches with the previous question too."""
        more = asks_for_more(question)
        elliptical = not more and fragment(question) is not None
        if not history or not (more or elliptical or analyse(question).is_follow_up):
            return question, question
        before = self._follow_up(history[-1], history[:-1], window)[0]
        if more:  # "who else?": the previous question again (ask leaves out the answers shown for it)
            return before, before
        if elliptical:
            resolved = fill_in(question, before)
        else:
            previous, answer = analyse(before), None
            if previous.type in NEEDS_ANSWER:
                answer = next(iter(self._answers_of(history, window)), None)
            resolved = resolve(question, previous, answer)
        return (resolved, resolved) if resolved else (question, f"{before} {question}")

    def _answers_of(self, history: list[str], window: tuple[str, str]) -> tuple[str, ...]:
        """The answers shown for the last turn of `history` (asked again, over the same dates, if this service
        has not answered it: an API client may send history it asked elsewhere)."""
        key = _turns_key(self.current().stamp, history, window)
        if key not in self._answered:
            self.ask(history[-1], history=history[:-1], since=window[0], until=window[1])  # remembers them
        return self._answered.get(key, ())

    def _shown_before(self, history: list[str], window: tuple[str, str]) -> list[str]:
        """The answers shown for the question that "who else?" asks again: those of the last turn and, while
        those turns were "who else?" too, of the turns before it."""
        shown: list[str] = []
        for n in range(len(history), 0, -1):
            shown[:0] = self._answers_of(history[:n], window)
            if not asks_for_more(history[n - 1]):
                break
        return shown

    def _remember(self, key: tuple, answers: tuple[str, ...]) -> None:
        with self._memory_lock:
            self._answered[key] = answers
            while len(self._answered) > ANSWER_MEMORY:
                self._answered.pop(next(iter(self._answered)))

    def article(self, article_id: str) -> Article:
        try:
            return self.current().snapshot.articles[article_id]
        except KeyError:
            raise UnknownArticle(article_id) from None

    def articles(self, offset: int = 0, limit: int | None = None) -> list[ArticleSummary]:
        """Up to `limit` articles (None: all) in id order from the `offset`-th: ids, titles and lengths."""
        return self.current().snapshot.articles.page(offset, limit)

    def feedback(self, question: str, answer: str, article_id: str, start: int, end: int, verdict: str) -> int:
        """Store a verdict ("correct" / "wrong") on a shown answer, whose citation must quote it from the article
        as indexed now; returns the feedback's id."""
        question = " ".join((question or "").split())
        if not question or len(question) > self.settings.max_question_chars:
            raise FeedbackError(f"question must have 1 to {self.settings.max_question_chars} characters")
        if not answer or len(answer) > MAX_ANSWER_CHARS:
            raise FeedbackError(f"answer must have 1 to {MAX_ANSWER_CHARS} characters")
        text = self.article(article_id).text
        if not 0 <= start < end <= len(text) or text[start:end] != answer:
            raise FeedbackError(f"characters {start}-{end} of article {article_id!r} are not the answer given")
        return self.feedback_log.add(Feedback(question, answer, article_id, start, end, verdict))

    @cached_property
    def feedback_log(self) -> FeedbackLog:
        return FeedbackLog(self.settings.index_dir / self.settings.feedback_file)  # an absolute path stays as is

    def titles(self) -> dict[str, str]:
        """Every article's title by id, without reading any text."""
        return self.current().snapshot.articles.titles

    def newest(self, limit: int) -> list[tuple[str, str, str]]:
        """Up to `limit` articles as (id, title, published), newest first; undated ones follow in id order."""
        loaded = self.current()
        if limit not in loaded.newest:
            titles, published = loaded.snapshot.articles.titles, loaded.snapshot.articles.published
            dated = heapq.nlargest(limit, published.items(), key=lambda item: (item[1], item[0]))
            undated = islice((i for i in titles if i not in published), max(0, limit - len(dated)))
            loaded.newest[limit] = [(i, titles[i], day) for i, day in dated] + [(i, titles[i], "") for i in undated]
        return loaded.newest[limit]


def _window(since: str, until: str) -> tuple[str, str]:
    """`since` and `until` checked as ISO dates (YYYY-MM-DD, "" for open), `since` not after `until`."""
    for name, value in (("since", since), ("until", until)):
        try:
            if value and date.fromisoformat(value).isoformat() != value:
                raise ValueError
        except ValueError:
            raise QuestionError(f"{name} must be a date as YYYY-MM-DD, not {value!r}") from None
    if since and until and since > until:
        raise QuestionError(f"since ({since}) is after until ({until})")
    return since or "", until or ""


def newest_first(answers: list[Answer], published: dict[str, str]) -> list[Answer]:
    """Answers from differently dated articles, the newest article's first (newer reporting supersedes
    older); the order is kept otherwise, and among answers from the same date."""
    dates = [published.get(a.citation.article_id, "") for a in answers]
    if len({d for d in dates if d}) < 2:
        return answers
    order = sorted(range(len(answers)), key=lambda i: dates[i], reverse=True)  # stable: ties keep their order
    return [answers[i] for i in order]


def _nothing_in(source: Path | str) -> ArticleError:
    return ArticleError(f"{source}: no articles found (supported: {' '.join(SUFFIXES)})")


def _repeated(articles: list[Article]) -> list[str]:
    """A problem for each article whose id an earlier one already has."""
    first: dict[str, str] = {}  # id -> where it was first seen
    problems = []
    for a in articles:
        if a.id in first:
            problems.append(f"{a.source}: article id {a.id!r} is also used by {first[a.id]}")
        else:
            first[a.id] = a.source
    return problems
