"""Store manager phases, background reflection with a real store manager, and the pure parts."""

from __future__ import annotations

import time

import pytest
from memory_helpers import call, on_loop

from harness import MemoryPhase, ReflectionExecutor, create_memory_store_manager
from harness.errors import ConfigurationError
from harness.memory import ExtractionResult, MemoryOperation, StoreOperation
from harness.memory._namespace import NamespaceTemplate
from harness.memory._writes import Stored, net_operations, plan_stage
from harness.memory.reflection import ManualClock
from harness.memory.schemas import Memory
from harness.memory.store import InMemoryStore

NS = ("memories", "u1")
CONFIG = {"configurable": {"user_id": "u1"}}
SCHEMAS = {"Memory": Memory}


def chat(text: str) -> dict:
    return {
        "messages": [
            {"id": "u", "role": "user", "content": text},
            {"id": "a", "role": "assistant", "content": "Got it."},
        ]
    }


def manager(scripted, store=None, **options):
    return create_memory_store_manager(
        scripted.model, store=store, namespace=("memories", "{user_id}"), **options
    )


# -- phases --------------------------------------------------------------------------------------


@on_loop
async def test_phase_refines_what_the_main_pass_wrote(scripted, store):
    phase = MemoryPhase(instructions="Merge memories that say the same thing.")
    sm = manager(scripted, store, phases=[phase])
    insert = call("insert_memory", content="User likes tea, green tea", sources=["u"])
    scripted.enqueue_tool_calls([insert])
    scripted.enqueue_tool_calls([call("update_memory", id="1", content="User likes green tea")])
    result = await sm.ainvoke(chat("I like tea. Green tea mostly."), CONFIG)

    main, refine = scripted.requests
    assert not main.messages[0]["content"].startswith("Merge memories")
    assert refine.messages[0]["content"].startswith("Merge memories that say the same thing.")
    assert '[1] Memory {"content":"User likes tea, green tea"}' in refine.messages[1]["content"]
    assert "[u] user: I like tea. Green tea mostly." in refine.messages[1]["content"]
    assert [(op.op, op.stage) for op in result.operations] == [
        ("insert", "extract"),
        ("update", "phase-1"),
    ]
    [net] = result.net_operations
    assert (net.op, net.after, net.source) == ("insert", {"content": "User likes green tea"}, ["u"])
    key = net.id
    assert [v.value["content"]["content"] for v in await store.ahistory(NS, key)] == [
        "User likes tea, green tea",
        "User likes green tea",
    ]


@on_loop
async def test_phase_without_messages_and_with_its_own_flags(scripted):
    store = InMemoryStore()
    sm = manager(
        scripted,
        store,
        phases=[
            {
                "instructions": "Delete memories that contradict newer ones.",
                "include_messages": False,
                "enable_inserts": False,
                "enable_deletes": True,
            }
        ],
    )
    await sm.aput("old", "User lives in Porto", CONFIG)
    scripted.enqueue_tool_calls([call("insert_memory", content="User lives in Lisbon")])
    scripted.enqueue_tool_calls([call("delete_memory", id="1")])
    result = await sm.ainvoke(chat("I moved to Lisbon"), CONFIG)

    main, cleanup = scripted.requests
    assert "delete_memory" not in main.tool_names
    assert cleanup.tool_names == ["update_memory", "delete_memory"]
    conversation = cleanup.messages[1]["content"].split("<conversation>")[1]
    assert "Lisbon" not in conversation and "Review the memories above" in conversation
    assert [(op.op, op.id, op.stage) for op in result.operations] == [
        ("insert", result.operations[0].id, "extract"),
        ("delete", "old", "phase-1"),
    ]
    assert result.operations[1].source == []  # the phase cited no message: none is invented
    assert await store.aget(NS, "old") is None


def test_phases_need_a_memory_manager():
    class Fixed:
        async def ainvoke(self, input):
            return ExtractionResult()

    with pytest.raises(ConfigurationError, match="not a MemoryManager"):
        create_memory_store_manager(Fixed(), phases=[MemoryPhase(instructions="x")])


# -- background reflection -----------------------------------------------------------------------


def said(request) -> str:
    """What the user said in the conversation an extraction request shows."""
    return request.messages[1]["content"].split("[u] user: ")[1].split("\n")[0]


def test_reflection_debounces_to_the_latest_conversation(scripted, store):
    sm = manager(scripted)  # no store of its own: the executor passes it on every call
    scripted.respond_with(
        lambda request: {"tool_calls": [call("insert_memory", content=said(request))]}
    )
    clock = ManualClock()
    with ReflectionExecutor(sm, store=store, clock=clock) as executor:
        first = executor.submit(chat("I like tea"), CONFIG, after_seconds=5, thread_id="t1")
        second = executor.submit(chat("I like coffee now"), CONFIG, after_seconds=5, thread_id="t1")
        assert first.cancelled()
        time.sleep(0.05)
        assert scripted.requests == []  # still waiting for its delay
        clock.advance(5)
        result = second.result(timeout=30)
    [request] = scripted.requests
    assert "I like coffee now" in request.messages[1]["content"]
    assert "I like tea" not in request.messages[1]["content"]
    [op] = result.operations
    assert (op.op, op.after) == ("insert", {"content": "I like coffee now"})
    assert [item.key for item in store.search(NS)] == [op.id]


