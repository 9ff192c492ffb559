"""The single bridge from sync to async code.

Every public sync method in the project is a one-line call to :func:`run_sync` on its async twin.
All sync calls share one long-lived event loop in a daemon thread, so clients that bind to a loop
(litellm's HTTP sessions) see one loop per process no matter how many sync calls are made.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

EXECUTOR_THREADS = 32
_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def background_loop() -> asyncio.AbstractEventLoop:
    """The shared loop, started on first use.

    Its default executor is larger than asyncio's (CPU count + 4): litellm runs the synchronous
    half of every model call there, and a run's own blocking work (LanceDB commits, embedding
    batches, result writes) must not leave dozens of concurrent model calls queueing for a
    thread. The threads mostly wait, so their number costs little.
    """
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            loop.set_default_executor(
                ThreadPoolExecutor(max_workers=EXECUTOR_THREADS, thread_name_prefix="harness")
            )
            thread = threading.Thread(target=loop.run_forever, name="harness-loop", daemon=True)
            thread.start()
            _loop = loop
        return _loop


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from sync code and return its result.

    Raises ``RuntimeError`` when called from inside the shared loop itself, where blocking would
    deadlock; async callers must await the async twin instead.
    """
    loop = background_loop()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        coro.close()
        raise RuntimeError("run_sync() called from the harness event loop; await the async method")
    return asyncio.run_coroutine_threadsafe(coro, loop).result()


def shared_loop() -> asyncio.AbstractEventLoop | None:
    """The shared loop if it has been started and still runs (never starts it)."""
    loop = _loop
    return loop if loop is not None and loop.is_running() else None
