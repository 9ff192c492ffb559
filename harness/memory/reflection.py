"""Background memory work: ``ReflectionExecutor`` runs a manager off the request path.

Work is debounced per thread id (a newer submit replaces a pending one for the same thread), runs
concurrently across threads up to ``max_workers``, and never overlaps for one thread. All work runs
as tasks on the project's shared event loop, so a manager's async path is used directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Awaitable
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass, field
from typing import Any, Protocol

from harness._async import background_loop
from harness.errors import ConfigurationError

logger = logging.getLogger(__name__)


class _AsyncInvocable(Protocol):
    async def ainvoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any: ...


class Clock(Protocol):
    """Time source for delays; tests pass a :class:`ManualClock` to make scheduling deterministic.

    Deadlines are absolute (fixed at submit time), so when a sleeper starts waiting never matters.
    """

    def now(self) -> float: ...

    async def sleep_until(self, deadline: float) -> None: ...


class RealClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep_until(self, deadline: float) -> None:
        delay = deadline - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


class ManualClock:
    """A clock that only moves when told to: ``advance(seconds)`` wakes every sleeper now due."""

    def __init__(self) -> None:
        self._now = 0.0
        self._sleepers: list[tuple[float, asyncio.Event]] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    async def sleep_until(self, deadline: float) -> None:
        event = asyncio.Event()
        entry = (deadline, event)
        with self._lock:
            self._sleepers.append(entry)
        self._wake_due()
        try:
            await event.wait()
        finally:
            with self._lock:
                if entry in self._sleepers:
                    self._sleepers.remove(entry)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
        self._wake_due()

    def _wake_due(self) -> None:
        with self._lock:
            due = [event for deadline, event in self._sleepers if deadline <= self._now]
        for event in due:
            background_loop().call_soon_threadsafe(event.set)


@dataclass
class _Job:
    thread_id: str
    payload: Any
    config: dict[str, Any] | None
    due: float
    future: Future[Any] = field(default_factory=Future)
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class ReflectionExecutor:
    """Schedules manager runs in the background and hands back a ``Future`` for each.

    ``submit(..., after_seconds=N)`` waits N seconds before running; if another submit for the same
    ``thread_id`` arrives first, the earlier future is cancelled and only the newer payload runs.
    ``shutdown(wait=True)`` runs whatever is still pending at once and waits for all of it.
    """

    def __init__(
        self,
        manager: _AsyncInvocable,
        *,
        store: Any | None = None,
        max_workers: int = 4,
        clock: Clock | None = None,
    ) -> None:
        if max_workers < 1:
            raise ConfigurationError("ReflectionExecutor needs max_workers >= 1")
        self._manager = manager
        self._store = store
        self._clock = clock or RealClock()
        self._max_workers = max_workers
        # Re-entrant: Future.cancel() runs done-callbacks (which take the lock) synchronously.
        self._lock = threading.RLock()
        self._pending: dict[str, _Job] = {}
        self._thread_locks: dict[str, asyncio.Lock] = {}
        self._active: set[Future[Any]] = set()
        self._semaphore: asyncio.Semaphore | None = None
        self._closed = False
        self._ids = itertools.count()

    def submit(
        self,
        payload: Any,
        config: dict[str, Any] | None = None,
        *,
        after_seconds: float = 0,
        thread_id: str | None = None,
    ) -> Future[Any]:
        """Schedule ``manager.ainvoke(payload, config)``; returns a future with its result."""
        if after_seconds < 0:
            raise ConfigurationError("after_seconds must be >= 0")
        thread_id = thread_id or _thread_id_from(config) or f"anonymous-{next(self._ids)}"
        job = _Job(thread_id, payload, config, self._clock.now() + after_seconds)
        with self._lock:
            if self._closed:
                raise RuntimeError("ReflectionExecutor is shut down")
            previous = self._pending.get(thread_id)
            if previous is not None:
                previous.future.cancel()
                background_loop().call_soon_threadsafe(previous.wake.set)
            self._pending[thread_id] = job
            self._active.add(job.future)
        job.future.add_done_callback(self._forget)
        asyncio.run_coroutine_threadsafe(self._schedule(job), background_loop())
        return job.future

    def shutdown(self, wait: bool = True, *, cancel_pending: bool = False) -> None:
        """Stop accepting work; by default run pending jobs now and wait for every job to finish."""
        with self._lock:
            self._closed = True
            pending = list(self._pending.values())
        for job in pending:
            if cancel_pending:
                job.future.cancel()
            background_loop().call_soon_threadsafe(job.wake.set)
        if wait:
            for future in list(self._active):
                with contextlib.suppress(CancelledError):
                    future.exception()

    def __enter__(self) -> ReflectionExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(wait=True)

    @property
    def pending_count(self) -> int:
        with self._lock:
            return len(self._pending)

    def _forget(self, future: Future[Any]) -> None:
        with self._lock:
            self._active.discard(future)

    async def _schedule(self, job: _Job) -> None:
        with self._lock:
            flush_now = self._closed
        if not flush_now:
            await _first_of(self._clock.sleep_until(job.due), job.wake.wait())
        with self._lock:
            if self._pending.get(job.thread_id) is not job:
                job.future.cancel()  # superseded by a newer submit for the same thread
                return
            del self._pending[job.thread_id]
            # The future is the single gate: cancel() and this call cannot both win.
            if not job.future.set_running_or_notify_cancel():
                return
        await self._run(job)

    async def _run(self, job: _Job) -> None:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self._max_workers)
        thread_lock = self._thread_locks.setdefault(job.thread_id, asyncio.Lock())
        async with thread_lock, self._semaphore:
            try:
                result = await self._invoke(job)
            except BaseException as error:  # hand every failure to the caller's future
                job.future.set_exception(error)
                if not isinstance(error, Exception):
                    raise
                logger.warning("reflection for thread %s failed: %s", job.thread_id, error)
            else:
                job.future.set_result(result)

    def _invoke(self, job: _Job) -> Awaitable[Any]:
        kwargs: dict[str, Any] = {}
        if self._store is not None:
            kwargs["store"] = self._store
        if job.config is not None or kwargs:
            return self._manager.ainvoke(job.payload, job.config, **kwargs)
        return self._manager.ainvoke(job.payload)


async def _first_of(*awaitables: Awaitable[Any]) -> None:
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def _thread_id_from(config: dict[str, Any] | None) -> str | None:
    if not config:
        return None
    configurable = config.get("configurable") or {}
    value = configurable.get("thread_id")
    return None if value is None else str(value)


__all__ = ["Clock", "ManualClock", "RealClock", "ReflectionExecutor"]
