"""How many model calls may be in flight at once, across every model a run uses.

A run opens ``with call_limit(CallLimit(n)):`` around its tasks; every call that reaches a model
inside it (a cache hit reaches none) holds one of the ``n`` slots for as long as the call and its
retries take, so the slots stay busy with model calls while the work around them (prompts,
parsing, store writes, scoring) runs beside them. A call's recorded latency starts once it has
its slot: time spent queued for one is reported to ``on_wait`` instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar

_limit: ContextVar[CallLimit | None] = ContextVar("harness_call_limit", default=None)


class CallLimit:
    """At most ``limit`` model calls at once; ``on_wait(seconds)`` hears of every wait."""

    def __init__(self, limit: int, on_wait: Callable[[float], None] | None = None) -> None:
        self.limit = limit
        self.on_wait = on_wait
        self._slots = asyncio.Semaphore(limit)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the block; waiting for it is reported, not counted in the block."""
        asked = time.perf_counter()
        async with self._slots:
            if self.on_wait is not None:
                self.on_wait(time.perf_counter() - asked)
            yield


@contextmanager
def call_limit(limit: CallLimit | None) -> Iterator[None]:
    """Make ``limit`` apply to the model calls inside the block (and tasks started in it)."""
    token = _limit.set(limit)
    try:
        yield
    finally:
        _limit.reset(token)


def current_call_limit() -> CallLimit | None:
    return _limit.get()
