"""LanceStore specifics: persistence, compaction, concurrency, and table compatibility."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import lancedb
import pyarrow as pa
import pytest

from harness.errors import ConfigurationError, StoreError
from harness.memory.store import LanceStore
from harness.models.embeddings import LiteLLMEmbedder

NS = ("memories", "u1")


def memory(text: str) -> dict:
    return {"kind": "Memory", "content": {"content": text}}


def test_writes_persist_across_processes(tmp_path: Path):
    script = textwrap.dedent(
        f"""
        from harness.memory.store import LanceStore
        store = LanceStore({str(tmp_path)!r})
        ns = ("memories", "u1")
        store.put(ns, "tea", {{"kind": "Memory", "content": {{"content": "User likes tea"}}}})
        store.put(ns, "tea", {{"kind": "Memory", "content": {{"content": "User likes green tea"}}}})
        store.put(ns, "gone", {{"kind": "Memory", "content": {{"content": "User owns a boat"}}}})
        store.delete(ns, "gone")
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=600)
    store = LanceStore(tmp_path)
    assert store.get(NS, "tea").value == memory("User likes green tea")
    assert [v.value for v in store.history(NS, "tea")] == [
        memory("User likes tea"),
        memory("User likes green tea"),
    ]
    assert store.get(NS, "gone") is None
    assert [v.deleted for v in store.history(NS, "gone")] == [False, True]
    assert [i.key for i in store.search(NS, query="green tea", mode="fts")] == ["tea"]
    assert [i.key for i in store.search(NS, query="a hot drink", mode="vector")] == ["tea"]


def test_a_second_store_on_the_same_table_reads_the_first_ones_writes(tmp_path: Path):
    writer, reader = LanceStore(tmp_path), LanceStore(tmp_path)
    writer.put(NS, "k", memory("User likes tea"))
    assert reader.get(NS, "k").value == memory("User likes tea")
    writer.put(NS, "k", memory("User likes coffee"))
    assert reader.get(NS, "k").value == memory("User likes coffee")
    assert [i.key for i in reader.search(NS, query="coffee", mode="fts")] == ["k"]


@pytest.mark.slow
def test_many_single_writes_keep_the_version_count_bounded(tmp_path: Path):
    """200 single writes, each a table version, compacted every 10 commits: 20 rounds of
    compaction and clean-up, and the count never exceeds twice the interval."""
    store = LanceStore(tmp_path, compact_every=10)
    for i in range(200):
        index = None if i % 10 == 0 else False  # embed every tenth: the indexes see real rows
        store.put(("bench", f"u{i % 20}"), f"k{i}", memory(f"User fact number {i}"), index=index)
        assert store.version_count() <= 20, f"after {i + 1} writes"
    store.put(("bench", "u7"), "tea", memory("User drinks oolong tea every afternoon"))
    assert store.version_count() <= 20
    assert [i.key for i in store.search(("bench",), query="oolong tea", mode="hybrid")][:1] == [
        "tea"
    ]
    assert [i.key for i in store.search(("bench",), query="number 120", mode="fts")][:1] == ["k120"]
    assert len(store.search(("bench",), limit=5000)) == 201


def test_compaction_keeps_history_and_search_correct(tmp_path: Path):
    store = LanceStore(tmp_path, compact_every=2)
    for i in range(6):
        store.put(NS, "k", memory(f"User likes tea, take {i}"))
        store.put(NS, f"other{i}", memory(f"User visited city number {i}"))
    assert store.version_count() <= 4
    assert [v.version for v in store.history(NS, "k")] == [1, 2, 3, 4, 5, 6]
    assert store.get(NS, "k").value == memory("User likes tea, take 5")
    assert [i.key for i in store.search(NS, query="tea", mode="fts")] == ["k"]
    store.put(NS, "new", memory("User adopted a parrot"))  # after the index was optimised
    assert [i.key for i in store.search(NS, query="parrot", mode="fts")] == ["new"]


