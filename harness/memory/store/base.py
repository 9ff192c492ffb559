"""The store contract shared by :class:`LanceStore` and :class:`InMemoryStore`.

``BaseStore`` does everything that does not depend on where rows live (validation, the text an
item is searched by, embedding, filters, hybrid fusion, ordering and paging); a backend
implements a handful of private async primitives. The async methods are the implementation; each
sync method is a one-line bridge through :func:`harness._async.run_sync`.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from harness._async import run_sync
from harness.errors import StoreError
from harness.memory.store._filters import Condition, compile_filter
from harness.memory.store._namespaces import (
    Namespace,
    check_key,
    check_namespace,
    check_page,
    select_namespaces,
)
from harness.memory.store._ranking import ranked, recency_key, rrf
from harness.memory.store._versions import IndexSpec, PreparedWrite, prepare
from harness.models.embeddings import get_embedder

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from harness.models.embeddings import Embedder

SearchMode = Literal["vector", "fts", "hybrid"]
SEARCH_MODES: tuple[str, ...] = ("vector", "fts", "hybrid")
PutEntry = (
    tuple[Sequence[str], str, Mapping[str, Any] | None]
    | tuple[Sequence[str], str, Mapping[str, Any] | None, IndexSpec]
)


@dataclass(frozen=True)
class Item:
    """One stored value. ``score`` is set by a search with a query (higher is better)."""

    namespace: Namespace
    key: str
    value: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (namespace as a list, timestamps as ISO 8601)."""
        return {
            "namespace": list(self.namespace),
            "key": self.key,
            "value": self.value,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "score": self.score,
        }


@dataclass(frozen=True)
class ItemVersion:
    """One version in an item's history; a delete is a version with ``deleted=True`` and ``{}``."""

    namespace: Namespace
    key: str
    version: int
    value: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    deleted: bool = False


