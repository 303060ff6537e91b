"""The manifest: which files make up the current generation, with the settings and checksums they were written with."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import IndexStateError
from qa.store import vectors as vector_index
from qa.store.files import sha256
from qa.store.vectors import VectorSpec

MANIFEST = "manifest.json"
REBUILD = "rebuild it with `qa index build`"
FORMAT = 1


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


def live_files(index_dir: Path, manifest: Manifest) -> list[Path]:
    """The files the current generation consists of (what `qa index stats` counts)."""
    bm25 = Path(index_dir) / manifest.bm25_dir
    saved = sorted(bm25.iterdir()) if manifest.bm25 and bm25.is_dir() else []
    return [Path(index_dir) / n for n in (MANIFEST, manifest.vectors_file, manifest.metadata_file)] + saved
