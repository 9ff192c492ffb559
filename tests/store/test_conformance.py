"""One behavioural contract, checked against InMemoryStore and LanceStore (both modes) alike."""

from __future__ import annotations

import asyncio
from datetime import UTC

import pytest

from harness.errors import StoreError
from harness.memory.store import BaseStore, Item

NS = ("memories", "u1")


@pytest.fixture(params=["inmemory", "lance", "lance-scoped"])
def store(request: pytest.FixtureRequest, tmp_path) -> BaseStore:
    """Every backend and mode: InMemoryStore (an exclusive LanceStore on memory://: reads from
    memory, background commits), a shared LanceStore on disk, and the replay runner's store
    (exclusive, on disk, full-text matches ranked by each search's own items).
    Each test ends with its store idle (an autouse fixture of the suite waits for every store)."""
    from harness.memory.store import InMemoryStore, LanceStore

    if request.param == "inmemory":
        return InMemoryStore()
    if request.param == "lance-scoped":
        return LanceStore(tmp_path / "lance", exclusive=True, bm25_scope="search")
    return LanceStore(tmp_path / "lance")


def memory(text: str, kind: str = "Memory", **extra: object) -> dict:
    """A value shaped the way the store manager writes memories."""
    return {"kind": kind, "content": {"content": text}, **extra}


def keys(items: list[Item]) -> list[str]:
    return [i.key for i in items]


# -- put / get / update / delete / history ---------------------------------------------------


def test_put_then_get_returns_the_value_with_utc_timestamps(store: BaseStore):
    store.put(NS, "k1", memory("User likes tea"))
    item = store.get(NS, "k1")
    assert item is not None
    assert (item.namespace, item.key, item.value) == (NS, "k1", memory("User likes tea"))
    assert item.created_at == item.updated_at
    assert item.created_at.utcoffset() == UTC.utcoffset(None)
    assert item.score is None
    assert store.get(NS, "missing") is None
    assert store.get(("memories", "u2"), "k1") is None


def test_returned_values_are_copies(store: BaseStore):
    store.put(NS, "k1", memory("User likes tea"))
    store.get(NS, "k1").value["content"]["content"] = "changed"
    assert store.get(NS, "k1").value == memory("User likes tea")


def test_update_keeps_created_at_and_the_prior_version(store: BaseStore):
    store.put(NS, "k1", memory("User likes tea"))
    first = store.get(NS, "k1")
    store.put(NS, "k1", memory("User likes coffee"))
    second = store.get(NS, "k1")
    assert second.value == memory("User likes coffee")
    assert second.created_at == first.created_at
    assert second.updated_at > first.updated_at
    history = store.history(NS, "k1")
    assert [(v.version, v.value, v.deleted) for v in history] == [
        (1, memory("User likes tea"), False),
        (2, memory("User likes coffee"), False),
    ]
    assert history[0].updated_at == first.updated_at
    assert history[1].updated_at == second.updated_at


def test_delete_is_a_tombstone_and_history_survives(store: BaseStore):
    store.put(NS, "k1", memory("User likes tea"))
    store.put(NS, "k1", memory("User likes coffee"))
    store.delete(NS, "k1")
    assert store.get(NS, "k1") is None
    assert store.search(NS) == []
    history = store.history(NS, "k1")
    assert [(v.version, v.deleted) for v in history] == [(1, False), (2, False), (3, True)]
    assert history[-1].value == {}
    assert history[-1].updated_at > history[1].updated_at


def test_deleting_a_missing_or_deleted_item_adds_nothing(store: BaseStore):
    store.delete(NS, "never")
    assert store.history(NS, "never") == []
    store.put(NS, "k1", memory("a"))
    store.delete(NS, "k1")
    store.delete(NS, "k1")
    assert [v.deleted for v in store.history(NS, "k1")] == [False, True]


def test_put_after_delete_starts_a_new_life_with_continued_versions(store: BaseStore):
    store.put(NS, "k1", memory("User likes tea"))
    old = store.get(NS, "k1")
    store.delete(NS, "k1")
    store.put(NS, "k1", memory("User likes cocoa"))
    item = store.get(NS, "k1")
    assert item.value == memory("User likes cocoa")
    assert item.created_at > old.created_at
    assert [v.version for v in store.history(NS, "k1")] == [1, 2, 3]


