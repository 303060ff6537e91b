"""Writing the next generation: a copy of the current one, changed, checked and committed atomically."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path

import faiss
import numpy as np

from qa.errors import IndexStateError, IndexWriteError
from qa.store import vectors as vector_index
from qa.store.bm25 import BM25, has_bm25, load_bm25
from qa.store.files import write_whole
from qa.store.manifest import MANIFEST, REBUILD, Manifest, fingerprint, read_manifest, verify
from qa.store.schema import chunk_ids, chunk_terms, migrate
from qa.text.chunking import Span
from qa.types import Article

_GENERATION_FILE = re.compile(r"(?:vectors|meta|bm25)-(\d+)(?:\.(?:faiss|sqlite(?:-journal|-wal|-shm)?|tmp))?")


class Writer:
    """Changes to a copy of the current generation; visible only once `commit` replaces the manifest."""

    def __init__(
        self,
        index_dir: Path,
        manifest: Manifest,
        db: sqlite3.Connection,
        vectors: faiss.Index,
        ann_threshold: int,
        bm25: BM25 | None = None,
    ):
        self.index_dir, self.manifest, self.db, self.vectors = index_dir, manifest, db, vectors
        self.ann_threshold = ann_threshold
        self.changed = False
        # the previous generation's BM25 and its chunk ids, which the commit changes into this generation's
        # (None: the commit builds BM25 from every chunk's text)
        self.bm25 = bm25
        self.base_ids = chunk_ids(db) if bm25 is not None else np.zeros(0, np.int64)
        if bm25 is not None and bm25.size != len(self.base_ids):
            self.bm25 = None

    def holds(self, content_hash: str) -> str | None:
        """The id of an article with exactly this content (title, text and metadata), if there is one."""
        row = self.db.execute("SELECT id FROM articles WHERE content_hash = ? LIMIT 1", (content_hash,)).fetchone()
        return row[0] if row else None

    def content_hash(self, article_id: str) -> str | None:
        row = self.db.execute("SELECT content_hash FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    def add(self, article: Article, spans: list[Span], vectors: np.ndarray) -> None:
        """Insert (or replace) an article with its chunk spans and their vectors."""
        self.remove(article.id)
        self.changed = True
        a = article
        self.db.execute(
            "INSERT INTO articles (id, title, text, source, content_hash, added_at, published, url, outlet, authors) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (a.id, a.title, a.text, a.origin, a.content_hash, time.time(), a.published, a.url, a.outlet,
             json.dumps(list(a.authors))),
        )  # fmt: skip
        ids = [
            self.db.execute(
                'INSERT INTO chunks (article_id, start, "end") VALUES (?, ?, ?)', (article.id, s.start, s.end)
            ).lastrowid
            for s in spans
        ]
        if ids:
            self.vectors.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))

    def remove(self, article_id: str) -> bool:
        ids = [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE article_id = ?", (article_id,))]
        if ids:
            self.vectors.remove_ids(np.asarray(ids, dtype=np.int64))
        self.db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
        removed = self.db.execute("DELETE FROM articles WHERE id = ?", (article_id,)).rowcount > 0
        self.changed = self.changed or removed
        return removed

    def commit(self) -> Manifest:
        (articles,), (chunks,) = (
            self.db.execute(f"SELECT count(*) FROM {t}").fetchone() for t in ("articles", "chunks")
        )
        bm25 = self._bm25()
        self.db.commit()
        self.db.close()
        spec = self.manifest.vector_index
        if (new_spec := vector_index.plan(self.vectors.ntotal, spec, self.ann_threshold)) is not None:
            self.vectors, spec = vector_index.rebuild(self.vectors, new_spec), new_spec
        manifest = replace(
            self.manifest, articles=articles, chunks=chunks, updated=time.time(), vector_index=spec, bm25=True
        )
        vectors_path = self.index_dir / manifest.vectors_file
        faiss.write_index(self.vectors, str(vectors_path))
        bm25_tmp = self.index_dir / (manifest.bm25_dir + ".tmp")
        bm25.save(bm25_tmp)
        written = [vectors_path, self.index_dir / manifest.metadata_file, *sorted(bm25_tmp.iterdir())]
        for path in written:
            _fsync(path)
        bm25_tmp.rename(self.index_dir / manifest.bm25_dir)
        names = [p.name if p.parent != bm25_tmp else f"{manifest.bm25_dir}/{p.name}" for p in written]
        manifest = replace(manifest, files={n: fingerprint(self.index_dir / n) for n in names})
        write_whole(self.index_dir / MANIFEST, json.dumps(asdict(manifest), indent=2) + "\n")
        return manifest

    def _bm25(self) -> BM25:
        """BM25 over every chunk in id order: the previous generation's less the chunks gone since, plus the
        chunks added since (AUTOINCREMENT ids: higher than every earlier one); or, without a previous one,
        from every chunk's text."""
        if self.bm25 is None:
            return BM25.build(chunk_terms(self.db))
        last = int(self.base_ids[-1]) if len(self.base_ids) else 0
        keep = np.isin(self.base_ids, chunk_ids(self.db, last))
        return self.bm25.changed(keep, chunk_terms(self.db, last))


