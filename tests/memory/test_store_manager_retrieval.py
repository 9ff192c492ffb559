"""Which memories a store manager shows its extractor, asserted on the prompts the model got."""

from __future__ import annotations

from memory_helpers import on_loop

from harness import create_memory_store_manager
from harness.memory._prompt import Turn
from harness.memory._retrieval import conversation_queries, merge_ranked, parse_queries
from harness.memory._writes import Stored
from harness.memory.store import BaseStore, InMemoryStore, Item
from harness.models import ToolCall, record_calls, scripted_model

NS = ("memories", "u1")
CONFIG = {"configurable": {"user_id": "u1"}}
MEMORIES = {
    "theme": "User prefers dark mode in every app",
    "pet": "User has a cat named Miso",
    "diet": "User is vegetarian",
    "city": "User lives in Porto",
    "job": "User works as a nurse on night shifts",
    "music": "User plays the cello",
    "allergy": "User is allergic to peanuts",
    "family": "User's sister Ana lives in Berlin",
}


async def fill(store: BaseStore, memories: dict[str, str] = MEMORIES, ns=NS) -> None:
    await store.aput_many(
        [
            (ns, key, {"kind": "Memory", "content": {"content": text}})
            for key, text in memories.items()
        ]
    )


def user(*texts: str) -> dict:
    messages = []
    for text in texts:
        messages += [{"role": "user", "content": text}, {"role": "assistant", "content": "Sure."}]
    return {"messages": messages}


def shown(request) -> list[str]:
    """The memories the extraction prompt listed, as their text, in order."""
    text = request.messages[1]["content"]
    block = text[text.index("<memories>\n") + 11 : text.index("\n</memories>")]
    if block == "(none)":
        return []
    by_text = {v: k for k, v in MEMORIES.items()}
    lines = [line.split(" Memory ", 1)[1] for line in block.splitlines()]
    return [by_text.get(line[len('{"content":"') : -2], line) for line in lines]


def manager(scripted, store, **options):
    return create_memory_store_manager(
        scripted.model, store=store, namespace=("memories", "{user_id}"), **options
    )


# -- by the conversation ---------------------------------------------------------------------------


@on_loop
async def test_latest_user_message_finds_the_related_memory(scripted, store):
    await fill(store)
    scripted.enqueue_text("done")
    sm = manager(scripted, store, query_limit=3)
    result = await sm.ainvoke(user("Can you switch everything to a dark theme?"), CONFIG)
    seen = shown(scripted.requests[0])
    assert len(seen) == 3 and seen[0] == "theme"
    assert result.queries == ["Can you switch everything to a dark theme?"]
    assert [item.key for item in result.retrieved] == seen


@on_loop
async def test_each_recent_user_message_is_a_query_and_results_interleave(scripted, store):
    await fill(store)
    scripted.enqueue_text("done")
    sm = manager(scripted, store, query_limit=3)
    conversation = user(
        "My cat Miso is sick today",
        "I'm cooking a vegetarian dinner tonight",
        "Can you switch everything to a dark theme?",
    )
    result = await sm.ainvoke(conversation, CONFIG)
    assert shown(scripted.requests[0]) == ["theme", "diet", "pet"]  # best hit of each, newest first
    assert result.queries[0] == "Can you switch everything to a dark theme?"
    assert len(result.queries) == 3


@on_loop
async def test_max_queries_limits_how_many_messages_are_searched(scripted):
    store = InMemoryStore()
    await fill(store)
    scripted.enqueue_text("done")
    sm = manager(scripted, store, query_limit=2, retrieval={"max_queries": 1})
    conversation = user("My cat Miso is sick today", "Can you switch everything to a dark theme?")
    result = await sm.ainvoke(conversation, CONFIG)
    assert result.queries == ["Can you switch everything to a dark theme?"]
    assert shown(scripted.requests[0])[0] == "theme" and "pet" not in shown(scripted.requests[0])


@on_loop
async def test_a_small_query_limit_still_retrieves(scripted):
    # LangMem skips retrieval below query_limit=4; here one related memory is still shown.
    store = InMemoryStore()
    await fill(store, {k: MEMORIES[k] for k in ("theme", "pet")})
    scripted.enqueue_text("done")
    await manager(scripted, store, query_limit=1).ainvoke(user("My cat Miso is sick"), CONFIG)
    assert shown(scripted.requests[0]) == ["pet"]


@on_loop
async def test_small_namespace_is_shown_whole_oldest_first_without_searching(scripted, store):
    for key in ("music", "city", "pet"):
        await store.aput(NS, key, {"kind": "Memory", "content": {"content": MEMORIES[key]}})
    scripted.enqueue_text("done")
    result = await manager(scripted, store, query_limit=3).ainvoke(user("Hello"), CONFIG)
    assert shown(scripted.requests[0]) == ["music", "city", "pet"]
    assert result.queries == []


@on_loop
async def test_room_left_by_searches_is_filled_with_recent_memories(scripted, store):
    # Full-text search finds nothing for "Hmm, ok"; the model still sees query_limit memories.
    await fill(store)
    scripted.enqueue_text("done")
    sm = manager(scripted, store, query_limit=2, retrieval={"mode": "fts"})
    result = await sm.ainvoke(user("Hmm, ok"), CONFIG)
    recent = [item.key for item in await store.asearch(NS, limit=3)]
    assert recent == ["family", "allergy", "music"]  # the last ones written
    assert shown(scripted.requests[0]) == ["family", "allergy"]
    assert result.queries == ["Hmm, ok"]

    scripted.enqueue_text("done")
    await sm.ainvoke(user("I walked my cat Miso"), CONFIG)  # one fts hit, then the most recent
    assert shown(scripted.requests[1]) == ["pet", "family"]


