"""Plain-data version rows and the pure function that turns a batch of writes into rows.

Every stored version of an item is one :class:`Row`. Exactly one row per (namespace, key) is
``current``: the live value, or a tombstone after a delete. A write never changes an old row
except to clear its ``current`` flag (and drop its search text), so history is never lost.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from harness.errors import StoreError
from harness.memory.schemas import memory_text
from harness.memory.store._filters import lookup
from harness.memory.store._namespaces import Namespace, check_key, check_namespace

Pair = tuple[Namespace, str]
IndexSpec = bool | Sequence[str] | None


@dataclass(frozen=True)
class PreparedWrite:
    """A validated put (``value_json`` set) or delete (``value_json`` None), ready to commit."""

    namespace: Namespace
    key: str
    value_json: str | None
    text: str = ""
    kind: str | None = None
    vector: np.ndarray | None = None

    @property
    def pair(self) -> Pair:
        return (self.namespace, self.key)


@dataclass(frozen=True)
class Row:
    namespace: Namespace
    key: str
    version: int
    value_json: str
    text: str
    kind: str | None
    vector: np.ndarray | None
    deleted: bool
    current: bool
    created_at: datetime
    updated_at: datetime

    @property
    def pair(self) -> Pair:
        return (self.namespace, self.key)

    @property
    def indexed(self) -> bool:
        return self.current and not self.deleted and self.vector is not None

    def value(self) -> dict[str, Any]:
        return json.loads(self.value_json)


def prepare(
    namespace: Sequence[str],
    key: str,
    value: Mapping[str, Any] | None,
    index: IndexSpec,
    default_fields: Sequence[str] | None,
) -> PreparedWrite:
    """Validate one write and compute the text it is searched by ("" when not indexed)."""
    ns = check_namespace(namespace)
    check_key(key)
    if value is None:
        return PreparedWrite(ns, key, None)
    if not isinstance(value, Mapping):
        raise StoreError(f"{ns!r}/{key}: value must be a dict, got {type(value).__name__}")
    try:
        value_json = json.dumps(dict(value), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{ns!r}/{key}: value is not JSON-serialisable: {exc}") from exc
    kind = value.get("kind")
    if index is False:
        text = ""
    elif index is None or index is True:
        text = index_text(value, default_fields)
    else:
        text = index_text(value, index)
    return PreparedWrite(ns, key, value_json, text, kind if isinstance(kind, str) else None)


def index_text(value: Mapping[str, Any], fields: Sequence[str] | None) -> str:
    """The text an item is embedded and full-text indexed by.

    By default the project's one text form of the memory, ``memory_text(value["content"])`` (or of
    the whole value when it has no ``content``); with ``fields``, the text forms of those dotted
    paths joined by ``"; "`` (missing paths are skipped).
    """
    if isinstance(fields, str):
        raise StoreError(f"index must be a list of field paths, not the string {fields!r}")
    if not fields:
        return memory_text(value.get("content", value)).strip()
    parts = []
    for path in fields:
        found = lookup(value, tuple(path.split(".")))
        if found is not None:
            parts.append(_field_text(found))
    return "; ".join(p for p in parts if p).strip()


def _field_text(found: Any) -> str:
    if isinstance(found, dict):
        return memory_text(found)
    if isinstance(found, list):
        return ", ".join(_field_text(item) for item in found)
    return str(found)


def plan_commit(
    current: Mapping[Pair, Row], writes: Iterable[PreparedWrite], clock: Callable[[], datetime]
) -> list[Row]:
    """The rows to upsert for ``writes`` applied in order on top of the ``current`` rows.

    Returns superseded rows (``current=False``, text dropped) and new rows; each (namespace, key,
    version) appears once. Deleting a missing or already deleted item is a no-op.
    """
    state = dict(current)
    out: dict[tuple[Pair, int], Row] = {}
    for write in writes:
        prev = state.get(write.pair)
        live = prev is not None and not prev.deleted
        if write.value_json is None and not live:
            continue
        now = clock()
        if prev is not None:
            out[(prev.pair, prev.version)] = replace(prev, current=False, text="")
        if write.value_json is None:
            assert prev is not None
            row = Row(*write.pair, prev.version + 1, "{}", "", None, None, True, True,
                      prev.created_at, now)  # fmt: skip
        else:
            row = Row(
                *write.pair,
                version=prev.version + 1 if prev else 1,
                value_json=write.value_json,
                text=write.text,
                kind=write.kind,
                vector=write.vector if write.text else None,
                deleted=False,
                current=True,
                created_at=prev.created_at if live and prev else now,
                updated_at=now,
            )
        out[(row.pair, row.version)] = row
        state[write.pair] = row
    return list(out.values())


class MonotonicClock:
    """UTC "now" that never repeats or runs backwards within a process (microsecond steps)."""

    def __init__(self) -> None:
        self._last = datetime.min.replace(tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            now = datetime.now(UTC)
            if now <= self._last:
                now = self._last + timedelta(microseconds=1)
            self._last = now
            return now


clock = MonotonicClock()