def _previous_bm25(index_dir: Path, current: Manifest | None, fresh: bool) -> BM25 | None:
    """The BM25 index a write changes, if there is a readable one (else the commit builds one from the texts)."""
    if fresh or current is None or not has_bm25(index_dir, current):
        return None
    try:
        return load_bm25(index_dir, current)
    except IndexStateError:
        return None


@contextmanager
def writing(index_dir: Path, manifest: Manifest, fresh: bool, ann_threshold: int = 0) -> Iterator[Writer]:
    """A Writer over the next generation; committed on success, discarded on error. One writer at a time.
    The committed vectors are exact up to `ann_threshold` chunks and IVF above it (0: always exact).
    A fresh build ignores whatever the old manifest holds, so it always recovers a broken index. File-system
    failures raise IndexWriteError naming the path and the cause, and leave no files of the failed generation."""
    index_dir = Path(index_dir)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        lock = open(index_dir / ".lock", "w")
    except OSError as exc:
        raise _write_error(index_dir, exc) from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current = read_manifest(index_dir)
        except IndexStateError:
            if not fresh:
                raise
            current = None
        if current and not fresh:
            if (current.model, current.dims) != (manifest.model, manifest.dims):
                raise IndexStateError(
                    f"index in {index_dir} was built with {current.model} ({current.dims} dims), not "
                    f"{manifest.model} ({manifest.dims} dims); {REBUILD}"
                )
            # damaged vectors or articles are not copied into the next generation (damaged BM25 is rebuilt)
            verify(index_dir, current, only=(current.vectors_file, current.metadata_file))
            manifest = current
        generation = max(current.generation if current else 0, _newest_generation(index_dir)) + 1
        new = replace(manifest, generation=generation)
        db = None
        try:
            try:
                _remove_stale(index_dir, keep=current)
                db = sqlite3.connect(index_dir / new.metadata_file)
                if current and not fresh:
                    source = sqlite3.connect(index_dir / current.metadata_file)
                    source.backup(db)
                    source.close()
                    vectors = faiss.read_index(str(index_dir / current.vectors_file))
                else:
                    vectors = vector_index.empty(new.dims)
                migrate(db)
            except (OSError, sqlite3.Error, RuntimeError) as exc:
                raise _write_error(index_dir, exc) from None
            writer = Writer(index_dir, new, db, vectors, ann_threshold, _previous_bm25(index_dir, current, fresh))
            try:
                yield writer
                if writer.changed or fresh or current is None:
                    writer.commit()
                    current = new
            except (OSError, sqlite3.OperationalError) as exc:
                raise _write_error(index_dir, exc) from None
            except IndexStateError:
                raise
            except RuntimeError as exc:  # FAISS cannot write its file
                if "writ" not in str(exc).lower():
                    raise
                raise _write_error(index_dir, exc) from None
        finally:
            if db is not None:
                db.close()
            _remove_stale(index_dir, keep=current)


def _write_error(index_dir: Path, exc: BaseException) -> IndexWriteError:
    where = getattr(exc, "filename", None) or index_dir
    cause = getattr(exc, "strerror", None) or str(exc).strip().splitlines()[0].rsplit("failed: ", 1)[-1]
    return IndexWriteError(f"cannot write the index in {where}: {cause}; the previous index is unchanged")


def _newest_generation(index_dir: Path) -> int:
    """The highest generation number among the files present (a broken manifest may have lost count)."""
    numbers = [int(m.group(1)) for p in index_dir.iterdir() if (m := _GENERATION_FILE.fullmatch(p.name))]
    return max(numbers, default=0)


def _remove_stale(index_dir: Path, keep: Manifest | None) -> None:
    """Delete generation files other than `keep`'s (open readers keep their data on POSIX)."""
    wanted = {keep.vectors_file, keep.metadata_file, keep.bm25_dir} if keep else set()
    for path in index_dir.iterdir():
        if path.name not in wanted and (_GENERATION_FILE.fullmatch(path.name) or path.suffix == ".tmp"):
            try:
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
            except OSError:  # read-only: nothing was written there either
                pass


def _fsync(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())