def test_put_many_applies_in_order_including_deletes(store: BaseStore):
    store.put_many(
        [
            (NS, "a", memory("User likes tea")),
            (NS, "b", memory("User owns a cat")),
            (NS, "a", memory("User likes green tea")),
            (NS, "b", None),
            (("memories", "u2"), "c", memory("User runs"), False),
        ]
    )
    assert store.get(NS, "a").value == memory("User likes green tea")
    assert [v.value for v in store.history(NS, "a")] == [
        memory("User likes tea"),
        memory("User likes green tea"),
    ]
    assert store.get(NS, "b") is None
    assert [v.deleted for v in store.history(NS, "b")] == [False, True]
    assert store.get(("memories", "u2"), "c") is not None
    store.put_many([])  # nothing to do is fine


# -- namespaces ------------------------------------------------------------------------------


@pytest.fixture
def spread(store: BaseStore) -> BaseStore:
    store.put(("memories", "u1"), "a", memory("User likes tea"))
    store.put(("memories", "u2", "x"), "b", memory("User likes tea with milk"))
    store.put(("memoriesX",), "c", memory("User likes tea a lot"))
    store.put(("other", "u1"), "d", memory("User likes tea sometimes"))
    return store


@pytest.mark.parametrize("mode", ["vector", "fts", "hybrid"])
def test_prefix_search_matches_whole_labels_only(spread: BaseStore, mode: str):
    found = spread.search(("memories",), query="tea", mode=mode)
    assert sorted((i.namespace, i.key) for i in found) == [
        (("memories", "u1"), "a"),
        (("memories", "u2", "x"), "b"),
    ]
    assert keys(spread.search(("memories", "u2"), query="tea", mode=mode)) == ["b"]


def test_listing_without_query_is_most_recent_first(spread: BaseStore):
    assert keys(spread.search(())) == ["d", "c", "b", "a"]
    assert keys(spread.search(("memories",), query="  ")) == ["b", "a"]
    spread.put(("memories", "u1"), "a", memory("User likes black tea"))
    listed = spread.search(("memories",))
    assert keys(listed) == ["a", "b"]
    assert all(i.score is None for i in listed)


def test_list_namespaces_prefix_suffix_depth_and_paging(spread: BaseStore):
    assert spread.list_namespaces() == [
        ("memories", "u1"),
        ("memories", "u2", "x"),
        ("memoriesX",),
        ("other", "u1"),
    ]
    assert spread.list_namespaces(prefix=("memories",)) == [
        ("memories", "u1"),
        ("memories", "u2", "x"),
    ]
    assert spread.list_namespaces(suffix=("u1",)) == [("memories", "u1"), ("other", "u1")]
    assert spread.list_namespaces(max_depth=1) == [("memories",), ("memoriesX",), ("other",)]
    assert spread.list_namespaces(prefix=("memories",), max_depth=2) == [
        ("memories", "u1"),
        ("memories", "u2"),
    ]
    assert spread.list_namespaces(limit=2, offset=1) == [("memories", "u2", "x"), ("memoriesX",)]
    spread.delete(("other", "u1"), "d")
    assert ("other", "u1") not in spread.list_namespaces()


# -- filters and paging ------------------------------------------------------------------------


@pytest.fixture
def kinds(store: BaseStore) -> BaseStore:
    def pref(category: str, value: str, **extra: object) -> dict:
        return {"kind": "Preference", "content": {"category": category, "value": value}, **extra}

    store.put_many(
        [
            (NS, "m1", memory("User likes tea")),
            (NS, "p1", pref("ui", "dark tea-coloured theme")),
            (NS, "p2", pref("food", "tea and biscuits")),
            (NS, "p3", pref("food", "tea", rank=3)),
        ]
    )
    return store


@pytest.mark.parametrize("query", [None, "tea"])
@pytest.mark.parametrize("mode", ["vector", "fts", "hybrid"])
@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"kind": "Memory"}, {"m1"}),
        ({"kind": "Preference", "content.category": "food"}, {"p2", "p3"}),
        ({"content.category": {"$ne": "food"}}, {"m1", "p1"}),
        ({"content.category": {"$in": ["ui", "food"]}}, {"p1", "p2", "p3"}),
        ({"kind": {"$in": ["Memory"]}}, {"m1"}),
        ({"kind": {"$nin": ["Memory"]}}, {"p1", "p2", "p3"}),
        ({"rank": {"$gte": 3}}, {"p3"}),
        ({"rank": {"$lt": 3}}, set()),
        ({"content.category": None}, {"m1"}),
    ],
)
def test_filters(kinds: BaseStore, query: str | None, mode: str, filter: dict, expected: set):
    assert set(keys(kinds.search(("memories",), query=query, filter=filter, mode=mode))) == expected


