"""What commits and listings need to know about existing items, without a query each time.

A commit must know the current version row of every item it touches (for the next version
number, ``created_at`` and the row it supersedes). ``Heads`` keeps a light copy (no vector) of the
current row of every item, loaded once and updated by our own commits. It is trusted only while
the table is at the version our last commit (or maintenance) produced; when another writer has
committed in between, a commit reloads it and a read falls back to a LanceDB query. Very large
tables fall back to one query per commit.

The same copy answers listings, ``get`` and namespace lookups while it is fresh: the replay
runner lists a namespace before every session, and a LanceDB query costs milliseconds of
planning where this costs microseconds.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from harness._compat.lancedb import next_version
from harness.memory.store import _lance_rows as lr
from harness.memory.store._filters import sql_str
from harness.memory.store._namespaces import to_path
from harness.memory.store._versions import Pair, PreparedWrite, Row, plan_commit

_LIGHT_COLUMNS = [
    "ns_path", "key", "version", "current", "deleted", "indexed", "kind", "value", "text",
    "created_at", "updated_at",
]  # fmt: skip


class Heads:
    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self._lock = threading.Lock()  # commits update from a worker thread; reads run anywhere
        self._rows: dict[Pair, Row] | None = None
        self._by_path: dict[str, dict[str, Row]] = {}
        self._paths: list[str] = []  # sorted keys of _by_path, for prefix ranges
        self._version = -1
        self.loads = 0

    # -- the commit path (called under the store's write lock) --------------------------------

    def lookup(self, table: Any, pairs: set[Pair]) -> dict[Pair, Row]:
        """The current rows of ``pairs`` that exist (live or tombstone)."""
        if self._rows is None or table.version != self._version:
            self.load(table)
        with self._lock:
            rows = self._rows
            if rows is not None:
                return {pair: rows[pair] for pair in pairs if pair in rows}
        return _query(table, pairs)

    def committed(self, rows: Iterable[Row], version: int) -> None:
        """Record our own commit, which produced table ``version``."""
        with self._lock:
            if self._rows is None or version != next_version(self._version):
                self._reset()  # someone else committed too: reload before trusting it again
                return
            self._keep(rows)
            self._version = version

    def plan(self, writes: Sequence[PreparedWrite], clock: Callable[[], datetime]) -> list[Row]:
        """Plan ``writes`` against the copy and apply them to it at once (exclusive stores,
        whose copy is the truth: nothing else writes their table)."""
        with self._lock:
            assert self._rows is not None
            rows = plan_commit(self._rows, writes, clock)
            self._keep(rows)
            return rows

    def moved(self, table: Any) -> None:
        """Our own maintenance (index build, optimize) changed the version, not the rows."""
        with self._lock:
            if self._rows is not None:
                self._version = table.version

    # -- reads --------------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._rows is not None

    def under(self, version: int | None, prefix: str) -> list[Row] | None:
        """Current rows (tombstones included) whose namespace path starts with ``prefix``, or
        None when the copy is not loaded or not at ``version`` (the table's latest; None: trust
        the copy)."""
        with self._lock:
            if self._rows is None or version not in (None, self._version):
                return None
            start = bisect.bisect_left(self._paths, prefix)
            found: list[Row] = []
            for path in self._paths[start:]:
                if not path.startswith(prefix):
                    break
                found.extend(self._by_path[path].values())
            return found

    def one(self, version: int | None, pair: Pair) -> tuple[bool, Row | None]:
        """``(known, row)``: whether the copy (at table ``version``; None: trust it) can
        answer, and the current row if any."""
        with self._lock:
            if self._rows is None or version not in (None, self._version):
                return False, None
            return True, self._rows.get(pair)

    # -- internals ----------------------------------------------------------------------------

    def _keep(self, rows: Iterable[Row]) -> None:
        """Copy the current rows among ``rows`` (light: no vector; the text stays, for
        searches ranked by their own items' statistics)."""
        for row in rows:
            if row.current:
                self._put(replace(row, vector=None))

    def _put(self, row: Row) -> None:
        assert self._rows is not None
        self._rows[row.pair] = row
        path = to_path(row.namespace)
        keys = self._by_path.get(path)
        if keys is None:
            keys = self._by_path[path] = {}
            bisect.insort(self._paths, path)
        keys[row.key] = row

    def _reset(self) -> None:
        self._rows, self._version = None, -1
        self._by_path, self._paths = {}, []

    def load(self, table: Any) -> None:
        version = table.version  # read first: a commit landing during the scan forces a reload
        count = table.count_rows("current = true")
        if count > self.limit:
            with self._lock:
                self._reset()
            return
        found = table.search().where("current = true").select(_LIGHT_COLUMNS).limit(None)
        rows = lr.rows_from_arrow(found.to_arrow())
        with self._lock:
            self._reset()
            self._rows = {}
            for row in rows:
                self._put(row)
            self._version = version
            self.loads += 1


def _query(table: Any, pairs: set[Pair]) -> dict[Pair, Row]:
    paths = sorted({to_path(ns) for ns, _ in pairs})
    keys = sorted({key for _, key in pairs})
    where = (
        f"current = true AND ns_path IN ({', '.join(map(sql_str, paths))}) "
        f"AND key IN ({', '.join(map(sql_str, keys))})"
    )
    found = table.search().where(where).select(_LIGHT_COLUMNS).limit(None).to_arrow()
    return {r.pair: r for r in lr.rows_from_arrow(found) if r.pair in pairs}