def test_a_full_text_search_under_unequal_prefixes_takes_one_query(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    store = LanceStore(tmp_path / "db")
    big, small = ("memories", "big"), ("memories", "small")
    store.put_many(
        [(big, f"b{i:02d}", memory(f"User drinks tea number {i}")) for i in range(30)]
        + [(small, "s1", memory("User likes tea")), (small, "s2", memory("User drinks coffee"))]
    )  # the first k + 1 rows of the shared ranking hold nothing of the small prefix
    alone = [store.search(prefix, query="tea", mode="fts", limit=3) for prefix in (big, small)]
    queries: list[object] = []
    read = store._read_async
    monkeypatch.setattr(store, "_read_async", lambda build: queries.append(build) or read(build))
    found = asyncio.run(
        store.asearch_modes_each([big, small], query="tea", modes=("fts",), limit=3)
    )
    assert [per_mode["fts"][0] for per_mode in found] == alone
    assert [item.key for item in alone[1]] == ["s1"]
    assert len(queries) == 1


def test_rows_written_since_the_last_optimize_bring_the_full_text_index_up_to_date(
    tmp_path: Path,
):
    # unindexed rows are scanned by every full-text query: past reindex_rows they are indexed,
    # however few commits wrote them
    store = LanceStore(tmp_path, compact_every=1000, reindex_rows=5)
    unindexed = []
    for batch in range(3):
        store.put_many([(NS, f"k{batch}{i}", memory(f"User fact {batch}{i}")) for i in range(3)])
        store.wait_idle()
        unindexed.append(store.table.index_stats("text_idx").num_unindexed_rows)
    assert unindexed == [0, 3, 0]  # indexed on creation; 3 < 5 wait; 6 >= 5 indexed
    assert [i.key for i in store.search(NS, query="fact 21", mode="fts")][:1] == ["k21"]
    with pytest.raises(ConfigurationError, match="reindex_rows"):
        LanceStore(tmp_path / "other", reindex_rows=0)


def _fts(store: LanceStore, prefix: tuple[str, ...], query: str, **kw) -> list[tuple[str, float]]:
    return [
        (i.key, round(i.score or 0.0, 5))
        for i in store.search(prefix, query=query, mode="fts", **kw)
    ]


PROBE = {"a": "tea tea tea", "b": "green", "c": "a filler without the words"}
FLOOD = [(("memories", "other"), f"t{i}", memory(f"User drinks tea {i}")) for i in range(30)]


def test_a_scoped_search_ranks_a_namespace_as_an_index_of_it_alone_would(tmp_path: Path):
    alone = LanceStore(tmp_path / "alone")  # the namespace alone, fully indexed
    alone.put_many([(NS, key, memory(text)) for key, text in PROBE.items()])
    alone.optimize()
    scoped = LanceStore(tmp_path / "scoped", bm25_scope="search")
    scoped.put_many([(NS, key, memory(text)) for key, text in PROBE.items()] + FLOOD)
    for query in ("green tea", "tea", "filler words", "xylophone"):
        assert _fts(scoped, NS, query) == _fts(alone, NS, query), query
    assert [key for key, _ in _fts(scoped, NS, "green tea")] == ["a", "b"]
    assert scoped.table.list_indices() == []  # the table-wide index is never built


def test_table_statistics_move_a_namespaces_ranking_and_scoped_ones_do_not(tmp_path: Path):
    rankings = {}
    for scope in ("table", "search"):
        store = LanceStore(tmp_path / scope, bm25_scope=scope)
        store.put_many([(NS, key, memory(text)) for key, text in PROBE.items()])
        store.optimize()
        before = _fts(store, NS, "green tea")
        store.put_many(FLOOD)  # "tea" becomes common in the table, not in NS
        store.optimize()
        rankings[scope] = (before, _fts(store, NS, "green tea"))
    table_before, table_after = rankings["table"]
    assert [k for k, _ in table_before] == ["a", "b"]
    assert [k for k, _ in table_after] == ["b", "a"]  # the dependence being removed
    scoped_before, scoped_after = rankings["search"]
    assert scoped_before == scoped_after == table_before


def test_a_scoped_search_reads_the_table_when_another_store_wrote(tmp_path: Path):
    scoped = LanceStore(tmp_path, bm25_scope="search")
    scoped.put(NS, "a", memory("tea tea tea"))
    LanceStore(tmp_path).put_many(  # another writer: the scoped store's copy is stale now
        [(NS, "b", {**memory("green"), "topic": "colour"}), (NS, "c", memory("green tea"))]
    )
    assert [key for key, _ in _fts(scoped, NS, "green tea")] == ["c", "a", "b"]
    # a filter narrows the items searched (and the statistics with them)
    assert [key for key, _ in _fts(scoped, NS, "green", filter={"topic": "colour"})] == ["b"]
    with pytest.raises(ConfigurationError, match="bm25_scope"):
        LanceStore(tmp_path / "other", bm25_scope="namespace")  # type: ignore[arg-type]


def test_a_failing_scoped_search_raises_a_store_error_naming_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from harness.memory.store import lance

    store = LanceStore(tmp_path, table="notes", bm25_scope="search")
    store.put(NS, "a", memory("tea"))

    def broken(texts, queries):
        raise RuntimeError("scratch table unavailable")

    monkeypatch.setattr(lance, "scoped_scores", broken)
    with pytest.raises(StoreError, match=r"'notes'.*scratch table unavailable"):
        store.search(NS, query="tea", mode="fts")
    assert [i.key for i in store.search(NS, query="tea")] == ["a"]  # vector search unaffected


def test_optimize_on_an_exclusive_store_takes_in_writes_still_committing(tmp_path: Path):
    store = LanceStore(tmp_path, exclusive=True)
    store.put(NS, "first", memory("User likes tea"))  # creates the full-text index
    store.flush()
    optimizing = threading.Thread(target=store.optimize)
    with store._write_lock:  # the background commit of the next writes cannot land yet
        store.put_many([(NS, f"k{i}", memory(f"User fact {i}")) for i in range(40)])
        optimizing.start()
        optimizing.join(timeout=1.0)
        assert optimizing.is_alive()  # it waits for them instead of optimizing without them
    optimizing.join()
    assert store.table.count_rows() == 41
    assert store.table.index_stats("text_idx").num_unindexed_rows == 0


def test_concurrent_writes_to_one_key_lose_no_version(tmp_path: Path):
    store = LanceStore(tmp_path)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: store.put(NS, "k", memory(f"value {i}")), range(24)))
    history = store.history(NS, "k")
    assert [v.version for v in history] == list(range(1, 25))
    assert sorted(v.value["content"]["content"] for v in history) == sorted(
        f"value {i}" for i in range(24)
    )
    assert store.get(NS, "k").value == history[-1].value


