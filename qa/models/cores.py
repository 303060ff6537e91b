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


class Cores:
    """A process's cores as calls take them: every core for a call that finds nothing else running or waiting, one
    each for calls side by side. Calls get cores in the order they came (first come, first served: under load every
    question waits about as long), and only the call next in line is woken when a core frees. Models that run in
    turn (a cascade's two readers) share one `Cores`, so that together they never hold more cores than there are."""

    def __init__(self, cores: int):
        self.cores = cores
        self._free = cores  # cores no call holds
        self._lock = threading.Lock()
        self._line: deque[threading.Condition] = deque()  # calls waiting for a core, first come first

    def take(self) -> bool:
        """Wait for a core; True if the call got every core."""
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
                return True
            self._free -= 1
            self._wake_next()
            return False

    def give(self, wide: bool) -> None:
        with self._lock:
            self._free = self.cores if wide else self._free + 1
            self._wake_next()

    def _wake_next(self) -> None:
        """Wake the call first in line if a core is free for it (the lock is held)."""
        if self._free and self._line:
            self._line[0].notify()


_PROCESS: dict[int, Cores] = {}
_PROCESS_LOCK = threading.Lock()


def process_cores(cores: int) -> Cores:
    """The one `Cores` of this process for calls on `cores` threads (every model made with the same thread count
    shares it)."""
    with _PROCESS_LOCK:
        return _PROCESS.setdefault(cores, Cores(cores))


class SharedCores:
    """A runner over `cores` cores made of `make(threads)` runners: one on every core, for a call that gets them all,
    and one per core on a single thread, for calls side by side (`Cores` decides which; `shared`: cores this model
    shares with others, else its own)."""

    def __init__(self, make: Callable[[int], Callable[[Any], Any]], cores: int, shared: Cores | None = None):
        self.cores = shared or Cores(cores)
        self.wide = make(self.cores.cores)
        self._idle = [make(1) for _ in range(self.cores.cores)]  # single-threaded runners not in use
        self._lock = threading.Lock()

    def __call__(self, inputs: Any) -> Any:
        wide = self.cores.take()
        if wide:
            runner = self.wide
        else:
            with self._lock:
                runner = self._idle.pop()
        try:
            return runner(inputs)
        finally:
            if not wide:
                with self._lock:
                    self._idle.append(runner)
            self.cores.give(wide)
