"""The single bridge from sync to async code.

Every public sync method in the project is a one-line call to :func:`run_sync` on its async twin.
All sync calls share one long-lived event loop in a daemon thread, so clients that bind to a loop
(litellm's HTTP sessions) see one loop per process no matter how many sync calls are made.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def background_loop() -> asyncio.AbstractEventLoop:
    """The shared loop, started on first use."""
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
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