def test_unknown_filter_operator_is_named(store: BaseStore):
    with pytest.raises(StoreError, match=r"\$regex"):
        store.search(NS, filter={"kind": {"$regex": "M.*"}})
    with pytest.raises(StoreError, match="needs a list"):
        store.search(NS, filter={"kind": {"$in": "Memory"}})


@pytest.mark.parametrize("query", [None, "tea"])
@pytest.mark.parametrize("mode", ["vector", "fts", "hybrid"])
def test_limit_and_offset_page_through_one_ranking(store: BaseStore, query, mode):
    store.put_many([(NS, f"k{i:02d}", memory(f"User drinks tea number {i}")) for i in range(12)])
    everything = keys(store.search(NS, query=query, mode=mode, limit=12))
    assert len(everything) == 12
    pages = [keys(store.search(NS, query=query, mode=mode, limit=5, offset=o)) for o in (0, 5, 10)]
    assert [len(p) for p in pages] == [5, 5, 2]
    assert pages[0] + pages[1] + pages[2] == everything
    assert store.search(NS, query=query, mode=mode, limit=0) == []
    assert store.search(NS, query=query, mode=mode, offset=20) == []


# -- relevance ---------------------------------------------------------------------------------

CORPUS = {
    "theme": "User prefers dark mode in every editor",
    "tea": "User drinks green tea every morning",
    "city": "User lives in Lisbon",
    "dog": "User has a beagle called Max",
    "job": "User works as a nurse on night shifts",
    "lang": "User is learning Japanese",
    "allergy": "User is allergic to peanuts",
    "car": "User drives an electric car",
}


@pytest.fixture
def corpus(store: BaseStore) -> BaseStore:
    store.put_many([(NS, key, memory(text)) for key, text in CORPUS.items()])
    return store


@pytest.mark.parametrize("mode", ["vector", "fts", "hybrid"])
@pytest.mark.parametrize(
    ("query", "best"),
    [
        ("Which UI theme does the user like? dark mode", "theme"),
        ("what does the user drink in the morning, tea?", "tea"),
        ("Where does the user live? Lisbon", "city"),
        ("peanuts allergy", "allergy"),
        ("name of the user's beagle", "dog"),
    ],
)
def test_the_obviously_relevant_item_ranks_first(corpus: BaseStore, mode, query, best):
    found = corpus.search(("memories",), query=query, mode=mode, limit=3)
    assert found[0].key == best
    scores = [i.score for i in found]
    assert all(s is not None for s in scores)
    assert scores == sorted(scores, reverse=True)


def test_vector_scores_are_cosine_similarities(corpus: BaseStore):
    found = corpus.search(NS, query=CORPUS["lang"], mode="vector", limit=8)
    assert found[0].key == "lang"
    assert found[0].score == pytest.approx(1.0, abs=1e-3)
    assert all(-1.0 <= i.score <= 1.0 + 1e-6 for i in found)
    assert len(found) == 8  # vector search ranks every searchable item


def test_fts_returns_only_items_sharing_a_term(corpus: BaseStore):
    assert keys(corpus.search(NS, query="beagle", mode="fts")) == ["dog"]
    assert corpus.search(NS, query="xylophone", mode="fts") == []


def test_hybrid_is_deterministic_and_fuses_both_rankings(corpus: BaseStore):
    runs = [
        keys(corpus.search(NS, query="electric car or tea", mode="hybrid", limit=8))
        for _ in range(3)
    ]
    assert runs[0] == runs[1] == runs[2]
    assert set(runs[0][:2]) == {"car", "tea"}
    assert len(runs[0]) == 8  # vector-only hits are kept, after the fused ones


@pytest.mark.parametrize("limit", [1, 3, 8])
@pytest.mark.parametrize(
    "modes", [("vector", "fts", "hybrid"), ("vector",), ("fts", "hybrid"), ("hybrid",)]
)
def test_search_modes_equals_one_search_per_mode(corpus: BaseStore, modes, limit):
    corpus.put(NS, "tea2", memory("User drinks green tea"))  # a near tie with "tea"
    for query in ("electric car or tea", "tea", "Where does the user live? Lisbon", " "):
        found = asyncio.run(corpus.asearch_modes(NS, query=query, modes=modes, limit=limit))
        assert list(found) == list(modes)
        for mode in modes:
            items, took = found[mode]
            assert items == corpus.search(NS, query=query, mode=mode, limit=limit), (query, mode)
            assert took >= 0.0


