"""On-disk index: FAISS vectors, SQLite metadata, a BM25 index and a JSON manifest, replaced atomically as a
generation."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from functools import cached_property
from itertools import islice
from pathlib import Path

import faiss
import numpy as np

from . import vectors as vector_index
from .articles import Article, ArticleSummary
from .bm25 import BM25
from .bm25 import META as BM25_META
from .chunking import Span, passage_text
from .files import sha256, write_whole
from .tokens import terms
from .vectors import VectorSpec

MANIFEST = "manifest.json"
_GENERATION_FILE = re.compile(r"(?:vectors|meta|bm25)-(\d+)(?:\.(?:faiss|sqlite(?:-journal|-wal|-shm)?|tmp))?")
REBUILD = "rebuild it with `qa index build`"
FORMAT = 1
META_COLUMNS = {"published": "''", "url": "''", "outlet": "''", "authors": "'[]'"}  # added after format 1 (default)
SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL, source TEXT NOT NULL,
    content_hash TEXT NOT NULL, added_at REAL NOT NULL, published TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '', outlet TEXT NOT NULL DEFAULT '', authors TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS articles_by_hash ON articles(content_hash);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
"""


class IndexStateError(RuntimeError):
    """The index is missing, unreadable or was built with other settings."""

    @classmethod
    def missing(cls, index_dir: Path) -> IndexStateError:
        return cls(f"no index in {index_dir}; build one with `qa index build`")


class IndexWriteError(IndexStateError):
    """The file system refused a write (read-only, full, permissions); the previous generation is untouched."""


@dataclass(frozen=True)
class Manifest:
    model: str
    dims: int
    chunk_chars: int
    chunk_overlap: int
    generation: int = 0
    articles: int = 0
    chunks: int = 0
    updated: float = 0.0
    format: int = FORMAT
    vector_index: VectorSpec = field(default_factory=VectorSpec)
    bm25: bool = False  # the generation has its BM25 index on disk (older ones are indexed when loaded)
    files: dict = field(default_factory=dict)  # each file of the generation: [bytes, sha256] (older ones: none)

    @property
    def vectors_file(self) -> str:
        return f"vectors-{self.generation}.faiss"

    @property
    def metadata_file(self) -> str:
        return f"meta-{self.generation}.sqlite"

    @property
    def bm25_dir(self) -> str:
        return f"bm25-{self.generation}"


@dataclass(frozen=True)
class Chunk:
    id: int
    article_id: str
    start: int
    end: int


class Chunks(Sequence[Chunk]):
    """A generation's chunks in id order, held as arrays (a million `Chunk` objects would cost ~300 MB)."""

    def __init__(self, rows: Iterable[tuple[int, str, int, int]]):
        rows_of: dict[str, int] = {}
        rows, parts = iter(rows), [np.zeros((0, 4), np.int64)]
        while batch := list(islice(rows, 65536)):  # in batches: no million tuples alive at once
            parts.append(np.array([(c, rows_of.setdefault(a, len(rows_of)), s, e) for c, a, s, e in batch], np.int64))
        self.article_ids = list(rows_of)
        columns = np.concatenate(parts).T
        self.ids, self.starts, self.ends = columns[0].copy(), columns[2].copy(), columns[3].copy()
        self.article_rows = columns[1].astype(np.int32)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> Chunk:  # type: ignore[override]  # no slices
        if not -len(self.ids) <= i < len(self.ids):
            raise IndexError(i)
        return Chunk(int(self.ids[i]), self.article_ids[self.article_rows[i]], int(self.starts[i]), int(self.ends[i]))

    def row(self, chunk_id: int) -> int:
        """The position of the chunk with this id (ids ascend: a binary search)."""
        i = int(np.searchsorted(self.ids, chunk_id))
        if i == len(self.ids) or self.ids[i] != chunk_id:
            raise KeyError(chunk_id)
        return i

    def by_id(self, chunk_id: int) -> Chunk:
        return self[self.row(chunk_id)]


