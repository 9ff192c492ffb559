"""An event loop on a fake clock: timers fire in order, at once, without waiting real time.

When nothing is ready to run and no executor job is in flight, the clock jumps to the next
timer. Work handed to threads (litellm runs part of every call in the executor) is waited for
in real time, so a timeout can only fire because the awaited thing really is still pending.
Tests then assert the clock's reading instead of wall-clock time, which is never flaky.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class FakeClockLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self._threads = 0

    def time(self) -> float:
        return self.now

    def run_in_executor(self, executor: Any, func: Any, *args: Any) -> asyncio.Future:
        future = super().run_in_executor(executor, func, *args)
        self._threads += 1
        future.add_done_callback(self._thread_done)
        return future

    def _thread_done(self, _: asyncio.Future) -> None:
        self._threads -= 1

    def _run_once(self) -> None:
        idle = not self._ready and not self._threads  # type: ignore[attr-defined]
        scheduled = [h for h in self._scheduled if not h.cancelled()]  # type: ignore[attr-defined]
        if idle and scheduled:
            self.now = max(self.now, min(h.when() for h in scheduled))
        super()._run_once()  # type: ignore[misc]


def run_on_fake_clock(coro: Coroutine[Any, Any, T]) -> tuple[T, float]:
    """Run ``coro`` on a fresh fake-clock loop; return its result and the seconds it took there."""
    loop = FakeClockLoop()
    try:
        result = loop.run_until_complete(coro)
        return result, loop.now
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