def test_search_modes_each_equals_one_search_per_prefix(store: BaseStore):
    big, small = ("memories", "big"), ("memories", "small")
    store.put_many(
        [(big, f"b{i:02d}", memory(f"User drinks tea number {i}")) for i in range(30)]
        + [(small, "s1", memory("User drinks coffee")), (small, "s2", memory("User likes tea"))]
    )  # the big namespace outranks the small one, with many ties, in one shared ranking
    prefixes = [big, small, ("memories",), ("nobody",)]
    modes = ("vector", "fts", "hybrid")
    for query in ("tea", "coffee drinks", "xylophone", ""):
        for limit in (1, 3):
            found = asyncio.run(
                store.asearch_modes_each(prefixes, query=query, modes=modes, limit=limit)
            )
            assert len(found) == len(prefixes)
            for prefix, per_mode in zip(prefixes, found, strict=True):
                assert list(per_mode) == list(modes)
                for mode, (items, took) in per_mode.items():
                    expected = store.search(prefix, query=query, mode=mode, limit=limit)
                    assert items == expected, (query, limit, prefix, mode)
                    assert took >= 0.0
    assert asyncio.run(store.asearch_modes_each([], query="tea", modes=modes)) == []


def test_search_modes_many_equals_each_query_alone(store: BaseStore):
    big, small = ("memories", "big"), ("memories", "small")
    store.put_many(
        [(big, f"b{i:02d}", memory(f"User drinks tea number {i % 7}")) for i in range(90)]
        + [(small, "s1", memory("User drinks coffee")), (small, "s2", memory("User likes tea"))]
    )  # ties (repeated texts) across the cut, and a small namespace that needs a deeper fetch
    prefixes = [big, small, ("nobody",)]
    modes = ("vector", "fts", "hybrid")
    queries = ["tea", "coffee drinks", "", "xylophone", "tea number 3", "tea"]
    for limit in (1, 3, 12):
        many = asyncio.run(
            store.asearch_modes_many(prefixes, queries=queries, modes=modes, limit=limit)
        )
        assert len(many) == len(queries)
        for query, found in zip(queries, many, strict=True):
            alone = asyncio.run(
                store.asearch_modes_each(prefixes, query=query, modes=modes, limit=limit)
            )
            strip = [{mode: items for mode, (items, _) in per.items()} for per in alone]
            assert [{m: items for m, (items, _) in per.items()} for per in found] == strip, query
            assert all(took >= 0.0 for per in found for _, took in per.values())
    assert asyncio.run(store.asearch_modes_many([], queries=["tea"], modes=modes)) == [[]]
    assert asyncio.run(store.asearch_modes_many(prefixes, queries=[], modes=modes)) == []


@pytest.mark.parametrize("mode", ["vector", "fts", "hybrid"])
def test_search_many_equals_each_query_alone(store: BaseStore, mode: str):
    store.put_many(
        [(NS, f"t{i:02d}", memory(f"User drinks tea number {i % 5}")) for i in range(40)]
        + [(NS, "c", memory("User drinks coffee")), (("other",), "o", memory("User likes tea"))]
    )  # ties across the cut, and an item outside the namespace
    queries = ["tea", "coffee drinks", " ", "tea number 3", "xylophone", "tea"]
    for limit in (0, 1, 4, 50):
        found = asyncio.run(store.asearch_many(NS, queries, limit=limit, mode=mode))
        alone = [store.search(NS, query=q, limit=limit, mode=mode) for q in queries]
        assert found == alone, limit


def test_index_false_items_are_listed_but_never_match_a_query(store: BaseStore):
    store.put(NS, "secret", memory("User likes tea"), index=False)
    store.put(NS, "plain", memory("User likes coffee"))
    assert keys(store.search(NS)) == ["plain", "secret"]
    for mode in ("vector", "fts", "hybrid"):
        expected = [] if mode == "fts" else ["plain"]  # "coffee" shares no term with "tea"
        assert keys(store.search(NS, query="tea", mode=mode)) == expected


def test_index_fields_choose_the_searched_text(store: BaseStore):
    value = {"kind": "Preference", "content": {"category": "beverages", "value": "User likes tea"}}
    store.put(NS, "p", value, index=["content.category"])
    assert keys(store.search(NS, query="beverages", mode="fts")) == ["p"]
    assert store.search(NS, query="tea", mode="fts") == []


# -- async twins and concurrency ---------------------------------------------------------------


def test_async_twins(store: BaseStore):
    async def scenario() -> None:
        await store.aput(NS, "k1", memory("User likes tea"))
        await store.aput_many([(NS, "k2", memory("User likes dogs"))])
        assert (await store.aget(NS, "k1")).value == memory("User likes tea")
        assert keys(await store.asearch(NS, query="tea", mode="fts")) == ["k1"]
        assert await store.alist_namespaces() == [NS]
        await store.adelete(NS, "k1")
        assert await store.aget(NS, "k1") is None
        assert [v.deleted for v in await store.ahistory(NS, "k1")] == [False, True]

    asyncio.run(scenario())


