"""create_memory_store_manager end to end: scripted model -> litellm -> manager -> real stores.

Every test that touches the store runs against both InMemoryStore and LanceStore.
"""

from __future__ import annotations

import pytest
from memory_helpers import call, on_loop
from pydantic import BaseModel

from harness import MemoryStoreManager, create_memory_store_manager
from harness.errors import ConfigurationError
from harness.memory import (
    ExtractionResult,
    MemoryOperation,
    StoreManagerResult,
    StoreOperation,
    create_memory_manager,
)
from harness.memory.store import InMemoryStore
from harness.models import record_calls, scripted_model

CONFIG = {"configurable": {"user_id": "u1"}}
NS = ("memories", "u1")


class PreferenceMemory(BaseModel):
    """Store one preference of the user."""

    category: str
    preference: str
    context: str


def conversation(*texts: str, ids: bool = False) -> dict:
    messages = []
    for i, text in enumerate(texts):
        message = {"role": "user" if i % 2 == 0 else "assistant", "content": text}
        if ids:
            message["id"] = f"t{i + 1}"
        messages.append(message)
    return {"messages": messages}


def prompt(request) -> str:
    return request.messages[1]["content"]


def memory_lines(request) -> list[str]:
    text = prompt(request)
    return text[text.index("<memories>\n") + 11 : text.index("\n</memories>")].splitlines()


def manager(scripted, store=None, **options) -> MemoryStoreManager:
    options.setdefault("namespace", ("memories", "{user_id}"))
    return create_memory_store_manager(scripted.model, store=store, **options)


# -- the basic flow --------------------------------------------------------------------------------


@on_loop
async def test_insert_then_update_with_provenance_and_history(scripted, store):
    sm = manager(scripted, store)
    scripted.enqueue_tool_calls([call("insert_memory", content="User prefers dark mode")])
    first = await sm.ainvoke(conversation("I prefer dark mode", "Noted", ids=True), CONFIG)

    [op] = first.operations
    assert isinstance(first, StoreManagerResult) and isinstance(op, StoreOperation)
    assert (op.op, op.namespace, op.stage, op.before) == ("insert", NS, "extract", None)
    assert op.source == []  # the model cited nothing: no sources are invented
    item = await store.aget(NS, op.id)
    assert item.value == {
        "kind": "Memory",
        "content": {"content": "User prefers dark mode"},
        "source": [],
    }
    assert list(first) == [{"namespace": NS, "key": op.id, "value": item.value}]

    update = call("update_memory", id="1", content="User prefers light mode", sources=["t3"])
    scripted.enqueue_tool_calls([update])
    second = await sm.ainvoke(conversation("Light mode now", "Ok", ids=True) | {}, CONFIG)
    assert memory_lines(scripted.requests[-1]) == [
        '[1] Memory {"content":"User prefers dark mode"}'
    ]
    [op2] = second.operations
    assert (op2.op, op2.id) == ("update", op.id)
    assert op2.before == {"content": "User prefers dark mode"}
    assert op2.after == {"content": "User prefers light mode"}
    assert op2.source == []  # "t3" is not a message of this conversation: ignored
    history = await store.ahistory(NS, op.id)
    assert [v.value["content"]["content"] for v in history] == [
        "User prefers dark mode",
        "User prefers light mode",
    ]


@on_loop
async def test_model_cited_sources_are_recorded(scripted):
    store = InMemoryStore()
    sm = manager(scripted, store)
    scripted.enqueue_tool_calls([call("insert_memory", content="User has a cat", sources=["t3"])])
    messages = conversation("Hi", "Hello", "My cat Miso is asleep", ids=True)
    result = await sm.ainvoke(messages, CONFIG)
    assert result.operations[0].source == ["t3"]
    assert result[0]["value"]["source"] == ["t3"]


@on_loop
async def test_messages_without_ids_get_positional_ids(scripted):
    store = InMemoryStore()
    sm = manager(scripted, store)
    scripted.enqueue_tool_calls([call("insert_memory", content="User has a cat", sources=["m2"])])
    result = await sm.ainvoke(conversation("Hi", "Hello", "My cat Miso is asleep"), CONFIG)
    assert "[m2] user: My cat Miso is asleep" in prompt(scripted.requests[0])
    assert result.operations[0].source == ["m2"]