def read_manifest(index_dir: Path) -> Manifest | None:
    path = Path(index_dir) / MANIFEST
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT:
            raise IndexStateError(f"{path}: index format {data.get('format')} is not {FORMAT}; rebuild it")
        spec = VectorSpec(**data.pop("vector_index", {}))
        if spec.kind not in vector_index.KINDS:
            raise ValueError(f"unknown vector index kind {spec.kind!r}")
        return Manifest(**data, vector_index=spec)
    except (ValueError, TypeError, AttributeError) as exc:
        raise IndexStateError(f"{path}: unreadable manifest ({exc}); rebuild with `qa index build`") from None


class Articles(Mapping[str, Article]):
    """A generation's articles, their text read from its SQLite file when asked for (recent ones cached). The
    connection opens with the snapshot: a later commit deletes the file, and an open file stays readable."""

    def __init__(self, db: sqlite3.Connection, cached: int = 256):
        self.db, self.lock = db, threading.Lock()
        with self.lock:  # titles come before the text in a row: this reads none of the text
            self.titles = dict(db.execute("SELECT id, title FROM articles ORDER BY id").fetchall())
            have = _article_columns(db)
            dated = "SELECT id, published FROM articles WHERE published != ''"
            self.published = dict(db.execute(dated).fetchall()) if "published" in have else {}
        # a generation written before metadata was stored reads as articles without it
        self.columns = ", ".join(c if c in have else f"{d} AS {c}" for c, d in META_COLUMNS.items())
        # least recently read last out; no cycle back to self, so a dropped snapshot closes its file at once
        self.cached, self.recent = cached, OrderedDict()

    def __getitem__(self, article_id: str) -> Article:
        if article_id not in self.titles:  # unknown ids never reach SQLite or the cache
            raise KeyError(article_id)
        with self.lock:
            article = self.recent.pop(article_id, None)
            if article is None:
                query = f"SELECT id, title, text, source, {self.columns} FROM articles WHERE id = ?"
                *head, authors = self.db.execute(query, (article_id,)).fetchone()
                article = Article(*head, authors=tuple(json.loads(authors)))
            self.recent[article_id] = article
            if len(self.recent) > self.cached:
                self.recent.popitem(last=False)
        return article

    def __iter__(self) -> Iterator[str]:
        return iter(self.titles)

    def __len__(self) -> int:
        return len(self.titles)

    def page(self, offset: int = 0, limit: int | None = None) -> list[ArticleSummary]:
        """Up to `limit` articles (None: all) in id order from the `offset`-th, listed without their text."""
        query = "SELECT id, title, length(text) FROM articles ORDER BY id LIMIT ? OFFSET ?"
        with self.lock:
            rows = self.db.execute(query, (-1 if limit is None else limit, offset)).fetchall()
        return [ArticleSummary(*r) for r in rows]


def _article_columns(db: sqlite3.Connection) -> set[str]:
    """The columns the articles table has (a generation written before metadata lacks META_COLUMNS)."""
    return {row[1] for row in db.execute("PRAGMA table_info(articles)")}


def prefetch(paths: Iterable[Path], share: float = 0.5) -> int:
    """Read these files (folders: the files in them) once in a low-priority background thread, so that they sit
    in the page cache before the first questions after a start or a new generation need them; skipped (0) when
    they would take more than `share` of the memory available. Returns the bytes to be read."""
    try:
        files = [f for p in paths for f in (sorted(p.iterdir()) if p.is_dir() else [p]) if f.is_file()]
        size = sum(f.stat().st_size for f in files)
    except OSError:  # a later commit removed the generation meanwhile: the snapshot reads what it opened
        return 0
    if size > share * _available_memory():
        return 0
    threading.Thread(target=_read_through, args=(files,), name="prefetch", daemon=True).start()
    return size


def _read_through(files: list[Path]) -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)  # this thread only (Linux)
    except (AttributeError, OSError):
        pass
    buffer = bytearray(1 << 22)
    for f in files:
        try:
            with open(f, "rb", buffering=0) as fh:
                while fh.readinto(buffer):
                    pass
        except OSError:  # a later commit removed it: nothing left to warm
            continue


