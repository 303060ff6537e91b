"""Work for a request that stops mattering when its client hangs up."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import anyio
from anyio import to_thread
from litestar import Request

T = TypeVar("T")


async def while_connected(request: Request, work: Callable[[Callable[[], bool]], T]) -> T:
    """`work(wanted)` on a worker thread while this task listens for the client's disconnect: `wanted()` turns
    false when the client has gone (a closed tab, a timed-out fetch), so that a question nobody will read is
    dropped instead of holding the cores from those still waiting."""
    gone = threading.Event()

    async def listen() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass
        gone.set()

    failed: Exception | None = None
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(listen)
        try:
            result = await to_thread.run_sync(work, lambda: not gone.is_set(), abandon_on_cancel=True)
        except anyio.get_cancelled_exc_class():  # Ray Serve cancels a request whose client has gone
            gone.set()  # the thread, left behind, gives up at its next wait
            raise
        except Exception as exc:  # raised as itself, not inside the task group's ExceptionGroup
            failed = exc
        tasks.cancel_scope.cancel()
    if failed:
        raise failed
    return result