@on_loop
async def test_delete_is_reported_and_tombstoned(scripted, store):
    sm = manager(scripted, store, enable_deletes=True)
    await sm.aput("job", "User is looking for a new job", CONFIG)
    scripted.enqueue_tool_calls([call("delete_memory", id="1")])
    result = await sm.ainvoke(conversation("Forget the job hunt, I'm staying", ids=True), CONFIG)

    assert "delete_memory" in scripted.requests[0].tool_names
    [op] = result.operations
    assert (op.op, op.id, op.before, op.after) == (
        "delete",
        "job",
        {"content": "User is looking for a new job"},
        None,
    )
    assert list(result) == [{"namespace": NS, "key": "job", "value": None}]
    assert await store.aget(NS, "job") is None
    history = await store.ahistory(NS, "job")
    assert [v.deleted for v in history] == [False, True]
    assert history[0].value["content"] == {"content": "User is looking for a new job"}


@on_loop
async def test_deletes_are_off_by_default(scripted):
    store = InMemoryStore()
    sm = manager(scripted, store)
    await sm.aput("job", "User is looking for a new job", CONFIG)
    scripted.enqueue_tool_calls([call("delete_memory", id="1")])
    result = await sm.ainvoke(conversation("Forget the job hunt"), CONFIG)
    assert "delete_memory" not in scripted.requests[0].tool_names
    assert result.operations == [] and list(result) == []
    assert [r.reason for r in result.rejected] == [
        "delete_memory was not offered: deletes are disabled"
    ]
    assert (await store.aget(NS, "job")) is not None


@on_loop
async def test_enable_inserts_false_is_honoured_on_an_empty_namespace(scripted):
    store = InMemoryStore()
    sm = manager(scripted, store, enable_inserts=False)
    scripted.enqueue_tool_calls([call("insert_memory", content="User prefers dark mode")])
    result = await sm.ainvoke(conversation("I prefer dark mode"), CONFIG)
    assert scripted.requests[0].tool_names == ["update_memory"]
    assert result.operations == [] and result.rejected[0].name == "insert_memory"
    assert await store.asearch(NS) == []


@on_loop
async def test_structured_schema_round_trip(scripted, store):
    sm = manager(scripted, store, schemas=[PreferenceMemory])
    pref = {"category": "ui", "preference": "dark mode", "context": "all apps"}
    scripted.enqueue_tool_calls([call("insert_preference_memory", **pref)])
    result = await sm.ainvoke(conversation("Dark mode everywhere please"), CONFIG)
    key = result.operations[0].id
    assert (await store.aget(NS, key)).value["kind"] == "PreferenceMemory"
    scripted.enqueue_tool_calls(
        [call("update_preference_memory", id="1", **pref | {"context": "x"})]
    )
    await sm.ainvoke(conversation("Still dark mode"), CONFIG)
    assert memory_lines(scripted.requests[-1]) == [
        '[1] PreferenceMemory {"category":"ui","preference":"dark mode","context":"all apps"}'
    ]
    assert (await store.aget(NS, key)).value["content"]["context"] == "x"


@on_loop
async def test_usage_sums_every_model_call(scripted):
    sm = manager(scripted, InMemoryStore())
    usage = {"input_tokens": 100, "output_tokens": 7}
    scripted.enqueue_tool_calls([call("insert_memory", content="User likes tea")], usage=usage)
    scripted.enqueue_text("done", usage={"input_tokens": 150, "output_tokens": 1})
    result = await sm.ainvoke(conversation("I like tea") | {"max_steps": 2}, CONFIG)
    assert len(scripted.requests) == 2  # max_steps reached the extractor
    assert (result.usage.input_tokens, result.usage.output_tokens) == (250, 8)


def test_sync_twins_and_direct_access(scripted, store):
    sm = manager(scripted, store)
    scripted.enqueue_tool_calls([call("insert_memory", content="User lives in Porto")])
    result = sm.invoke(conversation("I live in Porto"), CONFIG)
    key = result.operations[0].id
    assert sm.get(key, CONFIG).value["content"] == {"content": "User lives in Porto"}
    sm.put("pet", {"content": "User has a cat named Miso"}, CONFIG)
    found = sm.search(query="what pet does the user have", limit=1, config=CONFIG)
    assert [item.key for item in found] == ["pet"]
    assert {i.key for i in sm.search(config=CONFIG, mode="fts", query="Porto")} == {key}
    sm.delete("pet", CONFIG)
    assert sm.get("pet", CONFIG) is None
    assert [v.deleted for v in store.history(NS, "pet")] == [False, True]


