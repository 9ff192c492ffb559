"""LanceDB behind one door: what the memory store needs beyond LanceDB's public API.

The store (:mod:`harness.memory.store.lance`) writes and maintains its table through LanceDB's
public sync API. Three things it needs go beyond it, and ``tests/compat/test_lancedb_compat.py``
checks each against the installed release, so an upgrade fails there, loudly:

- :func:`query_arrow`: searches and listings are built on the async table under the sync one
  (``LanceTable._table``) and run in one trip to LanceDB's own event loop
  (``lancedb.background_loop.LOOP``). The public sync builders (``table.search(...)``) make
  several trips, each re-reading the schema: measured with ``tests/benchmarks/bench_store.py``
  (2,000 memories, 20 namespaces, median of 5 runs, load average 15-26 on 2 cores), their
  search p50 was 20-70 % slower (vector in one namespace 23.7 ms against 18.8 ms, full text
  over all 12.8 against 7.4, hybrid over all 50.9 against 41.6).
- :func:`latest_version`: the table's latest version, awaited without blocking the caller's
  loop (the public ``LanceTable.version`` blocks a thread until that loop answers).
- :func:`next_version`: each commit (``add``, ``merge_insert``) makes exactly one new table
  version, so a store that knows the version its last commit produced can tell whether anyone
  else committed since.

One behaviour is relied on too, checked by the same tests: rows a full-text index does not
cover are scored by a flat search with the statistics of the rows the search's filter keeps
(what :mod:`harness.memory.store._lance_scoped` builds its per-search rankings on).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pyarrow as pa


class LanceDBChanged(RuntimeError):
    """The installed LanceDB lacks an internal this module relies on."""


def _async_table(table: Any) -> Any:
    inner = getattr(table, "_table", None)
    if inner is None or not hasattr(inner, "version"):
        raise LanceDBChanged(
            "LanceDB changed: LanceTable._table (the async table) is gone; "
            "harness/_compat/lancedb.py needs updating for this release"
        )
    return inner


def _loop() -> asyncio.AbstractEventLoop:
    try:
        from lancedb.background_loop import LOOP
    except ImportError as exc:
        raise LanceDBChanged(
            f"LanceDB changed: lancedb.background_loop.LOOP is gone ({exc}); "
            "harness/_compat/lancedb.py needs updating for this release"
        ) from exc
    loop: asyncio.AbstractEventLoop = LOOP.loop
    return loop


def query_arrow(table: Any, build: Callable[[Any], Any]) -> pa.Table:
    """Run the query ``build(async_table)`` builds on ``table`` (a sync ``LanceTable``) and
    return its rows, in one trip to LanceDB's event loop. Blocks: call it from a worker thread."""
    result: pa.Table = _run(build(_async_table(table)).to_arrow())
    return result


def _run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run_coroutine_threadsafe(coro, _loop()).result()


async def latest_version(table: Any) -> int:
    """The latest version of ``table`` (a sync ``LanceTable``), asked on LanceDB's own loop and
    awaited, so a busy LanceDB never blocks the caller's loop."""
    asked = asyncio.run_coroutine_threadsafe(_async_table(table).version(), _loop())
    version: int = await asyncio.wrap_future(asked)
    return version


def next_version(version: int) -> int:
    """The table version one commit makes after ``version``."""
    return version + 1