def test_fifty_tasks_then_all_readable_from_a_fresh_store(tmp_path: Path):
    store = LanceStore(tmp_path)

    async def scenario() -> None:
        await asyncio.gather(
            *(store.aput(("case", f"c{i}"), "m", memory(f"fact {i}")) for i in range(50))
        )

    asyncio.run(scenario())
    fresh = LanceStore(tmp_path)
    assert len(fresh.list_namespaces(prefix=("case",))) == 50
    assert all(fresh.get(("case", f"c{i}"), "m").value == memory(f"fact {i}") for i in range(50))


def test_connection_and_table_name(tmp_path: Path):
    db = lancedb.connect(tmp_path)
    a = LanceStore(connection=db, table="a")
    b = LanceStore(connection=db, table="b")
    a.put(NS, "k", memory("only in a"))
    assert b.get(NS, "k") is None
    assert set(db.list_tables().tables) == {"a", "b"}
    with pytest.raises(ConfigurationError, match="exactly one of path= or connection="):
        LanceStore()
    with pytest.raises(ConfigurationError, match="exactly one"):
        LanceStore(tmp_path, connection=db)


def test_incompatible_tables_are_refused(tmp_path: Path):
    LanceStore(tmp_path).put(NS, "k", memory("x"))
    other = LiteLLMEmbedder("fakeembed/none", dims=8)
    with pytest.raises(StoreError, match=r"built with embedder 'minilm' \(384 dims\)"):
        LanceStore(tmp_path, embedder=other)
    db = lancedb.connect(tmp_path)
    db.create_table("foreign", schema=pa.schema([("x", pa.int64())]))
    with pytest.raises(StoreError, match="not a memory-store table"):
        LanceStore(tmp_path, table="foreign")


