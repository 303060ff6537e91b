"""Writing articles into the index: read them from files, uploads or addresses, chunk and embed what changed
(here or on Ray), and commit one new generation per write."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from qa.errors import ArticleError, IndexStateError, UnknownArticle
from qa.ingest import ray_build
from qa.ingest.fetch import fetch, is_url, stories
from qa.ingest.formats import FEED_SUFFIXES, SUFFIXES, from_bytes, load_path
from qa.ingest.metadata import read_each
from qa.models.embedding import Embedder
from qa.settings import Settings
from qa.store.manifest import Manifest, read_manifest
from qa.store.writer import writing
from qa.text.chunking import article_passages
from qa.types import Article, IndexReport

ENCODE_BATCH = 256


class Indexer:
    """Adds, updates and removes articles. `embedder` gives the embedding model when a write first needs it;
    `indexed` the articles being served, so that a feed's stories read before are not fetched again."""

    def __init__(
        self, settings: Settings, embedder: Callable[[], Embedder], indexed: Callable[[], Mapping[str, Article]]
    ):
        self.settings, self._embedder, self._indexed = settings, embedder, indexed

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
        read from the pages they link to (`qa.ingest.fetch.stories`); with `public`, addresses are fetched only
        from public servers (as for the API) unless `fetch_private_links` is set."""
        return self._write(self._load(*sources, full_text=full_text, public=public), fresh=False, ray=ray)

    def add_articles(self, articles: list[Article]) -> IndexReport:
        """Add or update these articles in one write (unchanged ones are skipped), as `add` does for files."""
        return self._write(_unique(articles), fresh=False)

    def add_upload(self, name: str, data: bytes) -> IndexReport:
        """Add or update the articles in an uploaded file (any supported type, told by `name`'s suffix)."""
        safe = Path(name or "upload").name or "upload"
        articles, limit = _unique(self._read_file(safe, data, safe)), self.settings.max_upload_articles
        if len(articles) > limit:  # embedding them would hold the write lock for minutes
            raise ArticleError(
                f"{safe}: {len(articles)} articles in one upload, more than max_upload_articles ({limit}); "
                f"load a collection with `qa index add FILE` on the server"
            )
        return self._write(articles, fresh=False)

    def remove(self, article_id: str) -> IndexReport:
        report, manifest = IndexReport(), read_manifest(self.settings.index_dir)
        if manifest is None:
            raise IndexStateError(f"no index in {self.settings.index_dir}; nothing to remove")
        with writing(self.settings.index_dir, manifest, False, self.settings.ann_threshold) as w:
            if not w.remove(article_id):
                raise UnknownArticle(article_id)
            report.removed.append(article_id)
        return report

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
                articles = stories(articles, limit, self._known(), self.settings.fetch_private_links)
            if not articles:
                raise _nothing_in(source)
            return articles

        articles, problems = read_each(sources, found)
        problems += _repeated(articles)
        if problems:
            raise ArticleError(*problems)
        return articles

    def _read_file(self, name: str, data: bytes, label: str) -> list[Article]:
        """The articles in a file's bytes (its kind told by `name`'s suffix), their origin and problems named by
        `label` (the upload or the address)."""
        articles = from_bytes(data, name, label, self.settings.max_article_bytes)
        if not articles:
            raise _nothing_in(label)
        return [replace(a, origin=label) for a in articles]

    def _known(self) -> Callable[[Article], Article | None]:
        """For a feed entry, its indexed article if its story was read from its page before (the same id,
        title, link and date, and a text other than the entry's own), so that the page is not fetched again."""
        indexed = self._indexed() if read_manifest(self.settings.index_dir) is not None else {}

        def known(entry: Article) -> Article | None:
            found = indexed.get(entry.id)
            if found is None or found.text == entry.text:
                return None
            same = (found.title, found.url, found.published) == (entry.title, entry.url, entry.published)
            return found if same else None

        return known

    def _write(self, articles: list[Article], fresh: bool, ray: str | None = None) -> IndexReport:
        s, embedder = self.settings, self._embedder()  # the model loads before the clock starts
        report = IndexReport()
        manifest = Manifest(model=s.model, dims=embedder.dims, chunk_chars=s.chunk_chars, chunk_overlap=s.chunk_overlap)
        started = time.perf_counter()
        with writing(s.index_dir, manifest, fresh, s.ann_threshold) as w:
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
                chunked = self.chunk_and_embed(todo, *sizes)
            else:
                chunked = ray_build.chunk_and_embed(todo, s, *sizes, address=ray)
            for a, (spans, vectors) in zip(todo, chunked, strict=True):
                w.add(a, spans, vectors)
                report.chunks += len(spans)
        report.seconds = time.perf_counter() - started
        return report

    def chunk_and_embed(self, articles: list[Article], chunk_chars: int, chunk_overlap: int) -> list:
        """Each article's chunk spans and their vectors, in this process."""
        chunked = [article_passages(a.title, a.text, chunk_chars, chunk_overlap) for a in articles]
        vectors, offset, out = self.encode([passage for found in chunked for _, passage in found]), 0, []
        for found in chunked:
            out.append(([s for s, _ in found], vectors[offset : offset + len(found)]))
            offset += len(found)
        return out

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """The texts' vectors, in batches, with a progress bar when the settings ask for one."""
        embedder, parts = self._embedder(), []
        show = self.settings.progress and bool(texts)
        with tqdm(total=len(texts), unit="chunk", desc="embedding", disable=not show) as bar:
            for i in range(0, len(texts), ENCODE_BATCH):
                parts.append(embedder.encode(texts[i : i + ENCODE_BATCH]))
                bar.update(len(parts[-1]))
        return np.concatenate(parts) if parts else embedder.encode([])


def _unique(articles: list[Article]) -> list[Article]:
    repeated = _repeated(articles)
    if repeated:
        raise ArticleError(*repeated)
    return articles


def _nothing_in(source: Path | str) -> ArticleError:
    return ArticleError(f"{source}: no articles found (supported: {' '.join(SUFFIXES)})")


def _repeated(articles: list[Article]) -> list[str]:
    """A problem for each article whose id an earlier one already has."""
    first: dict[str, str] = {}  # id -> where it was first seen
    problems = []
    for a in articles:
        if a.id in first:
            problems.append(f"{a.origin}: article id {a.id!r} is also used by {first[a.id]}")
        else:
            first[a.id] = a.origin
    return problems
