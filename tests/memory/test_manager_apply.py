"""The manager's pure decision step: tool calls + state -> new state, changes, rejections."""

from __future__ import annotations

from pydantic import BaseModel, Field

from harness.memory._apply import State, apply_calls, summarise
from harness.memory._existing import Entry
from harness.memory._tools import build_toolset
from harness.memory.schemas import Memory, RemoveDoc
from harness.models.types import ToolCall


class PreferenceMemory(BaseModel):
    """A preference."""

    category: str
    preference: str = Field(min_length=1)


ALL = build_toolset((Memory, PreferenceMemory), inserts=True, updates=True, deletes=True)
EXISTING = (
    Entry.of("id-tea", Memory(content="User likes tea")),
    Entry.of("id-ui", PreferenceMemory(category="ui", preference="dark mode")),
)
MESSAGE_IDS = frozenset({"t1", "t2", "t3"})


def call(name: str, index: int = 0, error: str | None = None, **arguments) -> ToolCall:
    return ToolCall(id=f"c{index}", name=name, arguments=arguments, arguments_error=error)


def run(calls, toolset=ALL, state=None, step=1):
    return apply_calls(
        state or State.initial(EXISTING),
        calls,
        toolset,
        step=step,
        new_id=lambda n: f"new-{n}",
        message_ids=MESSAGE_IDS,
    )


def test_insert_gets_next_handle_and_derived_id():
    applied = run([call("insert_memory", content="User has a cat", sources=["t2"])])
    assert applied.replies == (("c0", "inserted 3"),)
    assert applied.state.entries["new-0"].value == Memory(content="User has a cat")
    assert applied.state.ids["3"] == "new-0"
    [change] = applied.changes
    assert (change.op, change.id, change.kind, change.sources) == (
        "insert",
        "new-0",
        "Memory",
        ("t2",),
    )


def test_second_insert_uses_the_insert_counter():
    applied = run([call("insert_memory", 0, content="a"), call("insert_memory", 1, content="b")])
    assert list(applied.state.entries)[-2:] == ["new-0", "new-1"]
    assert [text for _, text in applied.replies] == ["inserted 3", "inserted 4"]


def test_update_by_handle_replaces_content():
    applied = run([call("update_memory", id="1", content="User likes green tea")])
    assert applied.state.entries["id-tea"].content == {"content": "User likes green tea"}
    assert applied.replies == (("c0", "updated 1"),)
    assert applied.changes[0].sources == ()  # none cited: none invented


def test_handle_may_come_as_int_or_bracketed():
    applied = run([call("delete_memory", 0, id=1), call("delete_memory", 1, id="[2]")])
    assert applied.state.entries == {}
    assert [c.op for c in applied.changes] == ["delete", "delete"]


def test_unknown_id_is_rejected_with_reason():
    applied = run([call("update_memory", id="9", content="x")])
    [rejected] = applied.rejected
    assert rejected.reason == "no memory with id '9'"
    assert applied.replies == (("c0", "rejected: no memory with id '9'"),)
    assert applied.state.entries == State.initial(EXISTING).entries


def test_update_after_delete_is_rejected():
    applied = run([call("delete_memory", 0, id="1"), call("update_memory", 1, id="1", content="x")])
    assert applied.rejected[0].reason == "memory 1 was already deleted"
    assert "id-tea" not in applied.state.entries


def test_disabled_action_is_rejected_not_applied():
    toolset = build_toolset((Memory,), inserts=False, updates=True, deletes=False)
    applied = run([call("insert_memory", content="User has a cat")], toolset=toolset)
    assert applied.rejected[0].reason == "insert_memory was not offered: inserts are disabled"
    assert applied.rejected[0].arguments == {"content": "User has a cat"}
    assert applied.rejected[0].step == 1
    assert applied.changes == ()
    deleting = run([call("delete_memory", id="1")], toolset=toolset)
    assert deleting.rejected[0].reason == "delete_memory was not offered: deletes are disabled"


def test_unknown_tool_is_rejected():
    applied = run([call("forget_everything")])
    assert applied.rejected[0].reason == "unknown tool 'forget_everything'"


