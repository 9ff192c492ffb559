"""The manager's building blocks: tool specs, `existing` normalisation, message handling, prompt."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from pydantic import BaseModel, Field

from harness.errors import ConfigurationError
from harness.memory._existing import normalise_existing, string_memory_id
from harness.memory._prompt import (
    DEFAULT_INSTRUCTIONS,
    normalise_messages,
    system_prompt,
    user_prompt,
)
from harness.memory._tools import build_toolset, snake_case
from harness.memory.schemas import ExtractedMemory, Memory, RemoveDoc


class PreferenceMemory(BaseModel):
    """Record one lasting preference of the user."""

    category: str = Field(description="Area, e.g. 'ui'.")
    preference: str
    context: str = ""


class Event(BaseModel):
    title: str
    date: str


SCHEMAS = {"Memory": Memory, "PreferenceMemory": PreferenceMemory}


# -- tools ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Memory", "memory"), ("PreferenceMemory", "preference_memory"), ("HTTPRule", "http_rule")],
)
def test_snake_case(name, expected):
    assert snake_case(name) == expected


def test_tool_names_follow_flags_and_schemas():
    def names(**flags):
        return [t.name for t in build_toolset((Memory, PreferenceMemory), **flags).specs]

    assert names(inserts=True, updates=True, deletes=False) == [
        "insert_memory",
        "insert_preference_memory",
        "update_memory",
        "update_preference_memory",
    ]
    assert names(inserts=False, updates=False, deletes=True) == ["delete_memory"]
    assert names(inserts=True, updates=False, deletes=False) == [
        "insert_memory",
        "insert_preference_memory",
    ]


def test_disabled_tools_stay_known_but_not_offered():
    toolset = build_toolset((Memory,), inserts=False, updates=True, deletes=False)
    assert set(toolset.actions) == {"insert_memory", "update_memory", "delete_memory"}
    assert toolset.offered == {"update_memory"}


def test_all_actions_disabled_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="all False"):
        build_toolset((Memory,), inserts=False, updates=False, deletes=False)


def test_schema_tool_is_minimal_and_described_by_docstring():
    toolset = build_toolset((PreferenceMemory, Event), inserts=True, updates=True, deletes=True)
    insert, _, update, _, delete = toolset.specs
    assert insert.description == "Record one lasting preference of the user."
    assert insert.parameters == {
        "type": "object",
        "properties": {
            "category": {"type": "string", "description": "Area, e.g. 'ui'."},
            "preference": {"type": "string"},
            "context": {"type": "string", "default": ""},
            "sources": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Ids of the messages it comes from.",
            },
        },
        "required": ["category", "preference"],
    }
    assert update.parameters["required"] == ["id", "category", "preference"]
    assert next(iter(update.parameters["properties"])) == "id"
    assert delete.parameters["required"] == ["id"]
    assert "title" not in json.dumps(insert.parameters)
    event = toolset.specs[1]
    assert event.description == "Save a new Event."
    assert list(event.parameters["properties"]) == ["title", "date", "sources"]  # field kept


def test_reserved_field_names_and_clashing_schemas_are_rejected():
    class Note(BaseModel):
        id: str

    with pytest.raises(ConfigurationError, match="schema Note has a field named 'id'"):
        build_toolset((Note,), inserts=True, updates=True, deletes=False)
    clash = type("Memory", (BaseModel,), {"__annotations__": {"text": str}})
    with pytest.raises(ConfigurationError, match="same tool names"):
        build_toolset((Memory, clash), inserts=True, updates=True, deletes=False)
    with pytest.raises(ConfigurationError, match="pydantic model classes"):
        build_toolset((dict,), inserts=True, updates=True, deletes=False)


# -- existing ------------------------------------------------------------------------------------


def test_string_memories_get_stable_ids():
    first = normalise_existing(["User likes tea", "User likes tea", "User hikes"], SCHEMAS)
    again = normalise_existing(["User hikes", "User likes tea"], SCHEMAS)
    assert first[0].id == string_memory_id("User likes tea") == again[1].id
    assert first[2].id == again[0].id
    assert first[1].id != first[0].id  # a repeated text gets its own, equally stable id
    assert first[1].id == normalise_existing(["User likes tea"] * 2, SCHEMAS)[1].id
    assert first[0].kind == "Memory" and first[0].content == {"content": "User likes tea"}


def test_pairs_triples_and_mappings():
    pref = PreferenceMemory(category="ui", preference="dark mode")
    entries = normalise_existing(
        [
            ("a", pref),
            ("b", "User likes tea"),
            ("c", "PreferenceMemory", {"category": "food", "preference": "spicy"}),
            {"id": "d", "content": "User hikes"},
            {
                "id": "e",
                "kind": "PreferenceMemory",
                "content": {"category": "x", "preference": "y"},
            },
        ],
        SCHEMAS,
    )
    assert [(e.id, e.kind) for e in entries] == [
        ("a", "PreferenceMemory"),
        ("b", "Memory"),
        ("c", "PreferenceMemory"),
        ("d", "Memory"),
        ("e", "PreferenceMemory"),
    ]
    assert entries[0].value is pref
    assert entries[2].content == {"category": "food", "preference": "spicy", "context": ""}


def test_result_passed_back_skips_deletions():
    result = [
        ExtractedMemory("a", Memory(content="kept")),
        ExtractedMemory("b", RemoveDoc(json_doc_id="b")),
    ]
    assert [e.id for e in normalise_existing(result, SCHEMAS)] == ["a"]


def test_untyped_dict_pair_uses_the_only_schema():
    [entry] = normalise_existing(
        [("p", {"category": "ui", "preference": "x"})], {"P": PreferenceMemory}
    )
    assert entry.kind == "PreferenceMemory"
    with pytest.raises(
        ConfigurationError, match=r"existing\[0\] \(id 'p'\): the manager has several"
    ):
        normalise_existing([("p", {"category": "ui"})], SCHEMAS)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            ("x1", "PreferenceMemory", {"category": "ui"}),
            r"existing\[1\] \(id 'x1'\): content does not match schema PreferenceMemory: "
            r"preference: Field required",
        ),
        (("x1", "Event", {"title": "t"}), r"existing\[1\] \(id 'x1'\): unknown kind 'Event'"),
        (("", Memory(content="x")), r"existing\[1\]: the id must be a non-empty string"),
        (("x1", "Memory", Memory(content="x")), None),
        (
            ("x1", "PreferenceMemory", Memory(content="x")),
            r"kind 'PreferenceMemory' does not match the Memory",
        ),
        (42, r"existing\[1\]: expected a string, an \(id, model\) pair"),
        ({"id": "x1"}, r"existing\[1\]: a mapping needs 'id' and 'content'"),
        (
            ("m0", Memory(content="dup")),
            r"existing\[1\]: id 'm0' is used twice \(also by existing\[0\]\)",
        ),
    ],
)
def test_bad_existing_items_name_position_id_and_reason(item, message):
    items = [("m0", Memory(content="first")), item]
    if message is None:
        assert len(normalise_existing(items, SCHEMAS)) == 2
        return
    with pytest.raises(ConfigurationError, match=message):
        normalise_existing(items, SCHEMAS)


def test_existing_must_be_a_list():
    with pytest.raises(ConfigurationError, match="existing must be a list"):
        normalise_existing("User likes tea", SCHEMAS)
    assert normalise_existing(None, SCHEMAS) == ()


# -- messages and prompt -------------------------------------------------------------------------


def test_messages_get_positional_ids_and_accept_objects():
    turns = normalise_messages(
        [
            {"role": "user", "content": "hi"},
            {"id": "t9", "role": "assistant", "content": None},
            SimpleNamespace(
                role="user", content=[{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
            ),
            SimpleNamespace(type="human", content="from a langchain-style message"),
        ]
    )
    assert [(t.id, t.role, t.text) for t in turns] == [
        ("m0", "user", "hi"),
        ("t9", "assistant", ""),
        ("m2", "user", "a\nb"),
        ("m3", "user", "from a langchain-style message"),
    ]


def test_bad_messages_are_named():
    with pytest.raises(ConfigurationError, match=r"messages\[1\] has no 'role'"):
        normalise_messages([{"role": "user", "content": "a"}, {"content": "b"}])
    with pytest.raises(ConfigurationError, match=r"messages\[1\]: message id 'x' is used twice"):
        normalise_messages([{"id": "x", "role": "user"}, {"id": "x", "role": "user"}])
    with pytest.raises(ConfigurationError, match="list of chat messages"):
        normalise_messages("hello")


def test_system_prompt_states_the_allowed_actions():
    full = system_prompt(DEFAULT_INSTRUCTIONS, inserts=True, updates=True, deletes=True)
    assert full.startswith(DEFAULT_INSTRUCTIONS)
    assert "You may add new memories, rewrite existing ones and delete memories." in full
    only_updates = system_prompt("Be brief.", inserts=False, updates=True, deletes=False)
    assert only_updates.startswith("Be brief.\n\n")
    assert "You may rewrite existing ones, but not add new ones." in only_updates


def test_user_prompt_lists_memories_and_conversation():
    entries = normalise_existing(
        [("a", PreferenceMemory(category="ui", preference="dark", context="é"))], SCHEMAS
    )
    turns = normalise_messages([{"role": "user", "content": "I like tea"}])
    assert user_prompt(turns, entries, {"a": "1"}) == (
        "<memories>\n"
        '[1] PreferenceMemory {"category":"ui","preference":"dark","context":"é"}\n'
        "</memories>\n"
        "<conversation>\n"
        "[m0] user: I like tea\n"
        "</conversation>"
    )
    assert "<memories>\n(none)\n</memories>" in user_prompt(turns, (), {})
