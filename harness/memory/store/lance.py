"""The persistent memory store: one LanceDB table holding every version of every item.

Writes: each batch is one ``merge_insert`` (one table version) that adds the new version rows and
clears the ``current`` flag of the rows they supersede. Concurrent writers are grouped: a writer
that finds nobody committing starts a worker thread that commits everything queued in one batch
and keeps committing what queued up meanwhile (group commit); writers wait on a future, not on a
thread. A write returns only once it is committed, so reads always see it. Every
``compact_every`` commits, and after ``reindex_rows`` new rows, the table is optimised (small
files merged, the full-text index brought up to date, old table versions removed), which keeps
thousands of small writes fast, the version count bounded, and full-text queries from scanning a
long unindexed tail.

Listings, ``get`` and namespace lookups are answered from the store's copy of the current rows
(see :mod:`._lance_heads`) while the table is still at the version this store last produced, and
by a LanceDB query otherwise (another store or process wrote). Searches prefilter inside LanceDB
on the namespace prefix, liveness and (when given) ``kind``; other value filters run afterwards
on an over-fetched candidate list, widened until enough pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import UTC, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import lancedb
import numpy as np
import pyarrow as pa

from harness._async import run_sync
from harness._compat.lancedb import latest_version, query_arrow
from harness.errors import ConfigurationError, StoreError
from harness.memory.store import _lance_rows as lr
from harness.memory.store._filters import Condition, kind_pushdown, matches, sql_str
from harness.memory.store._lance_heads import Heads
from harness.memory.store._lance_scoped import fts_config, scoped_scores
from harness.memory.store._namespaces import Namespace, from_path, has_prefix, to_path
from harness.memory.store._ranking import ranked
from harness.memory.store._rwlock import RWLock
from harness.memory.store._versions import PreparedWrite, Row, clock, plan_commit
from harness.memory.store.base import BaseStore, Item, ItemVersion
from harness.models import _lance_embedding  # noqa: F401  (registers "harness-minilm")

if TYPE_CHECKING:  # pragma: no cover
    from harness.models.embeddings import Embedder

logger = logging.getLogger(__name__)
_LIVE = "current = true AND deleted = false"
Bm25Scope = Literal["table", "search"]


@dataclass
class _Ticket:
    """Writes waiting for a commit; ``done`` resolves once they are committed (or failed).

    A concurrent future, so a writer on any event loop or thread can wait for it; a writer
    cancelled before its batch starts is dropped from the batch.
    """

    writes: list[PreparedWrite]
    rows: list[Row] | None = None  # planned already (exclusive stores)
    done: Future[None] = field(default_factory=Future)
    paths: frozenset[str] = frozenset()  # the namespaces written, computed once

    def __post_init__(self) -> None:
        self.paths = frozenset(to_path(w.namespace) for w in self.writes)

    def touches(self, paths: Sequence[str]) -> bool:
        """Whether a write of this ticket lies under one of the namespace ``paths``."""
        return any(mine.startswith(p) for mine in self.paths for p in paths)


_busy: set[LanceStore] = set()  # stores with a commit queued or running (see wait_all_idle)
_busy_lock = threading.Lock()


def wait_all_idle(timeout: float | None = None) -> list[LanceStore]:
    """Wait until no store of this process has a background commit queued or running, at most
    ``timeout`` seconds in all; return the stores still committing (empty: all idle).

    For whoever runs many short-lived stores in one process (a test suite): a commit left
    running beside the next store's LanceDB calls is native code racing native code.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    with _busy_lock:
        stores = list(_busy)
    for store in stores:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        store.wait_idle(left)
    with _busy_lock:
        return [store for store in stores if store in _busy]