def test_update_of_other_kind_is_rejected_with_hint():
    applied = run([call("update_memory", id="2", content="User likes light mode")])
    assert applied.rejected[0].reason == (
        "memory 2 is a PreferenceMemory, not a Memory; use update_preference_memory"
    )


def test_invalid_json_and_failed_validation_are_repair_candidates():
    applied = run(
        [
            call("insert_memory", 0, error="Expecting value: line 1 column 1"),
            call("insert_preference_memory", 1, category="food", preference=""),
            call("insert_memory", 2, content="User has a cat"),
            call("update_memory", 3, content="no id"),
        ]
    )
    assert [(bad.call_id, bad.name) for bad in applied.invalid] == [
        ("c0", "insert_memory"),
        ("c1", "insert_preference_memory"),
        ("c3", "update_memory"),
    ]
    assert "not a JSON object (Expecting value" in applied.invalid[0].error
    assert applied.invalid[1].error.startswith("preference: String should have at least 1")
    assert applied.invalid[2].error == "id: a memory id (string) is required"
    assert applied.replies[1][1].endswith(
        "Call insert_preference_memory again with corrected arguments."
    )
    assert [c.id for c in applied.changes] == ["new-0"]  # the valid call still applies
    assert applied.rejected == ()


def test_sources_keep_known_ids_only_and_are_never_invented():
    applied = run(
        [
            call("insert_memory", 0, content="a", sources=["t2", "bogus", "t2"]),
            call("insert_memory", 1, content="b", sources=["bogus"]),
            call("insert_memory", 2, content="c", sources="t3"),
        ]
    )
    assert [c.sources for c in applied.changes] == [("t2",), (), ("t3",)]


def test_input_state_is_not_mutated():
    state = State.initial(EXISTING)
    before = (dict(state.entries), dict(state.ids))
    run([call("delete_memory", 0, id="1"), call("insert_memory", 1, content="x")], state=state)
    assert (dict(state.entries), dict(state.ids)) == before


def test_summarise_records_every_memory_once():
    first = run([call("update_memory", 0, id="1", content="User likes green tea", sources=["t1"])])
    second = run(
        [
            call("update_memory", 0, id="1", content="User likes oolong", sources=["t2"]),
            call("insert_memory", 1, content="User has a cat"),
            call("update_memory", 2, id="3", content="User has two cats", sources=["t3"]),
            call("insert_memory", 3, content="temporary"),
            call("delete_memory", 4, id="4"),
        ],
        state=first.state,
        step=2,
    )
    extracted, operations = summarise(EXISTING, second.state, first.changes + second.changes)
    assert [(op.op, op.id, op.step) for op in operations] == [
        ("update", "id-tea", 2),
        ("none", "id-ui", 0),
        ("insert", "new-0", 2),
    ]
    tea = operations[0]
    assert tea.before == {"content": "User likes tea"}
    assert tea.after == {"content": "User likes oolong"}
    assert tea.source == ["t1", "t2"]
    assert (
        operations[1].before == operations[1].after == {"category": "ui", "preference": "dark mode"}
    )
    assert operations[2].before is None
    assert operations[2].after == {"content": "User has two cats"}
    assert operations[2].source == ["t3"]  # the insert cited nothing, the update t3
    assert [(m.id, m.content) for m in extracted] == [
        ("id-tea", Memory(content="User likes oolong")),
        ("new-0", Memory(content="User has two cats")),
    ]
    assert [m.operation for m in extracted] == [operations[0], operations[2]]


def test_summarise_delete_carries_remove_doc():
    applied = run([call("delete_memory", id="2")])
    extracted, operations = summarise(EXISTING, applied.state, applied.changes)
    assert extracted == [("id-ui", RemoveDoc(json_doc_id="id-ui"))]
    delete = operations[1]
    assert (delete.op, delete.kind, delete.after) == ("delete", "PreferenceMemory", None)
    assert delete.before == {"category": "ui", "preference": "dark mode"}
    assert extracted[0].operation is delete