def test_two_writers_on_one_table_keep_a_single_version_chain(tmp_path: Path):
    a, b = LanceStore(tmp_path), LanceStore(tmp_path)
    a.put(NS, "k", memory("one"))  # a caches what it wrote
    b.put(NS, "k", memory("two"))  # b commits behind a's back
    a.put(NS, "k", memory("three"))  # a must notice and re-read before writing
    b.delete(NS, "k")
    a.put(NS, "k", memory("five"))
    for store in (a, b):
        history = store.history(NS, "k")
        assert [(v.version, v.deleted) for v in history] == [
            (1, False), (2, False), (3, False), (4, True), (5, False),
        ]  # fmt: skip
        assert store.get(NS, "k").value == memory("five")
        assert len(store.search(NS)) == 1
    assert a._heads.loads >= 2


def _listing_fixture(store: LanceStore) -> None:
    store.put_many(
        [
            (("a", "b"), "k1", memory("User likes tea")),
            (("a", "b"), "k2", {"kind": "Note", "content": {"content": "Bring an umbrella"}}),
            (("a", "b", "c"), "k3", memory("User owns a bike")),
            (("a", "bc"), "k4", memory("Not under a/b")),
            (("z",), "k5", memory("Elsewhere")),
        ]
    )
    store.put(("a", "b"), "k1", memory("User likes green tea"))
    store.delete(("a", "b", "c"), "k3")
    store.put(("a", "bc"), "k6", memory("Written last"), index=False)


def test_listings_from_the_store_copy_equal_a_lancedb_query(tmp_path: Path):
    store = LanceStore(tmp_path)
    _listing_fixture(store)
    fresh = LanceStore(tmp_path)  # never wrote, so it must ask LanceDB
    assert store._heads.under(store.table.version, "") is not None
    assert fresh._heads.under(fresh.table.version, "") is None
    for prefix in [(), ("a",), ("a", "b"), ("a", "b", "c"), ("a", "bc"), ("nothing",)]:
        assert store.search(prefix, limit=50) == fresh.search(prefix, limit=50), prefix
        assert store.search(prefix, filter={"kind": "Note"}) == fresh.search(
            prefix, filter={"kind": "Note"}
        )
        assert store.list_namespaces(prefix=prefix) == fresh.list_namespaces(prefix=prefix)
    for namespace, key in [(("a", "b"), "k1"), (("a", "b", "c"), "k3"), (("z",), "nope")]:
        assert store.get(namespace, key) == fresh.get(namespace, key)
    assert [i.key for i in store.search(("a",), limit=2)] == ["k6", "k1"]
    assert store.list_namespaces() == [("a", "b"), ("a", "bc"), ("z",)]


def test_listings_see_writes_made_by_another_store(tmp_path: Path):
    a, b = LanceStore(tmp_path), LanceStore(tmp_path)
    a.put(NS, "k1", memory("one"))  # from now on a answers listings from its own copy
    b.put(NS, "k2", memory("two"))
    assert a._heads.under(a.table.version, "") is None  # the table moved on behind a's back
    assert {i.key for i in a.search(NS)} == {"k1", "k2"}
    assert a.get(NS, "k2").value == memory("two")
    b.delete(NS, "k1")
    assert a.get(NS, "k1") is None
    assert [i.key for i in a.search(NS)] == ["k2"]
    a.put(("other",), "k3", memory("three"))  # a reloads its copy and answers again
    assert a._heads.under(a.table.version, "") is not None
    assert [i.key for i in a.search(NS)] == ["k2"]
    assert a.list_namespaces() == [("memories", "u1"), ("other",)]


# -- exclusive stores: reads from memory, commits in the background -----------------------------


def _held_commits(store: LanceStore, monkeypatch: pytest.MonkeyPatch, fail: bool = False):
    """Make background commits wait for the returned event (and then fail, if asked)."""
    release = threading.Event()
    write_rows = store._write_rows

    def held(rows):
        release.wait(timeout=30)
        if fail:
            raise OSError("disk full")
        return write_rows(rows)

    monkeypatch.setattr(store, "_write_rows", held)
    return release


