"""Long commands (run, optimize, matrix) stop the same way on Ctrl-C, SIGTERM and SIGHUP.

``timeout``, CI cancellation and a closed terminal send SIGTERM or SIGHUP, not SIGINT; left to
Python's defaults they kill the process at once, leaving its run ``running`` and its temporary
store behind. Here every one of them cancels the command's task on the harness event loop and
waits (bounded) for its cleanup: statuses recorded as ``interrupted``, temporary folders removed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import signal
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["CLEANUP_TIMEOUT_S", "Interrupted", "run_interruptible"]

CLEANUP_TIMEOUT_S = 120.0
"""How long an interrupted command waits for its task to record its status and clean up."""
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(Exception):
    """The command was stopped by a signal; ``exit_code`` is the shell's 128 + signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum


def run_interruptible(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the harness event loop; on SIGINT, SIGTERM or SIGHUP cancel it, wait for
    its cleanup and raise :class:`Interrupted`."""
    from harness._async import background_loop

    loop = background_loop()
    started: concurrent.futures.Future[asyncio.Task[Any]] = concurrent.futures.Future()
    finished: concurrent.futures.Future[None] = concurrent.futures.Future()

    async def main() -> T:
        started.set_result(asyncio.current_task())  # type: ignore[arg-type]
        try:
            return await coro
        finally:
            finished.set_result(None)

    received: list[int] = []
    with _signals_as_keyboard_interrupt(received):
        try:
            return _wait(asyncio.run_coroutine_threadsafe(main(), loop))
        except KeyboardInterrupt:  # perhaps before the task even started
            received.append(signal.SIGINT)
    # A second signal must not cut the cleanup short.
    with _signals_ignored(), contextlib.suppress(concurrent.futures.TimeoutError):
        loop.call_soon_threadsafe(started.result(timeout=30).cancel)
        finished.result(timeout=CLEANUP_TIMEOUT_S)
    raise Interrupted(received[0])


def _wait(future: concurrent.futures.Future[T]) -> T:
    """The future's result, waking every 0.1 s: a signal the kernel hands to another thread only
    runs its Python handler when the main thread runs bytecode, and an untimed wait would not."""
    while not future.done():
        concurrent.futures.wait([future], timeout=0.1)
    return future.result()


@contextlib.contextmanager
def _signals_as_keyboard_interrupt(received: list[int]) -> Iterator[None]:
    def interrupt(signum: int, _frame: Any) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    with _handlers(interrupt):
        yield


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    with _handlers(signal.SIG_IGN, also_sigint=True):
        yield


@contextlib.contextmanager
def _handlers(handler: Any, *, also_sigint: bool = False) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():  # only the main thread may
        yield
        return
    signals = (*_SIGNALS, signal.SIGINT) if also_sigint else _SIGNALS
    previous = {signum: signal.signal(signum, handler) for signum in signals}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
