"""The one writer every case task hands its record to.

Group commit: a task queues its record and, if no write is in progress, writes everything queued
so far in one transaction on a worker thread; tasks whose records went out in someone else's
batch just wait for it. A case is only reported done once its rows are committed. If a batch
fails, its records are retried one by one, so one bad record cannot take others down with it.

A transaction has a fixed cost (about 8 ms of CPU for one case's rows, under 2 ms a case in
batches of ten or more), so a batch is not started sooner than :data:`MIN_COMMIT_INTERVAL_S`
after the previous one while fewer than :data:`FULL_BATCH` records wait and more are expected:
cases finishing meanwhile join it. Waiting records are cases in flight: an interrupt loses
them, as it loses the cases still replaying, and ``resume`` replays them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from harness.results.db import ResultsStore
from harness.results.records import CaseRecord


@dataclass
class WriterStats:
    batches: int = 0
    records: int = 0
    seconds: float = 0.0


MIN_COMMIT_INTERVAL_S = 0.25
FULL_BATCH = 32


@dataclass
class CaseWriter:
    """``expected``: how many records this run will write (None: unknown), so the last batch
    is committed at once instead of waiting for records that will not come."""

    results: ResultsStore
    expected: int | None = None
    stats: WriterStats = field(default_factory=WriterStats)
    _pending: list[tuple[CaseRecord, asyncio.Future[None]]] = field(default_factory=list)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _last_commit: float = float("-inf")
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)  # a record was queued

    async def write(self, record: CaseRecord) -> None:
        """Return once ``record`` and its rows are committed (raise if they cannot be)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((record, done))
        self._arrived.set()
        async with self._lock:
            if not done.done():
                await self._gather()
                batch, self._pending = self._pending, []
                await self._commit(batch)
        await done

    async def _gather(self) -> None:
        """Let more records join a small batch, up to the interval since the last commit."""
        loop = asyncio.get_running_loop()
        while True:
            wait = self._last_commit + MIN_COMMIT_INTERVAL_S - loop.time()
            more = self.expected is None or self.stats.records + len(self._pending) < self.expected
            if wait <= 0 or not more or len(self._pending) >= FULL_BATCH:
                break
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), wait)
        self._last_commit = loop.time()

    async def _commit(self, batch: list[tuple[CaseRecord, asyncio.Future[None]]]) -> None:
        started = time.perf_counter()
        try:
            await self._write([record for record, _ in batch])
            for _, done in batch:
                done.set_result(None)
        except Exception as exc:
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
            else:
                await self._one_by_one(batch)
        finally:
            for _, done in batch:
                if not done.done():  # cancelled mid-write: nobody may wait for ever
                    done.cancel()
            self.stats.batches += 1
            self.stats.records += len(batch)
            self.stats.seconds += time.perf_counter() - started

    async def _one_by_one(self, batch: list[tuple[CaseRecord, asyncio.Future[None]]]) -> None:
        for record, done in batch:
            try:
                await self._write([record])
            except Exception as exc:
                done.set_exception(exc)
            else:
                done.set_result(None)

    async def _write(self, records: list[CaseRecord]) -> None:
        await asyncio.to_thread(self.results.write_cases, records)