class LanceStore(BaseStore):
    """Memories in a LanceDB table (``table``, default ``"memories"``) with full history.

    Pass a directory ``path`` or an open ``connection``. ``compact_every`` commits, or
    ``reindex_rows`` rows written since the last one, trigger an ``optimize()`` that also
    deletes table versions older than ``cleanup_older_than`` (default: all but the latest; other
    processes reading the same table re-check the latest version on every query, see
    ``docs/library/stores.md``).

    ``bm25_scope`` says whose statistics rank full-text matches: ``"table"`` (default) those
    of the table's full-text index, as any LanceDB search; ``"search"`` those of the items the
    search itself considers (its namespaces, after its filter), so a namespace ranks the same
    whatever else the table holds and whenever its index was last updated (the replay runner's
    stores: one case's retrieval never depends on the other cases of its run). Such a store
    builds no table-wide index; each full-text search copies the searched items' text into a
    scratch table (see :mod:`._lance_scoped`), a few milliseconds more per search.

    ``exclusive=True`` promises that nothing else writes the table while this store is open (a
    private, temporary store such as the replay runner's). Listings and ``get`` are then answered
    from memory without asking LanceDB, and a write returns as soon as it is visible to them,
    while LanceDB commits it in the background; searches and history wait for the commits under
    their namespaces, and :meth:`aflush` for all of them. If a background commit fails, every
    later call raises a :class:`StoreError` naming it.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        connection: Any = None,
        table: str = "memories",
        embedder: Embedder | str | None = None,
        index_fields: Sequence[str] | None = None,
        compact_every: int = 50,
        reindex_rows: int = 256,
        cleanup_older_than: timedelta = timedelta(0),
        exclusive: bool = False,
        bm25_scope: Bm25Scope = "table",
    ) -> None:
        super().__init__(embedder=embedder, index_fields=index_fields)
        if bm25_scope not in ("table", "search"):
            raise ConfigurationError(f"bm25_scope must be 'table' or 'search', got {bm25_scope!r}")
        self.bm25_scope = bm25_scope
        if (path is None) == (connection is None):
            raise ConfigurationError("LanceStore needs exactly one of path= or connection=")
        if compact_every < 1:
            raise ConfigurationError(f"compact_every must be >= 1, got {compact_every}")
        if reindex_rows < 1:
            raise ConfigurationError(f"reindex_rows must be >= 1, got {reindex_rows}")
        self.compact_every = compact_every
        self.reindex_rows = reindex_rows
        self.cleanup_older_than = cleanup_older_than
        if connection is None:
            connection = lancedb.connect(str(path), read_consistency_interval=timedelta(0))
        self._db = connection
        self.table_name = table
        self._schema = lr.table_schema(self.embedder.dims, self.embedder.name)
        self.table = self._open_table()
        self._fts_ready = _has_fts(self.table)
        self._write_lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Ticket] = []
        self._draining = False
        self._idle = threading.Event()  # set while no commit is queued or running
        self._idle.set()
        self._maintenance = RWLock()
        self._commits_since_optimize = 0
        self._unindexed_rows = 0
        self._heads = Heads()
        self.exclusive = exclusive
        self._unsettled: list[_Ticket] = []  # background commits (exclusive stores)
        self._failed: BaseException | None = None
        if exclusive:
            self._heads.load(self.table)
            if not self._heads.loaded:
                raise ConfigurationError(
                    f"LanceDB table {table!r} has too many rows for an exclusive store"
                )

    def _open_table(self) -> Any:
        if self.table_name not in self._db.list_tables().tables:
            try:
                return self._db.create_table(self.table_name, schema=self._schema)
            except (ValueError, OSError):  # created meanwhile by another store or process
                pass
        table = self._db.open_table(self.table_name)
        _check_compatible(table.schema, self._schema, self.table_name)
        return table

    # -- writes ------------------------------------------------------------------------------

    async def _acommit(self, writes: list[PreparedWrite]) -> None:
        if not self.exclusive:
            await asyncio.wrap_future(self._enqueue(_Ticket(writes)).done)
            return
        self._check_healthy()
        with self._queue_lock:  # planned in call order, against (and into) the store's copy
            rows = self._heads.plan(writes, clock)
            if rows:
                self._unsettled.append(self._enqueue(_Ticket(writes, rows), locked=True))

    def _enqueue(self, ticket: _Ticket, *, locked: bool = False) -> _Ticket:
        with contextlib.nullcontext() if locked else self._queue_lock:
            self._queue.append(ticket)
            lead, self._draining = not self._draining, True
            if lead:
                self._set_busy(True)
        if lead:  # nobody is committing: commit everything queued, on a worker thread
            self._start_drain()
        return ticket

    def _start_drain(self) -> None:
        """Commit the queue on a worker thread, or here when the loop can no longer start one.

        A drain that never runs would leave the store busy forever: if the loop's executor is
        shut down (the loop is being torn down) the queue is committed on a thread of its own,
        and if the scheduled drain is cancelled before it starts, the queue is failed and the
        store marked idle.
        """
        try:
            started = asyncio.get_running_loop().run_in_executor(None, self._drain)
        except RuntimeError:  # no running loop, or its executor is shut down
            threading.Thread(target=self._drain, name="lance-commit").start()
            return
        started.add_done_callback(self._drain_ended)

    def _drain_ended(self, started: asyncio.Future[None]) -> None:
        if started.cancelled():
            self._abandon(StoreError(f"LanceDB table {self.table_name!r}: commit cancelled"))

    def _abandon(self, error: StoreError) -> None:
        with self._queue_lock:
            if self._idle.is_set():
                return
            batch, self._queue = self._queue, []
            self._draining = False
            if self.exclusive and batch:
                self._failed = error
            self._set_busy(False)
        for ticket in batch:
            if ticket.done.set_running_or_notify_cancel():
                ticket.done.set_exception(error)

    def _set_busy(self, busy: bool) -> None:
        """Mark the store committing or idle (under the queue lock), here and process-wide."""
        with _busy_lock:
            if busy:
                self._idle.clear()
                _busy.add(self)
            else:
                _busy.discard(self)
                self._idle.set()

    def close(self, timeout: float | None = None) -> None:
        """Wait for the background commits to end (StoreError if ``timeout`` seconds pass
        first). Nothing else is released: the store may still be used."""
        if not self.wait_idle(timeout):
            raise StoreError(
                f"LanceDB table {self.table_name!r}: still committing after {timeout} s"
            )

    def __enter__(self) -> LanceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no commit is queued or running (True), or ``timeout`` seconds pass.

        For whoever removes the table's folder: a background commit still writing would
        recreate files in it.
        """
        return self._idle.wait(timeout)

    async def aflush(self) -> None:
        """Wait until every write made so far is committed to LanceDB (exclusive stores)."""
        await self._settle(())

    def flush(self) -> None:
        run_sync(self.aflush())

    async def _settle(self, *prefixes: Namespace) -> None:
        """Wait for the background commits of writes under ``prefixes``; raise if one failed."""
        self._check_healthy()
        if not self._unsettled:
            return
        self._unsettled = [t for t in self._unsettled if not t.done.done()]
        paths = [to_path(p) for p in prefixes]
        waiting = [asyncio.wrap_future(t.done) for t in self._unsettled if t.touches(paths)]
        if waiting:
            await asyncio.wait(waiting)
        self._check_healthy()

    def _check_healthy(self) -> None:
        if self._failed is not None:
            raise StoreError(
                f"LanceDB table {self.table_name!r}: a background commit failed, so this store's "
                f"view of it is no longer reliable: {self._failed}"
            )

    def _drain(self) -> None:
        """Commit batches until the queue is empty; every ticket ends resolved."""
        try:
            self._commit_queued()
        except BaseException as exc:  # a bug: never leave the store busy for ever
            self._abandon(StoreError(f"LanceDB table {self.table_name!r}: commit failed: {exc}"))
            raise

    def _commit_queued(self) -> None:
        while True:
            with self._queue_lock:
                batch, self._queue = self._queue, []
                if not batch:
                    self._draining = False
                    self._set_busy(False)
                    return
            # A waiter cancelled before its batch started drops its writes; planned rows
            # (exclusive stores) are already visible, so they are written regardless.
            batch = [
                t for t in batch if t.done.set_running_or_notify_cancel() or t.rows is not None
            ]
            with self._write_lock:
                try:
                    if self.exclusive:
                        self._write_rows([r for t in batch for r in t.rows or []])
                        self._ensure_fts()
                    else:
                        self._apply([w for t in batch for w in t.writes])
                except Exception as exc:
                    error = StoreError(f"write to LanceDB table {self.table_name!r} failed: {exc}")
                    if self.exclusive:
                        self._failed = exc
                    for t in batch:
                        if not t.done.cancelled():
                            t.done.set_exception(error)
                    continue
                for t in batch:
                    if not t.done.cancelled():
                        t.done.set_result(None)
                self._maybe_optimize()

    def _apply(self, writes: list[PreparedWrite]) -> None:
        current = self._heads.lookup(self.table, {w.pair for w in writes})
        rows = plan_commit(current, writes, clock)
        if rows:
            self._heads.committed(rows, self._write_rows(rows))
            self._ensure_fts()

    def _write_rows(self, rows: list[Row]) -> int:
        """Write version rows (the last of duplicates wins) as one table version; return it."""
        rows = list({(row.pair, row.version): row for row in rows}.values())
        data = lr.rows_to_arrow(rows, self._schema)
        if any(not r.current for r in rows):
            merge = self.table.merge_insert("row_id")
            result = merge.when_matched_update_all().when_not_matched_insert_all().execute(data)
        else:  # only first versions: a plain append is cheaper than a merge
            result = self.table.add(data)
        self._commits_since_optimize += 1
        self._unindexed_rows += len(rows)
        return int(result.version)

    def _ensure_fts(self) -> None:
        if self.bm25_scope == "search":  # its searches never use the table's index
            return
        if not self._fts_ready:
            if not _has_fts(self.table):
                self.table.create_index("text", config=fts_config(), replace=True)
                self._heads.moved(self.table)
                self._unindexed_rows = 0
            self._fts_ready = True

    def _maybe_optimize(self) -> None:
        if (
            self._commits_since_optimize < self.compact_every
            and self._unindexed_rows < self.reindex_rows
        ):
            return
        self._optimize()

    def optimize(self) -> None:
        """Compact files, update the full-text index and drop old table versions now, once
        every write made so far is committed (an exclusive store commits in the background)."""
        if self.exclusive:
            self.flush()
        self._optimize()

    def _optimize(self) -> None:
        with self._maintenance.exclusive():
            try:
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message=r"optimize\(cleanup_older_than")
                    self.table.optimize(cleanup_older_than=self.cleanup_older_than)
                self._heads.moved(self.table)
                self._commits_since_optimize = 0
                self._unindexed_rows = 0
            except Exception:  # the data is safe; the next commit tries again
                logger.warning("optimizing %r failed", self.table_name, exc_info=True)

    # -- reads -------------------------------------------------------------------------------

    def _read(self, build: Callable[[Any], Any]) -> pa.Table:
        with self._maintenance.shared():
            try:
                return build(self.table).to_arrow()
            except Exception as exc:
                raise StoreError(
                    f"query on LanceDB table {self.table_name!r} failed: {exc}"
                ) from exc

    def _read_async(self, build: Callable[[Any], Any]) -> pa.Table:
        """Run a query built on the table's async API (see :func:`query_arrow`)."""
        with self._maintenance.shared():
            try:
                return query_arrow(self.table, build)
            except Exception as exc:
                raise StoreError(
                    f"query on LanceDB table {self.table_name!r} failed: {exc}"
                ) from exc

    async def _latest_version(self) -> int | None:
        """The table's latest version (-1 when this store has no copy of its rows to check;
        None for an exclusive store, whose copy is always current).

        Awaited without blocking our loop (see :func:`latest_version`).
        """
        if self.exclusive:
            self._check_healthy()
            return None
        if not self._heads.loaded:
            return -1
        return await latest_version(self.table)

    async def _aget(self, namespace: Namespace, key: str) -> Item | None:
        known, row = self._heads.one(await self._latest_version(), (namespace, key))
        if known:
            return None if row is None or row.deleted else _row_item(row)
        where = f"{_LIVE} AND {_exact(namespace, key)}"
        found = await asyncio.to_thread(
            self._read, lambda t: t.search().where(where).select(lr.ITEM_COLUMNS).limit(1)
        )
        return next((_item(r) for r in lr.records(found)), None)

    async def _ahistory(self, namespace: Namespace, key: str) -> list[ItemVersion]:
        await self._settle(namespace)
        where = _exact(namespace, key)
        found = await asyncio.to_thread(
            self._read, lambda t: t.search().where(where).select(lr.VERSION_COLUMNS).limit(None)
        )
        versions = [
            ItemVersion(r["namespace"], r["key"], r["version"], r["value"], r["created_at"],
                        r["updated_at"], r["deleted"])
            for r in lr.records(found)
        ]  # fmt: skip
        return sorted(versions, key=lambda v: v.version)

    async def _anamespaces(self, prefix: Namespace) -> list[Namespace]:
        rows = self._heads.under(await self._latest_version(), to_path(prefix))
        if rows is not None:
            return [row.namespace for row in rows if not row.deleted]
        where = _where(prefix, [], searchable=False)
        found = await asyncio.to_thread(
            self._read, lambda t: t.search().where(where).select(["ns_path"]).limit(None)
        )
        return [from_path(path) for path in found.column("ns_path").to_pylist()]

    async def _alist(self, prefix: Namespace, conditions: list[Condition]) -> list[Item]:
        rows = self._heads.under(await self._latest_version(), to_path(prefix))
        if rows is not None:
            live = (_row_item(row) for row in rows if not row.deleted)
            return [item for item in live if matches(item.value, conditions)]
        where = _where(prefix, conditions, searchable=False)
        found = await asyncio.to_thread(
            self._read_async, lambda t: t.query().where(where).select(lr.ITEM_COLUMNS)
        )
        return [_item(r) for r in lr.records(found) if matches(r["value"], conditions)]

    async def _avector(
        self, prefix: Namespace, vector: np.ndarray, conditions: list[Condition], k: int
    ) -> list[Item]:
        found = await self._avector_search([prefix], vector, conditions, k)
        return found[0]

    async def _avector_each(
        self, prefixes: list[Namespace], vector: np.ndarray, k: int
    ) -> list[list[Item]]:
        return await self._avector_search(prefixes, vector, [], k)

    async def _avector_each_many(
        self, prefixes: list[Namespace], vectors: np.ndarray, k: int
    ) -> list[list[list[Item]]]:
        """:meth:`_avector_each` for every vector, in one LanceDB query per prefix (a flat
        search scans the table once for all the vectors). Each result is what the vector gets
        alone: the exact top ``k`` under the prefix, ties cut by :func:`ranked`."""
        if len(vectors) < 2 or k == 0:
            return await super()._avector_each_many(prefixes, vectors, k)
        await self._settle(*prefixes)
        queries = [np.asarray(v, dtype=np.float32) for v in vectors]
        per_prefix = [
            await asyncio.to_thread(self._top_k_many, queries, prefix, k) for prefix in prefixes
        ]
        return [[found[i] for found in per_prefix] for i in range(len(queries))]

    def _top_k_many(self, vectors: list[np.ndarray], prefix: Namespace, k: int) -> list[list[Item]]:
        """Per vector, the top ``k`` under ``prefix``; fetches deepen (as :meth:`_top_k`) for the
        vectors whose k-th item ties the last one fetched."""
        where = _where(prefix, [], searchable=True)
        out: list[list[Item] | None] = [None] * len(vectors)
        pending = list(range(len(vectors)))
        fetch = k + 1
        while pending:
            asked = [vectors[i] for i in pending]

            def build(t: Any, asked: list[np.ndarray] = asked, fetch: int = fetch) -> Any:
                return (
                    t.query()
                    .nearest_to(asked)
                    .column("vector")
                    .distance_type("cosine")
                    .where(where)
                    .select([*lr.ITEM_COLUMNS, "_distance"])
                    .limit(fetch)
                )

            table = self._read_async(build)
            rows: list[list[dict[str, Any]]] = [[] for _ in asked]
            for record in _ranking_records(table):
                rows[record.pop("query_index", 0)].append(record)
            unsettled = []
            for i, records in zip(pending, rows, strict=True):
                records.sort(key=lambda r: r["_distance"])  # its own ranking, as alone
                settled = _settled(records, [prefix], k, fetch, _similarity)
                if settled is None:
                    unsettled.append(i)
                    continue
                out[i] = _completed(settled[0], table, records)
            pending = unsettled
            fetch *= 4
        return [found for found in out if found is not None]

    async def _afts(
        self, prefix: Namespace, query: str, conditions: list[Condition], k: int
    ) -> list[Item]:
        found = await self._afts_search([prefix], query, conditions, k)
        return found[0]

    async def _afts_each(self, prefixes: list[Namespace], query: str, k: int) -> list[list[Item]]:
        return await self._afts_search(prefixes, query, [], k)

    async def _afts_each_many(
        self, prefixes: list[Namespace], queries: list[str], k: int
    ) -> list[tuple[list[list[Item]], float]]:
        if self.bm25_scope == "table":
            return await super()._afts_each_many(prefixes, queries, k)
        started = time.perf_counter()  # one scratch table for all the queries
        found = await self._afts_scoped(prefixes, queries, [], k)
        share = (time.perf_counter() - started) / max(len(queries), 1)
        return [(per_prefix, share) for per_prefix in found]

    async def _afts_scoped(
        self, prefixes: list[Namespace], queries: list[str], conditions: list[Condition], k: int
    ) -> list[list[list[Item]]]:
        """Per query, per prefix: the best ``k`` full-text matches, scored with the statistics
        of that prefix's searchable items passing ``conditions`` alone."""
        await self._settle(*prefixes)
        scopes = [await self._searchable(prefix, conditions) for prefix in prefixes]
        texts = [[text for _, text in scope] for scope in scopes]
        try:
            scores = await asyncio.to_thread(scoped_scores, texts, queries)
        except Exception as exc:  # as a query on the table itself would fail
            raise StoreError(
                f"full-text search over LanceDB table {self.table_name!r} failed: {exc}"
            ) from exc
        return [
            [
                ranked(replace(scope[p][0], score=float(score)) for p, score in found.items())[:k]
                for scope, found in zip(scopes, per_scope, strict=True)
            ]
            for per_scope in scores
        ]

    async def _searchable(
        self, prefix: Namespace, conditions: list[Condition]
    ) -> list[tuple[Item, str]]:
        """Every live, searchable item under ``prefix`` passing ``conditions``, with its text."""
        rows = self._heads.under(await self._latest_version(), to_path(prefix))
        if rows is not None:
            found = [(_row_item(row), row.text) for row in rows if not row.deleted and row.text]
        else:
            where = _where(prefix, [], searchable=True)
            table = await asyncio.to_thread(
                self._read_async,
                lambda t: t.query().where(where).select([*lr.ITEM_COLUMNS, "text"]),
            )
            found = [(_item(r), r["text"]) for r in lr.records(table)]
        if not conditions:
            return found
        return [(item, text) for item, text in found if matches(item.value, conditions)]

    async def _avector_search(
        self, prefixes: list[Namespace], vector: np.ndarray, conditions: list[Condition], k: int
    ) -> list[list[Item]]:
        await self._settle(*prefixes)
        where = _where(prefixes, conditions, searchable=True)
        query = np.asarray(vector, dtype=np.float32)

        def build(n: int) -> Callable[[Any], Any]:
            return lambda t: (
                t.query()
                .nearest_to(query)
                .column("vector")
                .distance_type("cosine")
                .where(where)
                .select([*lr.ITEM_COLUMNS, "_distance"])
                .limit(n)
            )

        return await asyncio.to_thread(
            self._top_k, build, prefixes, conditions, k, _similarity, "_distance"
        )

    async def _afts_search(
        self, prefixes: list[Namespace], query: str, conditions: list[Condition], k: int
    ) -> list[list[Item]]:
        if self.bm25_scope == "search":
            return (await self._afts_scoped(prefixes, [query], conditions, k))[0]
        await self._settle(*prefixes)
        where = _where(prefixes, conditions, searchable=True)
        if not self._fts_ready:  # another store may have indexed the table since we opened it
            self._fts_ready = await asyncio.to_thread(_has_fts, self.table)
            if not self._fts_ready:
                return [[] for _ in prefixes]

        def build(n: int) -> Callable[[Any], Any]:
            return lambda t: (
                t.query()
                .nearest_to_text(query, columns="text")
                .where(where)
                .select([*lr.ITEM_COLUMNS, "_score"])
                .limit(n)
            )

        return await asyncio.to_thread(
            self._top_k, build, prefixes, conditions, k, lambda r: float(r["_score"]), "_score"
        )

    def _top_k(
        self,
        build: Callable[[int], Callable[[Any], Any]],
        prefixes: list[Namespace],
        conditions: list[Condition],
        k: int,
        score: Callable[[dict[str, Any]], float],
        score_column: str,
    ) -> list[list[Item]]:
        """Under each prefix, the best ``k`` items passing ``conditions``, from one ranking over
        all prefixes and independent of how ties were cut.

        The fetch widens until, under every prefix, ``k`` candidates pass the post-filter and
        the last one fetched scores strictly below the k-th (so no equally good item was left
        out), or nothing is left.
        """
        if k == 0:
            return [[] for _ in prefixes]
        post = [c for c in conditions if kind_pushdown([c]) is None]
        # Several prefixes share one ranking, rarely in equal parts: a deeper first fetch
        # (rows are decoded only for the items returned) saves a second query.
        fetch = (k + 1 if not post else max(4 * k, 40)) * len(prefixes)
        fetch *= 4 if len(prefixes) > 1 else 1
        while True:
            table = self._read_async(build(fetch))
            found = lr.records(table) if post else _ranking_records(table, score_column)
            settled = _settled(found, prefixes, k, fetch, score, post)
            if settled is not None:
                if post:
                    return settled
                return [_completed(items, table, found) for items in settled]
            fetch *= 4

    # -- introspection -----------------------------------------------------------------------

    def version_count(self) -> int:
        """How many table versions LanceDB currently keeps (bounded by compaction)."""
        return len(self.table.list_versions())