@on_loop
async def test_put_checks_values_against_the_schemas(scripted):
    sm = manager(scripted, InMemoryStore(), schemas=[PreferenceMemory])
    with pytest.raises(ConfigurationError, match="a string is a Memory"):
        await sm.aput("k", "User likes tea", CONFIG)
    with pytest.raises(ConfigurationError, match="preference: Field required"):
        await sm.aput("k", {"category": "food", "context": ""}, CONFIG)
    await sm.aput("k", PreferenceMemory(category="food", preference="tea", context=""), CONFIG)
    assert (await sm.aget("k", CONFIG)).value["kind"] == "PreferenceMemory"


# -- namespaces and stores ---------------------------------------------------------------------


@on_loop
async def test_namespace_template_filled_from_config(scripted):
    store = InMemoryStore()
    sm = manager(scripted, store, namespace=("org-{org}", "{team}_{user_id}", "prefs"))
    scripted.enqueue_tool_calls([call("insert_memory", content="User likes tea")])
    config = {"configurable": {"org": "acme", "team": 7, "user_id": "u1", "other": True}}
    result = await sm.ainvoke(conversation("I like tea"), config)
    assert result.namespace == ("org-acme", "7_u1", "prefs")
    assert await store.alist_namespaces() == [("org-acme", "7_u1", "prefs")]


@on_loop
async def test_missing_namespace_key_names_key_template_and_given_keys(scripted):
    sm = manager(scripted, InMemoryStore(), namespace=("memories", "{org}", "{user_id}"))
    with pytest.raises(ConfigurationError) as error:
        await sm.ainvoke(conversation("hi"), {"configurable": {"user_id": "u1", "thread_id": "t"}})
    message = str(error.value)
    assert "('memories', '{org}', '{user_id}')" in message
    assert "config['configurable']['org']" in message
    assert "['thread_id', 'user_id']" in message
    with pytest.raises(ConfigurationError, match=r"missing: org, user_id.*given are none"):
        await sm.ainvoke(conversation("hi"))
    assert scripted.requests == []


def test_bad_namespace_templates_fail_at_construction(scripted):
    for bad, hint in [
        ("memories", "non-empty tuple"),
        ((), "non-empty tuple"),
        (("memories", ""), "non-empty string"),
        (("memories", "{user}.x}"), "Single '}'"),
        (("memories", "{0}"), "plain fields"),
        (("memories", "{user!r}"), "plain fields"),
    ]:
        with pytest.raises(ConfigurationError, match=hint):
            manager(scripted, namespace=bad)


@on_loop
async def test_store_from_call_and_missing_store_error(scripted):
    sm = manager(scripted)
    with pytest.raises(ConfigurationError, match=r"store=\.\.\.\) or ainvoke\(\.\.\., store="):
        await sm.ainvoke(conversation("I like tea"), CONFIG)
    store = InMemoryStore()
    scripted.enqueue_tool_calls([call("insert_memory", content="User likes tea")])
    await sm.ainvoke(conversation("I like tea"), CONFIG, store=store)
    assert len(await store.asearch(NS)) == 1
    own, other = InMemoryStore(), InMemoryStore()
    sm2 = manager(scripted, own)
    scripted.enqueue_tool_calls([call("insert_memory", content="User likes tea")])
    await sm2.ainvoke(conversation("I like tea"), CONFIG, store=other)  # the call's store wins
    assert (len(await own.asearch(NS)), len(await other.asearch(NS))) == (0, 1)


@on_loop
async def test_input_errors(scripted):
    sm = manager(scripted, InMemoryStore())
    with pytest.raises(ConfigurationError, match="do not pass 'existing'"):
        await sm.ainvoke({"messages": [], "existing": ["x"]}, CONFIG)
    with pytest.raises(ConfigurationError, match=r"unknown input key\(s\) \['message'\]"):
        await sm.ainvoke({"messages": [], "message": "x"}, CONFIG)
    with pytest.raises(ConfigurationError, match="input must be"):
        await sm.ainvoke("hello", CONFIG)