def test_an_exclusive_store_answers_reads_before_its_commits_land(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    store = LanceStore(tmp_path, exclusive=True)
    store.put(NS, "tea", memory("User likes tea"))
    store.flush()
    release = _held_commits(store, monkeypatch)
    store.put(NS, "tea", memory("User likes green tea"))  # returns while the commit waits
    store.put(NS, "bike", memory("User owns a bike"))
    store.delete(NS, "bike")
    assert store.get(NS, "tea").value == memory("User likes green tea")
    assert store.get(NS, "bike") is None
    assert [i.key for i in store.search(NS)] == ["tea"]
    assert LanceStore(tmp_path).get(NS, "tea").value == memory("User likes tea")  # not yet
    threading.Timer(0.2, release.set).start()
    found = store.search(NS, query="green tea", mode="fts")  # waits for the commits under NS
    assert [i.key for i in found] == ["tea"]
    asyncio.run(store.aflush())  # the async twin, from another event loop
    other = LanceStore(tmp_path)
    assert other.get(NS, "tea").value == memory("User likes green tea")
    assert [v.version for v in other.history(NS, "tea")] == [1, 2]
    assert [v.deleted for v in other.history(NS, "bike")] == [False, True]


def test_a_failed_background_commit_fails_every_later_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    store = LanceStore(tmp_path, exclusive=True)
    release = _held_commits(store, monkeypatch, fail=True)
    store.put(NS, "tea", memory("User likes tea"))
    release.set()
    with pytest.raises(StoreError, match=r"background commit failed.*disk full"):
        store.search(NS, query="tea")
    for call in (lambda: store.get(NS, "tea"), lambda: store.put(NS, "k", memory("x"))):
        with pytest.raises(StoreError, match="disk full"):
            call()
    assert LanceStore(tmp_path).get(NS, "tea") is None


def test_wait_idle_says_when_the_last_background_commit_is_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    store = LanceStore(tmp_path, exclusive=True)
    assert store.wait_idle(0)  # nothing written yet
    release = _held_commits(store, monkeypatch)
    store.put(NS, "tea", memory("User likes tea"))
    assert not store.wait_idle(0.05)  # the commit is held
    release.set()
    assert store.wait_idle(30)
    assert LanceStore(tmp_path).get(NS, "tea").value == memory("User likes tea")


def test_close_and_wait_all_idle_wait_for_an_in_memory_stores_background_commit(
    monkeypatch: pytest.MonkeyPatch,
):
    """An InMemoryStore commits in the background too; what a test (or a user) leaving it must
    wait for, one store (``close``, ``with``) or every store of the process at once."""
    from harness.memory.store import InMemoryStore
    from harness.memory.store.lance import wait_all_idle

    store, other = InMemoryStore(), InMemoryStore()
    assert wait_all_idle(0) == []
    release = _held_commits(store, monkeypatch)
    with store:
        store.put(NS, "tea", memory("User likes tea"))
        assert wait_all_idle(0.05) == [store]  # held: the process-wide wait names it
        with pytest.raises(StoreError, match=r"still committing after 0\.05 s"):
            store.close(0.05)
        other.put(NS, "x", memory("x"))
        release.set()
    assert store.wait_idle(0)  # leaving the block waited for the commit
    assert wait_all_idle(30) == []
    assert other.wait_idle(0)
    assert store.get(NS, "tea").value == memory("User likes tea")


def test_a_write_on_a_loop_whose_executor_is_shut_down_commits_and_ends_idle(tmp_path: Path):
    store = LanceStore(tmp_path, exclusive=True)

    async def write_after_teardown() -> None:
        await asyncio.get_running_loop().shutdown_default_executor()
        await store.aput(NS, "tea", memory("User likes tea"))

    asyncio.run(write_after_teardown())
    assert store.wait_idle(30)
    assert LanceStore(tmp_path).get(NS, "tea").value == memory("User likes tea")


def test_a_drain_cancelled_before_it_starts_fails_the_writes_and_ends_idle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    store = LanceStore(tmp_path, exclusive=True)
    executor = ThreadPoolExecutor(max_workers=1)
    busy = threading.Event()

    async def write_then_tear_down() -> None:
        asyncio.get_running_loop().set_default_executor(executor)
        executor.submit(busy.wait, 30)  # the only worker is taken: the drain has to queue
        await store.aput(NS, "tea", memory("User likes tea"))
        executor.shutdown(wait=False, cancel_futures=True)  # the queued drain never runs
        busy.set()
        await asyncio.sleep(0.1)  # the cancellation reaches the loop

    asyncio.run(write_then_tear_down())
    assert store.wait_idle(5)
    with pytest.raises(StoreError, match="commit cancelled"):
        store.get(NS, "tea")
