"""Sharing this process's cores among concurrent model calls: a call that runs alone gets all of them; calls that
run together get one each. On 2 cores the int8 reader reads 17.5 questions' windows a second with every call on 2
threads, 12.7 on 1, and 25 with two 1-thread calls side by side (`benchmarks/cores.py`): a second thread
speeds one call up by 1.4x, a second call by 2x. Each call still reads only its own windows, so an answer never
depends on the questions asked beside it."""

from __future__ import annotations

import threading
from collections import deque
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
    nothing else running or waiting, and one per core on a single thread, for calls side by side. Calls get
    cores in the order they came (first come, first served: under load every question waits about as long),
    and only the call next in line is woken when a core frees."""

    def __init__(self, make: Callable[[int], Callable[[Any], Any]], cores: int):
        self.cores = cores
        self.wide = make(cores)
        self._idle = [make(1) for _ in range(cores)]  # single-threaded runners not in use
        self._free = cores  # cores no call holds
        self._lock = threading.Lock()
        self._line: deque[threading.Condition] = deque()  # calls waiting for a core, first come first

    def __call__(self, inputs: Any) -> Any:
        runner, wide = self._take()
        try:
            return runner(inputs)
        finally:
            self._give(runner, wide)

    def _take(self) -> tuple[Callable[[Any], Any], bool]:
        """A runner, and whether it is the one on every core."""
        wanted = WANTED.get()
        with self._lock:
            turn = threading.Condition(self._lock)
            self._line.append(turn)
            try:
                while not (self._free and self._line[0] is turn):
                    turn.wait(RECHECK_SECONDS)
                    if not wanted():
                        raise Abandoned("the question was dropped unread: no one waits for it any more")
            except BaseException:
                self._line.remove(turn)
                self._wake_next()
                raise
            self._line.popleft()
            if self._free == self.cores and not self._line:  # alone: every core, for the shortest wait
                self._free = 0
                return self.wide, True
            self._free -= 1
            self._wake_next()
            return self._idle.pop(), False

    def _give(self, runner: Callable[[Any], Any], wide: bool) -> None:
        with self._lock:
            if wide:
                self._free = self.cores
            else:
                self._idle.append(runner)
                self._free += 1
            self._wake_next()

    def _wake_next(self) -> None:
        """Wake the call first in line if a core is free for it (the lock is held)."""
        if self._free and self._line:
            self._line[0].notify()