def test_option_errors(scripted):
    with pytest.raises(ConfigurationError, match="not both"):
        manager(scripted, default="a", default_factory=lambda c: "b")
    with pytest.raises(ConfigurationError, match="query_limit must be a positive integer"):
        manager(scripted, query_limit=0)
    with pytest.raises(ConfigurationError, match="default: a string is a Memory"):
        manager(scripted, schemas=[PreferenceMemory], default="be brief")
    with pytest.raises(ConfigurationError, match="query_model is set but the retrieval source"):
        manager(scripted, query_model=scripted.model, retrieval="conversation")
    with pytest.raises(ConfigurationError, match="invalid Retrieval: source: Input should be"):
        manager(scripted, retrieval={"source": "everything"})
    with pytest.raises(ConfigurationError, match="invalid Retrieval: modes: Extra inputs"):
        manager(scripted, retrieval={"modes": "fts"})
    with pytest.raises(
        ConfigurationError, match="invalid MemoryPhase: instructions: String should"
    ):
        manager(scripted, phases=[{"instructions": ""}])
    with pytest.raises(ConfigurationError, match="must have an async ainvoke"):
        MemoryStoreManager(object())
    inner = create_memory_manager(scripted.model)
    with pytest.raises(ConfigurationError, match=r"\['PreferenceMemory'\] differ .* \['Memory'\]"):
        create_memory_store_manager(inner, schemas=[PreferenceMemory])
    with pytest.raises(ConfigurationError, match="pydantic model classes"):
        MemoryStoreManager(ScriptedExtractor(), schemas=[dict])
    assert list(manager(scripted, schemas=PreferenceMemory).schemas) == ["PreferenceMemory"]


# -- defaults ------------------------------------------------------------------------------------


@on_loop
async def test_default_is_persisted_once_and_offered_for_update(scripted, store):
    sm = manager(scripted, store, default="Use a concise tone. The user likes light mode.")
    new = "Use a concise tone. The user prefers dark mode in all apps."
    scripted.enqueue_tool_calls([call("update_memory", id="1", content=new)])
    result = await sm.ainvoke(conversation("I prefer dark mode in all my apps"), CONFIG)

    assert memory_lines(scripted.requests[0]) == [
        '[1] Memory {"content":"Use a concise tone. The user likes light mode."}'
    ]
    assert [(op.op, op.id, op.stage) for op in result.operations] == [
        ("insert", "default", "default"),
        ("update", "default", "extract"),
    ]
    [net] = result.net_operations
    assert (net.op, net.before, net.after) == ("insert", None, {"content": new})
    history = await store.ahistory(NS, "default")
    assert [v.value["source"] for v in history] == [[], []]

    scripted.enqueue_text("nothing to change")
    again = await sm.ainvoke(conversation("Thanks"), CONFIG)
    assert again.operations == []
    assert len(await store.ahistory(NS, "default")) == 2  # not written again


@on_loop
async def test_default_factory_reads_the_config(scripted):
    store = InMemoryStore()
    seen = []

    def factory(config):
        seen.append(config)
        return config["configurable"].get("preference", "Be concise.")

    sm = manager(scripted, store, default_factory=factory)
    scripted.enqueue_text("done")
    scripted.enqueue_text("done")
    config = {"configurable": {"user_id": "u1", "preference": "Respond in pirate speak."}}
    await sm.ainvoke(conversation("hi"), config)
    await sm.ainvoke(conversation("hi"), {"configurable": {"user_id": "u2"}})
    assert seen[0] == config and seen[1] == {"configurable": {"user_id": "u2"}}
    assert (await store.aget(NS, "default")).value["content"] == {
        "content": "Respond in pirate speak."
    }
    assert (await store.aget(("memories", "u2"), "default")).value["content"] == {
        "content": "Be concise."
    }
    assert len(seen) == 2


@on_loop
async def test_structured_default_and_bad_factory_value(scripted):
    store = InMemoryStore()
    default = PreferenceMemory(category="ui", preference="light mode", context="default")
    sm = manager(scripted, store, schemas=[PreferenceMemory], default=default)
    scripted.enqueue_text("done")
    await sm.ainvoke(conversation("hi"), CONFIG)
    assert (await store.aget(NS, "default")).value["content"]["preference"] == "light mode"

    bad = manager(scripted, store, schemas=[PreferenceMemory], default_factory=lambda c: "text")
    with pytest.raises(ConfigurationError, match=r"default_factory\(config\): a string"):
        await bad.ainvoke(conversation("hi"), {"configurable": {"user_id": "u9"}})


# -- injected extractors ---------------------------------------------------------------------------


def op(kind: str, key: str, after: dict | None = None, **extra) -> MemoryOperation:
    return MemoryOperation(op=kind, id=key, kind="Memory", after=after, **extra)