@on_loop
async def test_hybrid_mode(scripted, store):
    await fill(store)
    scripted.enqueue_text("done")
    sm = manager(scripted, store, query_limit=2, retrieval={"mode": "hybrid"})
    await sm.ainvoke(user("sister in Berlin"), CONFIG)
    assert shown(scripted.requests[0])[0] == "family"


@on_loop
async def test_retrieval_none_shows_nothing(scripted):
    store = InMemoryStore()
    await fill(store)
    scripted.enqueue_text("done")
    result = await manager(scripted, store, retrieval="none").ainvoke(user("dark theme"), CONFIG)
    assert shown(scripted.requests[0]) == [] and result.retrieved == []


@on_loop
async def test_items_that_are_not_memories_and_deeper_namespaces_are_left_alone(scripted):
    store = InMemoryStore()
    await fill(store, {"pet": MEMORIES["pet"]})
    await store.aput(NS, "odd", {"kind": "Note", "content": {"text": "not a Memory"}})
    await store.aput(NS, "raw", {"anything": 1})
    await fill(store, {"music": MEMORIES["music"]}, ns=(*NS, "archive"))
    scripted.enqueue_text("done")
    await manager(scripted, store).ainvoke(user("My cat"), CONFIG)
    assert shown(scripted.requests[0]) == ["pet"]
    assert (await store.aget(NS, "odd")).value["kind"] == "Note"


# -- by a query model ------------------------------------------------------------------------------


@on_loop
async def test_query_model_writes_the_searches(scripted, store):
    await fill(store)
    queries = scripted_model(f"{scripted.name}-q").reset()
    call = {"name": "search_memories", "arguments": {"queries": ["food allergies", "diet"]}}
    queries.enqueue_tool_calls([call], usage={"input_tokens": 40, "output_tokens": 9})
    scripted.enqueue_text("done", usage={"input_tokens": 200, "output_tokens": 1})
    sm = manager(scripted, store, query_model=queries.model, query_limit=2)
    with record_calls() as calls:
        result = await sm.ainvoke(user("Book me a table for Friday"), CONFIG)

    [asked] = queries.requests
    assert asked.tool_names == ["search_memories"]
    assert "[m0] user: Book me a table for Friday" in asked.messages[1]["content"]
    assert "up to 3 short search queries" in asked.messages[0]["content"]
    assert shown(scripted.requests[0]) == ["allergy", "diet"]
    assert result.queries == ["food allergies", "diet"]
    assert [(c.model, c.purpose) for c in calls] == [
        (queries.model, "query"),
        (scripted.model, "extract"),
    ]
    assert (result.usage.input_tokens, result.usage.output_tokens) == (240, 10)


@on_loop
async def test_query_model_without_searches_falls_back_to_the_conversation(scripted):
    store = InMemoryStore()
    await fill(store)
    queries = scripted_model(f"{scripted.name}-q").reset()
    queries.enqueue_text("I would search for the cat.")
    scripted.enqueue_text("done")
    sm = manager(scripted, store, query_model=queries.model, query_limit=1)
    result = await sm.ainvoke(user("My cat Miso is sick today"), CONFIG)
    assert result.queries == ["My cat Miso is sick today"]
    assert shown(scripted.requests[0]) == ["pet"]


@on_loop
async def test_query_model_defaults_to_the_main_model(scripted):
    store = InMemoryStore()
    await fill(store)
    scripted.enqueue_tool_calls([{"name": "search_memories", "arguments": {"queries": ["cello"]}}])
    scripted.enqueue_text("done")
    sm = manager(scripted, store, retrieval="query_model", query_limit=1)
    await sm.ainvoke(user("What should I practise?"), CONFIG)
    assert scripted.requests[0].tool_names == ["search_memories"]
    assert shown(scripted.requests[1]) == ["music"]


# -- the pure parts ------------------------------------------------------------------------------


def test_conversation_queries():
    turns = [
        Turn("a", "user", "first"),
        Turn("b", "assistant", "reply"),
        Turn("c", "user", "  "),
        Turn("d", "user", "second"),
        Turn("e", "user", "first"),
    ]
    assert conversation_queries(turns, 3) == ["first", "second"]
    assert conversation_queries(turns, 1) == ["first"]
    assert conversation_queries([Turn("x", "assistant", "only me")], 3) == ["only me"]
    assert conversation_queries([], 3) == []


def test_merge_ranked_round_robin_dedupes_and_tops_up():
    def pairs(*keys):
        return [(Stored(k, "Memory", {"content": k}), _item(k)) for k in keys]

    merged = merge_ranked([pairs("a", "b", "c"), pairs("b", "d"), pairs("z", "y")], 4, top_up=2)
    assert [s.key for s, _ in merged] == ["a", "b", "d", "c"]
    merged = merge_ranked([pairs("a"), pairs(), pairs("z", "a", "y")], 3, top_up=2)
    assert [s.key for s, _ in merged] == ["a", "z", "y"]
    assert merge_ranked([], 3) == []


def test_parse_queries():
    calls = [
        ToolCall(id="1", name="search_memories", arguments={"queries": ["a", " b ", "", 3, "a"]}),
        ToolCall(id="2", name="other", arguments={"queries": ["x"]}),
        ToolCall(id="3", name="search_memories", arguments={"query": "c"}),
    ]
    assert parse_queries(calls, 5) == ["a", "b", "c"]
    assert parse_queries(calls, 2) == ["a", "b"]


def _item(key: str) -> Item:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return Item(NS, key, {"content": {"content": key}}, now, now)
