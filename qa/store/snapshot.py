"""One generation of the index, opened read-only for searching: vectors, articles, chunks and BM25."""

from __future__ import annotations

import sqlite3
from datetime import date
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from qa.errors import IndexStateError
from qa.store import vectors as vector_index
from qa.store.articles import Articles
from qa.store.bm25 import BM25, has_bm25, load_bm25
from qa.store.chunks import Chunks
from qa.store.manifest import REBUILD, read_manifest, verify
from qa.store.prefetch import prefetch
from qa.store.schema import chunk_terms
from qa.types import Chunk


class Snapshot:
    """One generation of the index, loaded for searching (read only); `nprobe` > 0 overrides the manifest's."""

    def __init__(self, index_dir: Path, nprobe: int = 0):
        self.manifest = read_manifest(index_dir)
        if self.manifest is None:
            raise IndexStateError.missing(index_dir)
        self.index_dir = Path(index_dir)
        self.checked = verify(index_dir, self.manifest)
        try:
            # memory-mapped vectors: processes serving the same generation share one copy in the page cache
            self.vectors = vector_index.configure(
                faiss.read_index(str(Path(index_dir) / self.manifest.vectors_file), faiss.IO_FLAG_MMAP_IFC),
                self.manifest.vector_index,
                nprobe,
            )
            path = Path(index_dir) / self.manifest.metadata_file
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            self.articles = Articles(db)
            self.chunks = Chunks(db.execute('SELECT id, article_id, start, "end" FROM chunks ORDER BY id'))
            self.bm25 = self._bm25(Path(index_dir), db)
        except (RuntimeError, sqlite3.Error) as exc:
            raise IndexStateError(f"cannot read index in {index_dir}: {exc}") from None
        files = [self.manifest.vectors_file, self.manifest.metadata_file, self.manifest.bm25_dir]
        self.prefetched = prefetch([Path(index_dir) / f for f in files])
        if not self.vectors.ntotal == self.bm25.size == len(self.chunks):
            raise IndexStateError(
                f"index in {index_dir} is inconsistent ({self.vectors.ntotal} vectors and {self.bm25.size} BM25 "
                f"rows for {len(self.chunks)} chunks); {REBUILD}"
            )

    def damage(self) -> str | None:
        """What has happened since this generation was opened to the files it reads (a cheap look: sizes and
        modification times; None when nothing has)."""
        for name, (size, mtime) in self.checked.items():
            try:
                st = (self.index_dir / name).stat()
            except FileNotFoundError:
                return f"{name} was deleted while being served; {REBUILD}"
            if (st.st_size, st.st_mtime_ns) != (size, mtime):
                return f"{name} was changed while being served ({st.st_size} bytes, was {size}); {REBUILD}"
        return None

    def _bm25(self, index_dir: Path, db: sqlite3.Connection) -> BM25:
        if not has_bm25(index_dir, self.manifest):  # written before BM25 was saved with the generation
            return BM25.build(chunk_terms(db))
        return load_bm25(index_dir, self.manifest)

    @cached_property
    def article_dates(self) -> list[str]:
        """Publication dates (YYYY-MM-DD; "" undated) of the chunks' articles, in `chunks.article_ids` order."""
        return [self.articles.published.get(a, "")[:10] for a in self.chunks.article_ids]

    def published_between(self, since: str = "", until: str = "") -> np.ndarray:
        """Per chunk (id order): whether its article's publication date lies in [since, until] (ISO dates; ""
        leaves that end open). Articles without a date are outside every window."""
        dates = self.article_dates
        inside = np.array([bool(d) and (not since or d >= since) and (not until or d <= until) for d in dates], bool)
        return inside[self.chunks.article_rows] if len(dates) else np.zeros(len(self.chunks), bool)

    @cached_property
    def recency(self) -> np.ndarray:
        """Per chunk (id order): 0 for the oldest dated article's chunks up to 1 for the newest; 0 undated (the
        same for every question, so computed once per generation)."""
        days = np.array([date.fromisoformat(d).toordinal() if d else -1 for d in self.article_dates], float)
        dated = days >= 0
        if not dated.any():
            return np.zeros(len(self.chunks), np.float32)
        low, span = days[dated].min(), np.ptp(days[dated]) or 1.0
        score = np.where(dated, (days - low) / span, 0.0).astype(np.float32)
        return score[self.chunks.article_rows]

    def chunk_text(self, chunk: Chunk) -> str:
        return self.articles[chunk.article_id].text[chunk.start : chunk.end]
