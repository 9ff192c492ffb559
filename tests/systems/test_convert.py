"""Other systems' returns as changes: operations, the new state, LangMem-style changed memories."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel

from harness.errors import ConfigurationError
from harness.memory._existing import Entry
from harness.memory.schemas import Memory, RemoveDoc
from harness.systems._convert import (
    Shown,
    changes_from_memories,
    changes_from_ops,
    changes_from_state,
    is_operation_list,
    new_id,
)

SCHEMAS: dict[str, type[BaseModel]] = {"Memory": Memory}
ENTRIES = (
    Entry.of("m1", Memory(content="User prefers light mode")),
    Entry.of("m2", Memory(content="User has a cat")),
)


def shown(seed: str, where: str) -> Shown:
    return Shown(ENTRIES, SCHEMAS, seed, where)


def summary(changes):
    return [(c.op, c.id, None if c.value is None else c.value.content) for c in changes]


def test_operations_become_changes_with_stable_insert_ids():
    ops = [
        {"op": "update", "id": "m1", "content": "User prefers dark mode", "source": "t1"},
        {"op": "insert", "content": "User drinks tea"},
        {"op": "delete", "id": "m2"},
        {"op": "none", "id": "m1"},
    ]
    changes = changes_from_ops(ops, shown("seed", "fn"))
    inserted = new_id("seed", 1, Memory(content="User drinks tea").model_dump_json())
    assert summary(changes) == [
        ("update", "m1", "User prefers dark mode"),
        ("insert", inserted, "User drinks tea"),
        ("delete", "m2", None),
    ]
    assert changes[0].sources == ("t1",)
    assert changes_from_ops(ops, shown("seed", "fn")) == changes  # same input, same ids
    assert changes_from_ops(ops, shown("other", "fn"))[1].id != inserted


@pytest.mark.parametrize(
    ("op", "message"),
    [
        ({"op": "update", "id": "m9", "content": "x"}, "fn[0]: no memory 'm9' was shown"),
        ({"op": "delete"}, "fn[0]: delete needs the 'id'"),
        ({"op": "insert"}, "fn[0]: an insert or update needs 'content'"),
        ({"op": "upsert", "id": "m1"}, "fn[0]: op must be one of insert, update, delete, none"),
        ({"op": "insert", "content": "x", "why": "y"}, "fn[0]: unknown key(s) ['why']"),
    ],
)
def test_bad_operations_are_named(op, message):
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        changes_from_ops([op], shown("seed", "fn"))


def test_the_new_state_is_diffed_against_the_shown_memories():
    state = {"m1": "User prefers dark mode", "new": "User drinks tea"}  # m2 gone
    changes = changes_from_state(state, shown("seed", "fn"))
    assert [(op, value) for op, _, value in summary(changes)] == [
        ("update", "User prefers dark mode"),
        ("insert", "User drinks tea"),
        ("delete", None),
    ]
    assert changes[1].id != "new"  # the system's key for a new memory is not a store id
    assert changes[2].id == "m2"
    unchanged = {"m1": "User prefers light mode", "m2": "User has a cat"}
    assert changes_from_state(unchanged, shown("seed", "fn")) == []
    assert summary(changes_from_state([], shown("s", "fn"))) == [
        ("delete", "m1", None),
        ("delete", "m2", None),
    ]


def test_langmem_style_results_list_only_what_changed():
    returned = [
        ("m1", Memory(content="User prefers dark mode")),
        ("x", Memory(content="User drinks tea")),
        ("m2", RemoveDoc(json_doc_id="m2")),
    ]
    changes = changes_from_memories(returned, shown("seed", "mgr"))
    assert [(op, value) for op, _, value in summary(changes)] == [
        ("update", "User prefers dark mode"),
        ("insert", "User drinks tea"),
        ("delete", None),
    ]
    # A memory returned unchanged is no operation; an unlisted one is kept.
    same = [("m1", Memory(content="User prefers light mode"))]
    assert changes_from_memories(same, shown("seed", "mgr")) == []
    with pytest.raises(ConfigurationError, match="no memory 'm7' was shown"):
        changes_from_memories([("m7", RemoveDoc(json_doc_id="m7"))], shown("s", "mgr"))
    with pytest.raises(ConfigurationError, match=r"mgr\[0\]: expected an \(id, content\) pair"):
        changes_from_memories(["just text"], shown("s", "mgr"))


def test_operation_lists_are_told_from_states():
    assert is_operation_list([{"op": "insert", "content": "x"}])
    assert not is_operation_list([("m1", "x")])
    assert not is_operation_list({"m1": "x"})
    assert not is_operation_list([])