def test_many_tasks_writing_distinct_namespaces(store: BaseStore):
    async def write(i: int) -> None:
        await store.aput(("case", f"c{i}"), "m", memory(f"Fact number {i} about the user"))
        await store.aput(("case", f"c{i}"), "m", memory(f"Corrected fact {i} about the user"))

    async def scenario() -> None:
        await asyncio.gather(*(write(i) for i in range(50)))

    asyncio.run(scenario())
    assert len(store.list_namespaces(prefix=("case",))) == 50
    for i in range(50):
        assert store.get(("case", f"c{i}"), "m").value == memory(
            f"Corrected fact {i} about the user"
        )
        assert [v.version for v in store.history(("case", f"c{i}"), "m")] == [1, 2]


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("namespace", "message"),
    [
        (("memories", ""), "label #1 is empty"),
        (("memories", "a\x1fb"), "'a\\\\x1fb'"),
        (("memories", 3), "label #1 is int"),
        ("memories", "not the string"),
        ((), "at least one label"),
    ],
)
def test_bad_namespace_labels_are_named(store: BaseStore, namespace, message):
    with pytest.raises(StoreError, match=message):
        store.put(namespace, "k", memory("x"))


def test_bad_prefix_key_value_and_options(store: BaseStore):
    with pytest.raises(StoreError, match="label #0 is empty"):
        store.search(("",))
    with pytest.raises(StoreError, match="key must be a non-empty string"):
        store.put(NS, "", memory("x"))
    with pytest.raises(StoreError, match="value must be a dict"):
        store.put(NS, "k", ["not", "a", "dict"])
    with pytest.raises(StoreError, match="not JSON-serialisable"):
        store.put(NS, "k", {"when": object()})
    with pytest.raises(StoreError, match="unknown search mode 'semantic'"):
        store.search(NS, query="x", mode="semantic")
    with pytest.raises(StoreError, match="limit"):
        store.search(NS, limit=-1)
    with pytest.raises(StoreError, match="max_depth"):
        store.list_namespaces(max_depth=0)
    with pytest.raises(StoreError, match="use delete"):
        store.put(NS, "k", None)
    assert store.get(NS, "k") is None  # nothing half-written


@pytest.mark.parametrize("mode", ["vector", "fts", "hybrid"])
def test_an_empty_store_finds_nothing(store: BaseStore, mode: str):
    assert store.search(("memories",), query="tea", mode=mode) == []
    assert store.search(()) == []
    assert store.list_namespaces() == []
    assert store.history(NS, "k") == []


@pytest.mark.parametrize("mode", ["vector", "fts", "hybrid"])
def test_a_selective_filter_still_fills_the_page(store: BaseStore, mode: str):
    # 120 close matches of another kind rank above the 5 wanted ones: the search must dig deeper.
    store.put_many(
        [(NS, f"n{i}", memory(f"User drinks tea, cup {i}", kind="Noise")) for i in range(120)]
    )
    store.put_many(
        [(NS, f"w{i}", memory(f"Tea {i}? the user never mentioned it")) for i in range(5)]
    )
    found = store.search(NS, query="User drinks tea", filter={"content.content": {"$nin": []},
                         "kind": {"$ne": "Noise"}}, mode=mode, limit=5)  # fmt: skip
    assert sorted(keys(found)) == [f"w{i}" for i in range(5)]


def test_quotes_and_sql_characters_in_names_are_data(store: BaseStore):
    odd = ("it's", "100%_sure", "back\\slash", 'say "hi"; DROP TABLE memories; --')
    store.put(odd, "o'key\\%", memory("User likes tea"))
    store.put(("it's", "100%Xsure"), "other", memory("User likes tea"))
    assert store.get(odd, "o'key\\%").value == memory("User likes tea")
    for mode in ("vector", "fts", "hybrid"):
        assert [i.namespace for i in store.search(odd[:2], query="tea", mode=mode)] == [odd]
    assert store.list_namespaces(prefix=odd[:2]) == [odd]
    assert len(store.history(odd, "o'key\\%")) == 1
    assert store.search(("it's", "100%_sure"), filter={"kind": "it's"}) == []


def test_item_to_dict(store: BaseStore):
    store.put(NS, "k", memory("User likes tea"))
    item = store.get(NS, "k").to_dict()
    assert item["namespace"] == list(NS) and item["value"] == memory("User likes tea")
    assert item["created_at"].endswith("+00:00") and item["score"] is None
