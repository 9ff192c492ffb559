"""A store that lives in a dict: the same API and semantics as LanceStore, no persistence.

Useful for quick experiments and tests. Vector search is exact cosine over numpy arrays; full-text
search is a small BM25 over word tokens; hybrid fuses both by reciprocal rank, as LanceStore does.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import numpy as np

from harness.memory.store._filters import Condition, matches
from harness.memory.store._namespaces import Namespace, has_prefix
from harness.memory.store._ranking import bm25_scores, ranked
from harness.memory.store._versions import Pair, PreparedWrite, Row, clock, plan_commit
from harness.memory.store.base import BaseStore, Item, ItemVersion

if TYPE_CHECKING:  # pragma: no cover
    from harness.models.embeddings import Embedder


class InMemoryStore(BaseStore):
    """Every version of every item in process memory; thread- and task-safe."""

    def __init__(
        self, *, embedder: Embedder | str | None = None, index_fields: Sequence[str] | None = None
    ) -> None:
        super().__init__(embedder=embedder, index_fields=index_fields)
        self._versions: dict[Pair, list[Row]] = {}
        self._lock = threading.Lock()

    async def _acommit(self, writes: list[PreparedWrite]) -> None:
        with self._lock:
            current = {
                w.pair: self._versions[w.pair][-1] for w in writes if w.pair in self._versions
            }
            for row in plan_commit(current, writes, clock):
                versions = self._versions.setdefault(row.pair, [])
                if versions and versions[-1].version == row.version:
                    versions[-1] = row
                else:
                    versions.append(row)

    def _live(self, prefix: Namespace, conditions: list[Condition]) -> list[Row]:
        with self._lock:
            rows = [v[-1] for v in self._versions.values()]
        live = [r for r in rows if not r.deleted and has_prefix(r.namespace, prefix)]
        return [r for r in live if matches(r.value(), conditions)] if conditions else live

    async def _aget(self, namespace: Namespace, key: str) -> Item | None:
        with self._lock:
            versions = self._versions.get((namespace, key))
            row = versions[-1] if versions else None
        return None if row is None or row.deleted else _item(row)

    async def _ahistory(self, namespace: Namespace, key: str) -> list[ItemVersion]:
        with self._lock:
            versions = list(self._versions.get((namespace, key), ()))
        return [_version(r) for r in versions]

    async def _anamespaces(self, prefix: Namespace) -> list[Namespace]:
        return [r.namespace for r in self._live(prefix, [])]

    async def _alist(self, prefix: Namespace, conditions: list[Condition]) -> list[Item]:
        return [_item(r) for r in self._live(prefix, conditions)]

    async def _avector(
        self, prefix: Namespace, vector: np.ndarray, conditions: list[Condition], k: int
    ) -> list[Item]:
        rows = [r for r in self._live(prefix, conditions) if r.indexed]
        if not rows:
            return []
        vectors = np.stack([cast(np.ndarray, r.vector) for r in rows])
        scores = vectors @ np.asarray(vector, dtype=np.float32)
        items = [_item(r, float(s)) for r, s in zip(rows, scores, strict=True)]
        return ranked(items)[:k]

    async def _afts(
        self, prefix: Namespace, query: str, conditions: list[Condition], k: int
    ) -> list[Item]:
        rows = [r for r in self._live(prefix, conditions) if r.indexed]
        scores = bm25_scores(query, [r.text for r in rows])
        items = [_item(r, s) for r, s in zip(rows, scores, strict=True) if s > 0]
        return ranked(items)[:k]


def _item(row: Row, score: float | None = None) -> Item:
    return Item(row.namespace, row.key, row.value(), row.created_at, row.updated_at, score)


def _version(row: Row) -> ItemVersion:
    return ItemVersion(
        row.namespace,
        row.key,
        row.version,
        row.value(),
        row.created_at,
        row.updated_at,
        row.deleted,
    )
