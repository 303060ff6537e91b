"""The generation being served: reloaded when another process commits a new one, the last good one kept while a
new one cannot be read, and what /health says about it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from qa.errors import IndexStateError
from qa.store.manifest import MANIFEST, Manifest
from qa.store.snapshot import Snapshot

log = logging.getLogger("qa")
_NOTHING = object()


class Served(Protocol):
    snapshot: Snapshot
    stamp: tuple[int, int]


S = TypeVar("S", bound=Served)


class LiveIndex(Generic[S]):
    """Opens the generation in `index_dir` as `open(snapshot, stamp)` (what the caller serves from it), checking
    its manifest with `check` (raising IndexStateError), and opens it again once the manifest is replaced."""

    def __init__(
        self,
        index_dir: Path,
        nprobe: int,
        open: Callable[[Snapshot, tuple[int, int]], S],
        check: Callable[[Manifest], None],
    ):
        self.index_dir, self.nprobe, self._open, self._check = Path(index_dir), nprobe, open, check
        self._served: S | None = None
        self._lock = threading.Lock()
        self._failed: object = _NOTHING  # manifest stamp (None: no manifest) whose generation could not be loaded
        self.error: str | None = None  # why; the last good generation keeps serving meanwhile

    def current(self) -> S:
        """The generation to serve, reloaded when another process has committed a new one. When a new generation
        cannot be read (broken manifest or files), the last good one keeps serving and `error` says why, until a
        readable generation appears."""
        try:
            st = (self.index_dir / MANIFEST).stat()
            stamp = (st.st_ino, st.st_mtime_ns)  # os.replace gives the manifest a new inode on every commit
        except FileNotFoundError:
            stamp = None
        served = self._served
        if served and stamp in (served.stamp, self._failed):
            return served
        with self._lock:
            if self._served and stamp in (self._served.stamp, self._failed):
                return self._served
            try:
                if stamp is None:
                    raise IndexStateError.missing(self.index_dir)
                snapshot = self._read_snapshot()
                self._check(snapshot.manifest)
            except IndexStateError as exc:
                if self._served is None:
                    raise
                self._failed, self.error = stamp, str(exc)
                log.warning("serving index generation %d: %s", self._served.snapshot.manifest.generation, exc)
                return self._served
            self._served, self._failed, self.error = self._open(snapshot, stamp), _NOTHING, None
            return self._served

    def status(self) -> dict:
        """What /health reports: the generation being served and any problem with the index on disk."""
        try:
            snapshot = self.current().snapshot
        except IndexStateError as exc:
            return {"status": "no index", "articles": 0, "chunks": 0, "generation": None, "index_error": str(exc)}
        manifest, problem = snapshot.manifest, self.error or snapshot.damage()
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
                return Snapshot(self.index_dir, self.nprobe)
            except IndexStateError:
                time.sleep(0.05)
        return Snapshot(self.index_dir, self.nprobe)