def _available_memory() -> int:
    """MemAvailable from /proc/meminfo, in bytes (0 where there is none)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def fingerprint(path: Path) -> list:
    """[bytes, sha256] of a file: what the manifest records of each file of a generation."""
    return [path.stat().st_size, sha256(path)]


def verify(index_dir: Path, manifest: Manifest, only: Sequence[str] = ()) -> dict[str, tuple[int, int]]:
    """Check each file of the generation (or `only` those) against the manifest's size and checksum before
    anything maps it (a damaged memory-mapped file kills the process that reads it); returns each file's
    (size, mtime) as checked."""
    seen = {}
    for name, (size, digest) in manifest.files.items():
        if only and name not in only:
            continue
        path = Path(index_dir) / name
        try:
            st = path.stat()
        except FileNotFoundError:
            raise IndexStateError(f"index in {index_dir} is damaged: {name} is missing; {REBUILD}") from None
        if st.st_size != size or sha256(path) != digest:
            what = f"{st.st_size} bytes, not {size}" if st.st_size != size else "its checksum differs"
            raise IndexStateError(f"index in {index_dir} is damaged: {name} has changed ({what}); {REBUILD}")
        seen[name] = (st.st_size, st.st_mtime_ns)
    return seen


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
        if not _has_bm25(index_dir, self.manifest):  # written before BM25 was saved with the generation
            return BM25.build(_chunk_terms(db))
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
        self.base_ids = _chunk_ids(db) if bm25 is not None else np.zeros(0, np.int64)
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
            (a.id, a.title, a.text, a.source, a.content_hash, time.time(), a.published, a.url, a.outlet,
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
            return BM25.build(_chunk_terms(self.db))
        last = int(self.base_ids[-1]) if len(self.base_ids) else 0
        keep = np.isin(self.base_ids, _chunk_ids(self.db, last))
        return self.bm25.changed(keep, _chunk_terms(self.db, last))


def _chunk_terms(db: sqlite3.Connection, after: int = 0) -> list[list[str]]:
    """The BM25 terms of the chunks with ids above `after`, in id order (SQLite's substr counts characters, as
    Python's offsets do, so only the chunk's text is read)."""
    rows = db.execute(
        'SELECT a.title, substr(a.text, c.start + 1, c."end" - c.start) FROM chunks c '
        "JOIN articles a ON a.id = c.article_id WHERE c.id > ? ORDER BY c.id",
        (after,),
    )
    return [_terms(title, chunk) for title, chunk in rows]


def _chunk_ids(db: sqlite3.Connection, up_to: int = 2**63 - 1) -> np.ndarray:
    """The ids of the chunks, up to `up_to`, in order."""
    rows = db.execute("SELECT id FROM chunks WHERE id <= ? ORDER BY id", (up_to,))
    return np.fromiter((r[0] for r in rows), dtype=np.int64)


def _terms(title: str, chunk: str) -> list[str]:
    """A chunk's BM25 terms: its passage text's search terms."""
    return terms(passage_text(title, chunk))


def _has_bm25(index_dir: Path, manifest: Manifest) -> bool:
    return manifest.bm25 and (Path(index_dir) / manifest.bm25_dir / BM25_META).exists()


def _previous_bm25(index_dir: Path, current: Manifest | None, fresh: bool) -> BM25 | None:
    """The BM25 index a write changes, if there is a readable one (else the commit builds one from the texts)."""
    if fresh or current is None or not _has_bm25(index_dir, current):
        return None
    try:
        return load_bm25(index_dir, current)
    except IndexStateError:
        return None


def load_bm25(index_dir: Path, manifest: Manifest) -> BM25:
    try:
        return BM25.load(Path(index_dir) / manifest.bm25_dir)
    except (OSError, ValueError, KeyError) as exc:
        raise IndexStateError(f"cannot read the BM25 index in {index_dir}: {exc}; rebuild it") from None


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
                db.executescript(SCHEMA)
                have = _article_columns(db)
                for column, default in META_COLUMNS.items():  # a copy of an older generation gains the columns
                    if column not in have:
                        db.execute(f"ALTER TABLE articles ADD COLUMN {column} TEXT NOT NULL DEFAULT {default}")
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


def live_files(index_dir: Path, manifest: Manifest) -> list[Path]:
    """The files the current generation consists of (what `qa index stats` counts)."""
    bm25 = Path(index_dir) / manifest.bm25_dir
    saved = sorted(bm25.iterdir()) if manifest.bm25 and bm25.is_dir() else []
    return [Path(index_dir) / n for n in (MANIFEST, manifest.vectors_file, manifest.metadata_file)] + saved


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