class ScriptedExtractor:
    """A non-LLM extractor: returns fixed operations and records what it was given."""

    def __init__(self, *operations: MemoryOperation):
        self.operations = operations
        self.inputs: list[dict] = []

    async def ainvoke(self, input):
        self.inputs.append(input)
        return ExtractionResult(operations=self.operations)


@on_loop
async def test_injected_extractor_sees_store_memories_and_is_held_to_the_flags(store):
    extractor = ScriptedExtractor(
        op("update", "city", {"content": "User lives in Lisbon"}),
        op("insert", "g1", {"content": "User likes surf"}, source=["t1"]),
        op("delete", "job"),
        op("insert", "bad", {"text": "wrong field"}),
        op("none", "job"),
    )
    sm = MemoryStoreManager(extractor=extractor, store=store, namespace=("memories", "{user_id}"))
    await sm.aput("city", "User lives in Porto", CONFIG)
    await sm.aput("job", "User is a baker", CONFIG)
    result = await sm.ainvoke(conversation("I moved to Lisbon and surf now", ids=True), CONFIG)

    [given] = extractor.inputs
    assert given["messages"][0]["id"] == "t1"
    assert sorted(given["existing"]) == [
        ("city", "Memory", {"content": "User lives in Porto"}),
        ("job", "Memory", {"content": "User is a baker"}),
    ]
    assert [(op.op, op.id) for op in result.operations] == [("update", "city"), ("insert", "g1")]
    assert [r.reason for r in result.rejected] == [
        "deletes are disabled",
        "content does not match Memory: content: Field required",
    ]
    assert (await store.aget(NS, "g1")).value["source"] == ["t1"]
    assert (await store.aget(NS, "job")) is not None


@on_loop
async def test_extractor_may_target_memories_it_was_not_shown():
    store = InMemoryStore()
    extractor = ScriptedExtractor(
        op("update", "old", {"content": "new text"}),
        op("insert", "taken", {"content": "again"}),
        op("update", "ghost", {"content": "boo"}),
    )
    sm = create_memory_store_manager(extractor, store=store, namespace=NS, retrieval="none")
    await store.aput(NS, "old", {"kind": "Memory", "content": {"content": "old text"}})
    await store.aput(NS, "taken", {"kind": "Memory", "content": {"content": "first"}})
    result = await sm.ainvoke(conversation("hi"))
    assert extractor.inputs[0]["existing"] == []
    assert [(op.op, op.id, op.before) for op in result.operations] == [
        ("update", "old", {"content": "old text"}),
        ("update", "taken", {"content": "first"}),  # an insert over a live key is an update
        ("insert", "ghost", None),  # an update of a missing key creates it
    ]


@on_loop
async def test_memory_manager_can_be_passed_as_extractor(scripted):
    store = InMemoryStore()
    inner = create_memory_manager(scripted.model, max_steps=2)
    sm = create_memory_store_manager(inner, store=store, namespace=NS)
    assert sm.extractor is inner
    scripted.enqueue_tool_calls([call("insert_memory", content="User likes tea")])
    scripted.enqueue_text("done")
    await sm.ainvoke(conversation("I like tea"))
    assert len(scripted.requests) == 2
    with pytest.raises(ConfigurationError, match="set them on the extractor"):
        create_memory_store_manager(inner, instructions="other")


@on_loop
async def test_instructions_reach_the_model(scripted):
    sm = manager(scripted, InMemoryStore(), instructions="Only remember food preferences.")
    scripted.enqueue_text("done")
    await sm.ainvoke(conversation("I like tea"), CONFIG)
    assert scripted.requests[0].messages[0]["content"].startswith("Only remember food preferences.")


@on_loop
async def test_empty_conversation_calls_no_model(scripted):
    store = InMemoryStore()
    queries = scripted_model(f"{scripted.name}-q").reset()
    sm = manager(scripted, store, query_model=queries.model, query_limit=1)
    await sm.aput("a", "User likes tea", CONFIG)
    await sm.aput("b", "User likes cake", CONFIG)
    result = await sm.ainvoke({"messages": []}, CONFIG)
    assert scripted.requests == [] and queries.requests == []
    assert result.operations == [] and [i.key for i in result.retrieved] == ["b"]


@on_loop
async def test_calls_are_labelled_extract(scripted):
    sm = manager(scripted, InMemoryStore())
    scripted.enqueue_text("done")
    with record_calls() as calls:
        await sm.ainvoke(conversation("hello"), CONFIG)
    assert [c.purpose for c in calls] == ["extract"]