class BaseStore(ABC):
    """Namespaced key-value memory store with vector, full-text and hybrid search and history.

    ``embedder`` is an :class:`~harness.models.embeddings.Embedder` or a name for
    :func:`~harness.models.embeddings.get_embedder` (default: the shared offline MiniLM).
    ``index_fields`` are dotted value paths to search by instead of the memory's text form.
    """

    def __init__(
        self, *, embedder: Embedder | str | None = None, index_fields: Sequence[str] | None = None
    ) -> None:
        self._embedder = embedder
        self.index_fields = list(index_fields) if index_fields else None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None or isinstance(self._embedder, str):
            self._embedder = get_embedder(self._embedder)
        return self._embedder

    # -- public async API --------------------------------------------------------------------

    async def aput(
        self,
        namespace: Sequence[str],
        key: str,
        value: Mapping[str, Any],
        index: IndexSpec = None,
    ) -> None:
        """Insert or replace ``value``; the replaced value stays in :meth:`ahistory`.

        ``index=False`` stores without making the item searchable by query; a list of dotted
        field paths searches it by those fields instead of its memory text.
        """
        if value is None:
            raise StoreError(f"{tuple(namespace)!r}/{key}: put() needs a value; use delete()")
        await self.aput_many([(namespace, key, value, index)])

    async def aput_many(self, entries: Iterable[PutEntry]) -> None:
        """Apply several puts (a ``None`` value deletes) as one batch, in order."""
        writes = [self._prepare(entry) for entry in entries]
        if not writes:
            return
        await self._acommit(await self._embed_writes(writes))

    async def adelete(self, namespace: Sequence[str], key: str) -> None:
        """Mark the item deleted (a tombstone version); deleting a missing item does nothing."""
        await self._acommit([prepare(namespace, key, None, None, None)])

    async def aget(self, namespace: Sequence[str], key: str) -> Item | None:
        """The live item, or None when it never existed or was deleted."""
        return await self._aget(check_namespace(namespace), check_key(key))

    async def ahistory(self, namespace: Sequence[str], key: str) -> list[ItemVersion]:
        """Every version of the item, oldest first; the last one is the current value/tombstone."""
        return await self._ahistory(check_namespace(namespace), check_key(key))

    async def alist_namespaces(
        self,
        *,
        prefix: Sequence[str] | None = None,
        suffix: Sequence[str] | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Namespace]:
        """Namespaces holding at least one live item, sorted, optionally truncated to a depth."""
        prefix_t = check_namespace(prefix or (), allow_empty=True)
        found = await self._anamespaces(prefix_t)
        return select_namespaces(
            found, prefix=prefix_t, suffix=suffix, max_depth=max_depth, limit=limit, offset=offset
        )

    async def asearch(
        self,
        namespace_prefix: Sequence[str],
        *,
        query: str | None = None,
        filter: Mapping[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        mode: SearchMode = "vector",
    ) -> list[Item]:
        """Items under ``namespace_prefix`` matching ``filter``, best match first.

        Without a query (``None`` or blank) items are listed most recently updated first with
        ``score=None``. ``mode``: ``"vector"`` (default; cosine similarity), ``"fts"`` (BM25) or
        ``"hybrid"`` (reciprocal-rank fusion of both).
        """
        prefix = check_namespace(namespace_prefix, allow_empty=True)
        conditions = compile_filter(filter)
        check_page(limit, offset)
        _check_mode(mode)
        if limit == 0:
            return []
        need = offset + limit
        if query is None or not query.strip():
            items = sorted(await self._alist(prefix, conditions), key=recency_key)
        elif mode == "vector":
            vector = (await self.embedder.aembed([query]))[0]
            items = ranked(await self._avector(prefix, vector, conditions, need))
        elif mode == "fts":
            items = ranked(await self._afts(prefix, query, conditions, need))
        else:
            items = await self._ahybrid(prefix, query, conditions, need)
        return items[offset:need]

    async def asearch_many(
        self,
        namespace_prefix: Sequence[str],
        queries: Sequence[str],
        *,
        limit: int = 10,
        mode: SearchMode = "vector",
    ) -> list[list[Item]]:
        """:meth:`asearch` (no filter) for each query: the queries embedded in one batch and,
        in vector mode, searched by one backend query where the backend can; each result is
        exactly what :meth:`asearch` returns for that query alone."""
        texts = [q for q in queries if q is not None and q.strip()]
        if mode != "vector" or len(texts) < 2 or limit == 0:
            if mode != "fts" and len(texts) > 1:
                await self.embedder.aembed(texts)  # one batch; each search below hits the cache
            searches = [
                self.asearch(namespace_prefix, query=q, limit=limit, mode=mode) for q in queries
            ]
            return list(await asyncio.gather(*searches))
        prefix = check_namespace(namespace_prefix, allow_empty=True)
        check_page(limit, 0)
        vectors = await self.embedder.aembed(texts)
        found = iter(await self._avector_each_many([prefix], vectors, limit))
        out = []
        for query in queries:
            if query is None or not query.strip():
                out.append(await self.asearch(prefix, query=query, limit=limit))
            else:
                out.append(ranked(next(found)[0])[:limit])
        return out

    async def asearch_modes(
        self, namespace_prefix: Sequence[str], *, query: str, modes: Sequence[str], limit: int = 10
    ) -> dict[str, tuple[list[Item], float]]:
        """One query in several modes (no filter): per mode, what :meth:`asearch` returns and the
        seconds that mode's own work took.

        The vector and full-text candidate lists are fetched once, at hybrid depth when hybrid is
        asked for, and shared: an exact top-k of a deeper fetch is the same top-k.
        """
        found = await self.asearch_modes_each(
            [namespace_prefix], query=query, modes=modes, limit=limit
        )
        return found[0]

    async def asearch_modes_each(
        self,
        namespace_prefixes: Sequence[Sequence[str]],
        *,
        query: str,
        modes: Sequence[str],
        limit: int = 10,
    ) -> list[dict[str, tuple[list[Item], float]]]:
        """:meth:`asearch_modes` under each prefix, in as few backend queries as possible (one
        per mode for LanceDB); a mode's seconds are those of the shared query."""
        found = await self.asearch_modes_many(
            namespace_prefixes, queries=[query], modes=modes, limit=limit
        )
        return found[0]

    async def asearch_modes_many(
        self,
        namespace_prefixes: Sequence[Sequence[str]],
        *,
        queries: Sequence[str],
        modes: Sequence[str],
        limit: int = 10,
    ) -> list[list[dict[str, tuple[list[Item], float]]]]:
        """:meth:`asearch_modes_each` for several queries: per query, per prefix, per mode.

        The queries are embedded in one batch and their vector searches shared by one backend
        query where the backend can (LanceDB scans the table once for all of them), each
        query's result being exactly what it gets alone; a query's vector seconds are its share
        of that batch. Full-text searches run one per query.
        """
        for mode in modes:
            _check_mode(mode)
        if not namespace_prefixes:
            return [[] for _ in queries]
        out: list[list[dict[str, tuple[list[Item], float]]]] = [[] for _ in queries]
        texts = [(i, q) for i, q in enumerate(queries) if q is not None and q.strip()]
        for i, query in enumerate(queries):
            if query is None or not query.strip():  # a listing, the same in every mode
                for prefix in namespace_prefixes:
                    started = time.perf_counter()
                    listed = await self.asearch(prefix, query=query, limit=limit)
                    out[i].append({mode: (listed, time.perf_counter() - started) for mode in modes})
        if not texts:
            return out
        prefixes = [check_namespace(p, allow_empty=True) for p in namespace_prefixes]
        check_page(limit, 0)
        depth = max(2 * limit, 20) if "hybrid" in modes else limit
        wants = set(modes)
        vector_s: float = 0.0

        async def by_vector() -> list[list[list[Item]]]:
            nonlocal vector_s
            started = time.perf_counter()
            vectors = await self.embedder.aembed([q for _, q in texts])
            found = await self._avector_each_many(prefixes, vectors, depth)
            vector_s = (time.perf_counter() - started) / len(texts)
            return found

        nothing: list[list[Item]] = [[] for _ in prefixes]
        by_text = (
            self._afts_each_many(prefixes, [q for _, q in texts], depth)
            if wants & {"fts", "hybrid"}
            else _constant([(nothing, 0.0)] * len(texts))
        )
        vector_hits, text_hits = await asyncio.gather(
            by_vector() if wants & {"vector", "hybrid"} else _constant([nothing] * len(texts)),
            by_text,
        )
        for (i, _), per_vector, (per_text, text_s) in zip(
            texts, vector_hits, text_hits, strict=True
        ):
            spent = {"vector": vector_s, "fts": text_s}
            out[i] = [
                _per_mode(modes, limit, ranked(v), ranked(t), spent)
                for v, t in zip(per_vector, per_text, strict=True)
            ]
        return out

    async def _ahybrid(
        self, prefix: Namespace, query: str, conditions: list[Condition], need: int
    ) -> list[Item]:
        depth = max(2 * need, 20)
        vector = (await self.embedder.aembed([query]))[0]
        by_vector, by_text = await asyncio.gather(
            self._avector(prefix, vector, conditions, depth),
            self._afts(prefix, query, conditions, depth),
        )
        return _fuse(by_vector, by_text)

    # -- sync twins --------------------------------------------------------------------------

    def put(
        self,
        namespace: Sequence[str],
        key: str,
        value: Mapping[str, Any],
        index: IndexSpec = None,
    ) -> None:
        return run_sync(self.aput(namespace, key, value, index))

    def put_many(self, entries: Iterable[PutEntry]) -> None:
        return run_sync(self.aput_many(entries))

    def delete(self, namespace: Sequence[str], key: str) -> None:
        return run_sync(self.adelete(namespace, key))

    def get(self, namespace: Sequence[str], key: str) -> Item | None:
        return run_sync(self.aget(namespace, key))

    def history(self, namespace: Sequence[str], key: str) -> list[ItemVersion]:
        return run_sync(self.ahistory(namespace, key))

    def list_namespaces(
        self,
        *,
        prefix: Sequence[str] | None = None,
        suffix: Sequence[str] | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Namespace]:
        return run_sync(self.alist_namespaces(prefix=prefix, suffix=suffix, max_depth=max_depth,
                                              limit=limit, offset=offset))  # fmt: skip

    def search(
        self,
        namespace_prefix: Sequence[str],
        *,
        query: str | None = None,
        filter: Mapping[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        mode: SearchMode = "vector",
    ) -> list[Item]:
        return run_sync(self.asearch(namespace_prefix, query=query, filter=filter, limit=limit,
                                     offset=offset, mode=mode))  # fmt: skip

    # -- helpers and backend primitives ------------------------------------------------------

    def _prepare(self, entry: PutEntry) -> PreparedWrite:
        if not isinstance(entry, tuple | list) or len(entry) not in (3, 4):
            raise StoreError(
                f"put_many entries are (namespace, key, value[, index]), got {entry!r}"
            )
        namespace, key, value, *rest = entry
        return prepare(namespace, key, value, rest[0] if rest else None, self.index_fields)

    async def _embed_writes(self, writes: list[PreparedWrite]) -> list[PreparedWrite]:
        texts = [w.text for w in writes if w.text]
        if not texts:
            return writes
        vectors = iter(await self.embedder.aembed(texts))
        return [replace(w, vector=next(vectors)) if w.text else w for w in writes]

    @abstractmethod
    async def _acommit(self, writes: list[PreparedWrite]) -> None:
        """Apply the writes in order, atomically where the backend allows."""

    @abstractmethod
    async def _aget(self, namespace: Namespace, key: str) -> Item | None: ...

    @abstractmethod
    async def _ahistory(self, namespace: Namespace, key: str) -> list[ItemVersion]: ...

    @abstractmethod
    async def _anamespaces(self, prefix: Namespace) -> list[Namespace]:
        """Namespaces of live items under ``prefix`` (duplicates allowed)."""

    @abstractmethod
    async def _alist(self, prefix: Namespace, conditions: list[Condition]) -> list[Item]:
        """Every live item under ``prefix`` that satisfies ``conditions``."""

    @abstractmethod
    async def _avector(
        self, prefix: Namespace, vector: np.ndarray, conditions: list[Condition], k: int
    ) -> list[Item]:
        """The ``k`` most similar searchable items (score = cosine similarity)."""

    @abstractmethod
    async def _afts(
        self, prefix: Namespace, query: str, conditions: list[Condition], k: int
    ) -> list[Item]:
        """The ``k`` best full-text matches (score = BM25; only items sharing a term)."""

    async def _avector_each(
        self, prefixes: list[Namespace], vector: np.ndarray, k: int
    ) -> list[list[Item]]:
        """:meth:`_avector` (no conditions) under each prefix; backends may share one query."""
        return list(await asyncio.gather(*(self._avector(p, vector, [], k) for p in prefixes)))

    async def _avector_each_many(
        self, prefixes: list[Namespace], vectors: np.ndarray, k: int
    ) -> list[list[list[Item]]]:
        """:meth:`_avector_each` for each of ``vectors``; backends may share one query."""
        return list(await asyncio.gather(*(self._avector_each(prefixes, v, k) for v in vectors)))

    async def _afts_each(self, prefixes: list[Namespace], query: str, k: int) -> list[list[Item]]:
        """:meth:`_afts` (no conditions) under each prefix; backends may share one query."""
        return list(await asyncio.gather(*(self._afts(p, query, [], k) for p in prefixes)))

    async def _afts_each_many(
        self, prefixes: list[Namespace], queries: list[str], k: int
    ) -> list[tuple[list[list[Item]], float]]:
        """:meth:`_afts_each` for each query, with the seconds it took (its share, where a
        backend serves the queries together)."""

        async def timed(query: str) -> tuple[list[list[Item]], float]:
            started = time.perf_counter()
            found = await self._afts_each(prefixes, query, k)
            return found, time.perf_counter() - started

        return list(await asyncio.gather(*(timed(q) for q in queries)))


async def _constant(value: Any) -> Any:
    return value


def _per_mode(
    modes: Sequence[str],
    limit: int,
    by_vector: list[Item],
    by_text: list[Item],
    spent: dict[str, float],
) -> dict[str, tuple[list[Item], float]]:
    out: dict[str, tuple[list[Item], float]] = {}
    for mode in modes:
        if limit == 0:
            out[mode] = ([], 0.0)
        elif mode == "vector":
            out[mode] = (by_vector[:limit], spent["vector"])
        elif mode == "fts":
            out[mode] = (by_text[:limit], spent["fts"])
        else:
            started = time.perf_counter()
            fused = _fuse(by_vector, by_text)[:limit]
            took = spent["vector"] + spent["fts"] + time.perf_counter() - started
            out[mode] = (fused, took)
    return out


def _fuse(by_vector: Sequence[Item], by_text: Sequence[Item]) -> list[Item]:
    """Reciprocal-rank fusion of a vector and a full-text result list."""
    rankings = [[(i.namespace, i.key) for i in ranked(r)] for r in (by_vector, by_text)]
    fused = rrf(rankings)
    items = {(i.namespace, i.key): i for i in [*by_vector, *by_text]}
    return ranked([replace(items[pair], score=score) for pair, score in fused.items()])


def _check_mode(mode: str) -> None:
    if mode not in SEARCH_MODES:
        raise StoreError(f"unknown search mode {mode!r} (use one of {', '.join(SEARCH_MODES)})")