def _ranking_records(table: pa.Table, score_column: str = "_distance") -> list[dict[str, Any]]:
    """What ranking needs of each row (no value, no creation time: decoding those for every
    row of a deep multi-query fetch cost ten times the query); ``_row`` locates the rest."""
    columns = ["ns_path", "key", "updated_at", score_column]
    if "query_index" in table.column_names:
        columns.append("query_index")
    data = {name: table.column(name).to_pylist() for name in columns}
    return [
        {
            **{name: data[name][row] for name in columns if name != "ns_path"},
            "namespace": from_path(data["ns_path"][row]),
            "updated_at": data["updated_at"][row].astimezone(UTC),
            "value": None,
            "created_at": None,
            "_row": row,
        }
        for row in range(table.num_rows)
    ]


def _completed(items: list[Item], table: pa.Table, records: list[dict[str, Any]]) -> list[Item]:
    """``items`` (ranked from ``records`` of :func:`_ranking_records`, without their values)
    with value and creation time, decoded from only their own rows of ``table``."""
    if not items:
        return []
    rows = {(r["namespace"], r["key"]): r["_row"] for r in records}
    taken = table.take([rows[(item.namespace, item.key)] for item in items])
    values = taken.column("value").to_pylist()
    created = taken.column("created_at").to_pylist()
    return [
        Item(
            item.namespace,
            item.key,
            json.loads(value),
            when.astimezone(UTC),
            item.updated_at,
            item.score,
        )
        for item, value, when in zip(items, values, created, strict=True)
    ]


