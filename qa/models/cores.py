"""Sharing this process's cores among concurrent model calls: a call that runs alone gets all of them; calls that
run together get one each. On 2 cores the int8 reader reads 17.5 questions' windows a second with every call on 2
threads, 12.7 on 1, and 25 with two 1-thread calls side by side (`benchmarks/cores.py`): a second thread
speeds one call up by 1.4x, a second call by 2x. Each call still reads only its own windows, so an answer never
depends on the questions asked beside it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from qa.errors import Abandoned

WANTED: ContextVar[Callable[[], bool]] = ContextVar("wanted", default=lambda: True)
"""Whether someone still waits for the question this thread answers: `QAService.ask` sets it for one question,
and a call that has waited for a core asks it before reading, so a question whose asker has gone is dropped."""
RECHECK_SECONDS = 0.25  # how often a call waiting for a core asks WANTED


class SharedCores:
    """A runner over `cores` cores made of `make(threads)` runners: one on every core, for a call that finds
    nothing else running or waiting, and one per core on a single thread, for calls side by side."""

    def __init__(self, make: Callable[[int], Callable[[Any], Any]], cores: int):
        self.cores = cores
        self.wide = make(cores)
        self._idle = [make(1) for _ in range(cores)]  # single-threaded runners not in use
        self._free = cores  # cores no call holds
        self._waiting = 0  # calls in `_take`, this one included
        self._changed = threading.Condition()

    def __call__(self, inputs: Any) -> Any:
        runner = self._take()
        try:
            return runner(inputs)
        finally:
            self._give(runner)

    def _take(self) -> Callable[[Any], Any]:
        wanted = WANTED.get()
        with self._changed:
            self._waiting += 1
            try:
                while not self._free:
                    self._changed.wait(RECHECK_SECONDS)
                    if not wanted():
                        raise Abandoned("the question was dropped unread: no one waits for it any more")
                if self._free == self.cores and self._waiting == 1:  # alone: every core, for the shortest wait
                    self._free = 0
                    return self.wide
                self._free -= 1
                return self._idle.pop()
            finally:
                self._waiting -= 1

    def _give(self, runner: Callable[[Any], Any]) -> None:
        with self._changed:
            if runner is self.wide:
                self._free = self.cores
            else:
                self._idle.append(runner)
                self._free += 1
            self._changed.notify_all()
