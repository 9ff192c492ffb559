"""What a commit needs to know about existing items, without a query per write.

A commit must know the current version row of every item it touches (for the next version
number, ``created_at`` and the row it supersedes). ``Heads`` keeps a light copy (no vector) of the
current row of every item, loaded once and updated by our own commits. It is trusted only while
the table is at the version our last commit (or maintenance) produced; when another writer has
committed in between, it is reloaded. Very large tables fall back to one query per commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from harness.memory.store import _lance_rows as lr
from harness.memory.store._filters import sql_str
from harness.memory.store._namespaces import to_path
from harness.memory.store._versions import Pair, Row

_LIGHT_COLUMNS = [
    "ns_path", "key", "version", "current", "deleted", "indexed", "kind", "value", "text",
    "created_at", "updated_at",
]  # fmt: skip


class Heads:
    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self._rows: dict[Pair, Row] | None = None
        self._version = -1
        self.loads = 0

    def lookup(self, table: Any, pairs: set[Pair]) -> dict[Pair, Row]:
        """The current rows of ``pairs`` that exist (live or tombstone)."""
        if self._rows is None or table.version != self._version:
            self._load(table)
        if self._rows is None:
            return _query(table, pairs)
        return {pair: self._rows[pair] for pair in pairs if pair in self._rows}

    def committed(self, rows: Iterable[Row], version: int) -> None:
        """Record our own commit, which produced table ``version``."""
        if self._rows is None or version != self._version + 1:
            self._rows, self._version = None, -1  # someone else committed too: reload
            return
        for row in rows:
            if row.current:
                self._rows[row.pair] = replace(row, vector=None, text="")
        self._version = version

    def moved(self, table: Any) -> None:
        """Our own maintenance (index build, optimize) changed the version, not the rows."""
        if self._rows is not None:
            self._version = table.version

    def _load(self, table: Any) -> None:
        version = table.version  # read first: a commit landing during the scan forces a reload
        count = table.count_rows("current = true")
        if count > self.limit:
            self._rows, self._version = None, -1
            return
        found = table.search().where("current = true").select(_LIGHT_COLUMNS).limit(None)
        self._rows = {row.pair: row for row in lr.rows_from_arrow(found.to_arrow())}
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