def _similarity(record: dict[str, Any]) -> float:
    return 1.0 - float(record["_distance"])


def _settled(
    found: list[dict[str, Any]],
    prefixes: list[Namespace],
    k: int,
    fetch: int,
    score: Callable[[dict[str, Any]], float],
    post: list[Condition] | None = None,
) -> list[list[Item]] | None:
    """Per prefix, the best ``k`` of ``found`` (the first ``fetch`` rows of one ranking), or
    None when the fetch does not settle them: some prefix has fewer than ``k`` passing rows, or
    the last row fetched ties the k-th, while more rows may exist."""
    passing = [
        ranked(
            _item(r, score(r))
            for r in found
            if has_prefix(r["namespace"], prefix) and (not post or matches(r["value"], post))
        )
        for prefix in prefixes
    ]
    if len(found) < fetch:
        return [items[:k] for items in passing]
    last = score(found[-1])
    if all(len(items) >= k and last < (items[k - 1].score or 0.0) for items in passing):
        return [items[:k] for items in passing]
    return None


def _exact(namespace: Namespace, key: str) -> str:
    return f"ns_path = {sql_str(to_path(namespace))} AND key = {sql_str(key)}"


def _where(
    prefixes: Namespace | list[Namespace], conditions: list[Condition], *, searchable: bool
) -> str:
    """Live (and searchable) rows under any of ``prefixes`` passing the pushed-down filter."""
    parts = [_LIVE]
    if searchable:
        parts.append("indexed = true")
    within = [prefixes] if isinstance(prefixes, tuple) else prefixes
    if all(within):
        ors = " OR ".join(f"starts_with(ns_path, {sql_str(to_path(p))})" for p in within)
        parts.append(f"({ors})" if len(within) > 1 else ors)
    pushed = kind_pushdown(conditions)
    if pushed:
        parts.append(pushed)
    return " AND ".join(parts)


