"""docs/library/stores.md: no chat model is called; the checks look at the store."""

from __future__ import annotations

from doc_examples import Example, Scripted
from harness.memory.store import InMemoryStore, LanceStore


def basics_check(ns: dict, ctx: Scripted) -> None:
    assert isinstance(ns["store"], LanceStore)
    assert [hit.key for hit in ns["store"].search(ns["ns"])] == ["m3", "m2", "m1"]
    assert ctx.model.requests == []


def history_check(ns: dict, ctx: Scripted) -> None:
    store = ns["store"]
    assert [v.version for v in store.history(ns["ns"], "m1")] == [1, 2]
    assert store.history(ns["ns"], "m1")[0].created_at == store.get(ns["ns"], "m1").created_at


def search_check(ns: dict, ctx: Scripted) -> None:
    assert ns["store"].get(ns["ns"], "p1").value["content"]["category"] == "food"


def inmemory_check(ns: dict, ctx: Scripted) -> None:
    assert isinstance(ns["scratch"], InMemoryStore)


def bm25_scope_check(ns: dict, ctx: Scripted) -> None:
    shared = ns["shared"]  # the last store of the loop: statistics per search, no table index
    assert shared.bm25_scope == "search" and shared.table.list_indices() == []
    assert [hit.key for hit in shared.search(("memories", "others"), query="tea", mode="fts")]


def embeddings_check(ns: dict, ctx: Scripted) -> None:
    assert ns["a"].shape == (384,) and ns["embedder"].name == "minilm"


def exclusive_check(ns: dict, ctx: Scripted) -> None:
    private = ns["private"]
    assert private.exclusive
    assert all(ticket.done.done() for ticket in private._unsettled)  # flushed
    reopened = LanceStore(private._db.uri)  # a second store sees the flushed write
    assert reopened.get(("scratch",), "k1").value == private.get(("scratch",), "k1").value


def registry_check(ns: dict, ctx: Scripted) -> None:
    assert ns["notes"].count_rows() == 2


EXAMPLES = {
    "store-basics": Example(check=basics_check),
    "store-history": Example(check=history_check, after=("store-basics",)),
    "store-search": Example(check=search_check, after=("store-history",)),
    "store-inmemory": Example(check=inmemory_check),
    "store-bm25-scope": Example(check=bm25_scope_check),
    "store-embeddings": Example(check=embeddings_check),
    "store-lancedb-registry": Example(check=registry_check, after=("store-basics",)),
    "store-exclusive": Example(check=exclusive_check, after=("store-basics",)),
}
