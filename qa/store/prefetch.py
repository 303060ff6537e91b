"""Warming a generation's files into the page cache in the background, when memory allows."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path


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