def _item(record: dict[str, Any], score: float | None = None) -> Item:
    return Item(
        record["namespace"],
        record["key"],
        record["value"],
        record["created_at"],
        record["updated_at"],
        score,
    )


def _row_item(row: Row) -> Item:
    return Item(row.namespace, row.key, row.value(), row.created_at, row.updated_at)


def _has_fts(table: Any) -> bool:
    return any(i.index_type == "FTS" and list(i.columns) == ["text"] for i in table.list_indices())


def _check_compatible(actual: pa.Schema, expected: pa.Schema, name: str) -> None:
    meta = actual.metadata or {}
    found = (meta.get(lr.META_EMBEDDER, b"?").decode(), meta.get(lr.META_DIMS, b"?").decode())
    wanted = (
        expected.metadata[lr.META_EMBEDDER].decode(),
        expected.metadata[lr.META_DIMS].decode(),
    )
    if lr.META_SCHEMA not in meta or set(actual.names) != set(expected.names):
        raise StoreError(f"LanceDB table {name!r} exists but is not a memory-store table")
    if found != wanted:
        raise StoreError(
            f"LanceDB table {name!r} was built with embedder {found[0]!r} ({found[1]} dims); this "
            f"store uses {wanted[0]!r} ({wanted[1]} dims): use the same embedder or another table"
        )