def test_reflection_runs_threads_of_different_users_into_their_namespaces(scripted):
    store = InMemoryStore()
    sm = manager(scripted, store)
    scripted.respond_with(
        lambda request: {"tool_calls": [call("insert_memory", content="User said hello")]}
    )
    with ReflectionExecutor(sm) as executor:
        futures = [
            executor.submit(chat("hello"), {"configurable": {"user_id": user, "thread_id": user}})
            for user in ("ann", "bob")
        ]
        results = [future.result(timeout=30) for future in futures]
    assert [r.namespace for r in results] == [("memories", "ann"), ("memories", "bob")]
    assert store.list_namespaces() == [("memories", "ann"), ("memories", "bob")]


def test_reflection_hands_back_configuration_errors(scripted):
    sm = manager(scripted, InMemoryStore())
    with ReflectionExecutor(sm) as executor:
        future = executor.submit(chat("hello"), {"configurable": {"thread_id": "t"}})
        with pytest.raises(ConfigurationError, match="user_id"):
            future.result(timeout=30)


# -- pure parts ----------------------------------------------------------------------------------


def mem(op: str, key: str, after: str | None = None, **extra) -> MemoryOperation:
    content = None if after is None else {"content": after}
    return MemoryOperation(op=op, id=key, kind="Memory", after=content, **extra)


def plan(state, operations, **options):
    defaults = {
        "stage": "extract",
        "allow_inserts": True,
        "allow_deletes": True,
        "message_ids": {"m0", "m1"},
        "schemas": SCHEMAS,
    }
    return plan_stage(NS, state, operations, **(defaults | options))


def test_plan_stage_writes_reports_and_refuses():
    state = {"a": Stored("a", "Memory", {"content": "A"}, ("x",))}
    result = plan(
        state,
        [
            mem("update", "a", "A2", source=["m1", "zz"]),
            mem("insert", "b", "B"),
            mem("delete", "a"),
            mem("delete", "a"),
            mem("none", "c"),
            mem("insert", "d", None),
        ],
    )
    assert result.writes == (
        (NS, "a", {"kind": "Memory", "content": {"content": "A2"}, "source": ["m1"]}),
        (NS, "b", {"kind": "Memory", "content": {"content": "B"}, "source": []}),
        (NS, "a", None),
    )
    assert [(o.op, o.id, o.before, o.after) for o in result.operations] == [
        ("update", "a", {"content": "A"}, {"content": "A2"}),
        ("insert", "b", None, {"content": "B"}),
        ("delete", "a", {"content": "A2"}, None),
    ]
    assert [r.reason for r in result.rejected] == [
        "no memory with key 'a'",
        "insert of 'd' has no content",
    ]
    assert set(result.state) == {"b"}
    assert state["a"].content == {"content": "A"}  # the input is not changed


def test_plan_stage_flags():
    state = {"a": Stored("a", "Memory", {"content": "A"})}
    ops = [mem("insert", "b", "B"), mem("update", "zz", "Z"), mem("delete", "a")]
    result = plan(state, ops, allow_inserts=False, allow_deletes=False)
    assert result.writes == () and result.operations == ()
    assert [r.reason for r in result.rejected] == [
        "inserts are disabled",
        "no memory with key 'zz'",
        "deletes are disabled",
    ]


def sop(op, key, before, after, source=(), stage="extract") -> StoreOperation:
    wrap = lambda text: None if text is None else {"content": text}  # noqa: E731
    return StoreOperation(
        op=op,
        id=key,
        kind="Memory",
        before=wrap(before),
        after=wrap(after),
        source=list(source),
        namespace=NS,
        stage=stage,
    )


def test_net_operations():
    ops = [
        sop("insert", "a", None, "A", ["m0"], "default"),
        sop("update", "a", "A", "A2", ["m1"]),
        sop("insert", "b", None, "B"),
        sop("delete", "b", "B", None, stage="phase-1"),
        sop("update", "c", "C", "C2"),
        sop("update", "c", "C2", "C", stage="phase-1"),
        sop("delete", "d", "D", None),
    ]
    net = net_operations(ops)
    assert [(o.op, o.id, o.before, o.after, o.source, o.stage) for o in net] == [
        ("insert", "a", None, {"content": "A2"}, ["m0", "m1"], "extract"),
        ("update", "c", {"content": "C"}, {"content": "C"}, [], "phase-1"),
        ("delete", "d", {"content": "D"}, None, [], "extract"),
    ]


def test_namespace_template():
    template = NamespaceTemplate.parse(("memories", "{org}-{user_id}", "{user_id}"))
    assert template.keys == ("org", "user_id")
    assert template.fill({"configurable": {"org": "acme", "user_id": 7}}) == (
        "memories",
        "acme-7",
        "7",
    )
    assert NamespaceTemplate.parse(("fixed",)).fill(None) == ("fixed",)
    with pytest.raises(ConfigurationError, match="missing: org"):
        template.fill({"configurable": {"org": "", "user_id": "u"}})
    with pytest.raises(ConfigurationError, match="config must be a dict"):
        template.fill(["org"])  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"config\['configurable'\] must be a dict"):
        template.fill({"configurable": "org"})
