"""create_memory_manager end to end, through the scripted provider and the litellm gateway."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import uuid

import pytest
from pydantic import BaseModel

from harness._async import run_sync
from harness.errors import ConfigurationError, InvalidModelOutputError, ModelError
from harness.memory import (
    ExtractionResult,
    Memory,
    RemoveDoc,
    create_memory_manager,
)
from harness.memory._existing import string_memory_id
from harness.models import (
    ModelResponse,
    ResponseCache,
    ToolCall,
    Usage,
    get_model,
    record_calls,
)

CONVERSATION = [
    {"role": "user", "content": "I prefer dark mode in all my apps"},
    {"role": "assistant", "content": "I'll remember that preference"},
]


class PreferenceMemory(BaseModel):
    """Store one preference of the user."""

    category: str
    preference: str
    context: str


def insert(content: str, **extra) -> dict:
    return {"name": "insert_memory", "arguments": {"content": content, **extra}}


def tool_names(request) -> list[str]:
    return [tool["function"]["name"] for tool in request.tools]


def test_basic_insert(scripted):
    scripted.enqueue_tool_calls([insert("User prefers dark mode in all apps")])
    manager = create_memory_manager(scripted.model)
    result = manager.invoke({"messages": CONVERSATION})
    assert isinstance(result, ExtractionResult)
    [memory] = result
    assert memory.content == Memory(content="User prefers dark mode in all apps")
    assert result.steps == 1
    assert result.usage.input_tokens > 0 and result.usage.output_tokens > 0
    [op] = result.operations
    assert (op.op, op.id, op.kind, op.before) == ("insert", memory.id, "Memory", None)
    assert op.after == {"content": "User prefers dark mode in all apps"}
    assert op.source == []  # the model cited no message: no provenance is invented
    assert memory.operation is op
    [request] = scripted.requests
    assert tool_names(request) == ["insert_memory", "update_memory"]
    assert request.messages[0]["role"] == "system"
    assert "[m0] user: I prefer dark mode in all my apps" in request.messages[1]["content"]


def test_nothing_to_remember(scripted):
    scripted.enqueue_text("done")
    result = create_memory_manager(scripted.model).invoke(
        {"messages": CONVERSATION, "existing": ["User likes tea"]}
    )
    assert list(result) == []
    assert [(op.op, op.after) for op in result.operations] == [
        ("none", {"content": "User likes tea"})
    ]


def test_empty_conversation_makes_no_call(scripted):
    result = create_memory_manager(scripted.model).invoke({"messages": [], "existing": ["x"]})
    assert (list(result), result.steps, scripted.requests) == ([], 0, [])
    assert [op.op for op in result.operations] == ["none"]


# -- flags ---------------------------------------------------------------------------------------


def test_inserts_disabled_with_nothing_existing_offers_no_insert_and_rejects_one(scripted):
    scripted.enqueue_tool_calls([insert("User prefers dark mode")])
    manager = create_memory_manager(scripted.model, enable_inserts=False)
    result = manager.invoke({"messages": CONVERSATION})
    assert tool_names(scripted.requests[0]) == ["update_memory"]
    assert "but not add new ones" in scripted.requests[0].messages[0]["content"]
    assert list(result) == [] and result.operations == []
    [rejected] = result.rejected
    assert rejected.name == "insert_memory"
    assert rejected.reason == "insert_memory was not offered: inserts are disabled"


def test_updates_disabled_rejects_a_forced_update(scripted):
    scripted.enqueue_tool_calls(
        [
            {"name": "update_memory", "arguments": {"id": "1", "content": "User likes coffee"}},
            insert("User likes coffee"),
        ]
    )
    manager = create_memory_manager(scripted.model, enable_updates=False)
    result = manager.invoke({"messages": CONVERSATION, "existing": ["User likes tea"]})
    assert tool_names(scripted.requests[0]) == ["insert_memory"]
    assert [op.op for op in result.operations] == ["none", "insert"]
    assert result.rejected[0].reason == "update_memory was not offered: updates are disabled"


def test_deletes_enabled_offers_delete_and_returns_remove_doc(scripted):
    scripted.enqueue_tool_calls([{"name": "delete_memory", "arguments": {"id": "2"}}])
    manager = create_memory_manager(scripted.model, enable_deletes=True)
    result = manager.invoke(
        {
            "messages": [{"role": "user", "content": "Forget that I smoke."}],
            "existing": ["User likes tea", "User smokes"],
        }
    )
    assert tool_names(scripted.requests[0]) == ["insert_memory", "update_memory", "delete_memory"]
    smokes = string_memory_id("User smokes")
    assert list(result) == [(smokes, RemoveDoc(json_doc_id=smokes))]
    assert [(op.op, op.id) for op in result.operations] == [
        ("none", string_memory_id("User likes tea")),
        ("delete", smokes),
    ]
    assert result.operations[1].before == {"content": "User smokes"}


def test_deletes_disabled_by_default_rejects_delete(scripted):
    scripted.enqueue_tool_calls([{"name": "delete_memory", "arguments": {"id": "1"}}])
    result = create_memory_manager(scripted.model).invoke(
        {"messages": CONVERSATION, "existing": ["User likes tea"]}
    )
    assert result.rejected[0].reason == "delete_memory was not offered: deletes are disabled"
    assert [op.op for op in result.operations] == ["none"]


def test_all_actions_disabled_fails_at_creation():
    with pytest.raises(ConfigurationError, match="could not change anything"):
        create_memory_manager(
            "scripted/never", enable_inserts=False, enable_updates=False, enable_deletes=False
        )


def test_unknown_ids_are_rejected(scripted):
    scripted.enqueue_tool_calls(
        [{"name": "update_memory", "arguments": {"id": "7", "content": "x"}}]
    )
    result = create_memory_manager(scripted.model).invoke(
        {"messages": CONVERSATION, "existing": ["User likes tea"]}
    )
    assert result.rejected[0].reason == "no memory with id '7'"
    assert list(result) == []


# -- existing forms ------------------------------------------------------------------------------


def test_string_existing_update_keeps_the_stable_id(scripted):
    manager = create_memory_manager(scripted.model)
    ids = []
    for _ in range(2):
        scripted.enqueue_tool_calls(
            [{"name": "update_memory", "arguments": {"id": "2", "content": "User likes green tea"}}]
        )
        result = manager.invoke(
            {"messages": CONVERSATION, "existing": ["User hikes", "User likes tea"]}
        )
        ids.append(result[0].id)
    assert ids == [string_memory_id("User likes tea")] * 2
    update = result.operations[1]
    assert (update.op, update.before, update.after) == (
        "update",
        {"content": "User likes tea"},
        {"content": "User likes green tea"},
    )
    assert '[2] Memory {"content":"User likes tea"}' in scripted.requests[0].messages[1]["content"]


def test_result_passed_back_as_existing(scripted):
    manager = create_memory_manager(scripted.model, schemas=[PreferenceMemory])
    scripted.enqueue_tool_calls(
        [
            {
                "name": "insert_preference_memory",
                "arguments": {"category": "ui", "preference": "dark mode", "context": "all apps"},
            }
        ]
    )
    memories = manager.invoke({"messages": CONVERSATION})
    scripted.enqueue_tool_calls(
        [
            {
                "name": "update_preference_memory",
                "arguments": {
                    "id": "1",
                    "category": "ui",
                    "preference": "light mode",
                    "context": "dark mode hurts their eyes",
                },
            }
        ]
    )
    changed = manager.invoke(
        {
            "messages": [{"role": "user", "content": "Dark mode hurts my eyes now"}],
            "existing": memories,
        }
    )
    assert [m.id for m in changed] == [memories[0].id]
    assert changed[0].content == PreferenceMemory(
        category="ui", preference="light mode", context="dark mode hurts their eyes"
    )
    op = changed.operations[0]
    assert (op.op, op.kind, op.before["preference"], op.after["preference"]) == (
        "update",
        "PreferenceMemory",
        "dark mode",
        "light mode",
    )


def test_triples_are_validated_against_their_kind(scripted):
    scripted.enqueue_text("done")
    manager = create_memory_manager(scripted.model, schemas=[Memory, PreferenceMemory])
    result = manager.invoke(
        {
            "messages": CONVERSATION,
            "existing": [
                (
                    "p1",
                    "PreferenceMemory",
                    {"category": "food", "preference": "spicy", "context": ""},
                )
            ],
        }
    )
    assert result.operations[0].kind == "PreferenceMemory"
    assert '[1] PreferenceMemory {"category":"food"' in scripted.requests[0].messages[1]["content"]
    with pytest.raises(
        ConfigurationError, match=r"\(id 'p2'\): content does not match schema PreferenceMemory"
    ):
        manager.invoke(
            {"messages": CONVERSATION, "existing": [("p2", "PreferenceMemory", {"category": "x"})]}
        )
    with pytest.raises(ConfigurationError, match=r"\(id 'p3'\): unknown kind 'Profile'"):
        manager.invoke({"messages": CONVERSATION, "existing": [("p3", "Profile", {})]})


# -- multi-step ----------------------------------------------------------------------------------


def test_multi_step_continues_then_stops_when_done(scripted):
    scripted.enqueue_tool_calls([insert("User likes dark mode", sources=["m0"])])
    scripted.enqueue_tool_calls(
        [
            {
                "name": "update_memory",
                "arguments": {"id": "1", "content": "User prefers dark mode in all apps"},
            }
        ]
    )
    scripted.enqueue_text("done")
    scripted.enqueue_text("never requested")
    manager = create_memory_manager(scripted.model)
    result = manager.invoke({"messages": CONVERSATION, "max_steps": 5})
    assert result.steps == 3
    assert len(scripted.requests) == 3
    assert scripted.pending == 1
    [op] = result.operations  # insert, then update of the new memory: one insert
    assert (op.op, op.after, op.step) == (
        "insert",
        {"content": "User prefers dark mode in all apps"},
        2,
    )
    second = scripted.requests[1].messages
    assert [m["role"] for m in second] == ["system", "user", "assistant", "tool"]
    assert second[2]["tool_calls"][0]["function"]["name"] == "insert_memory"
    assert second[3]["content"] == "inserted 1"
    assert scripted.requests[2].messages[-1]["content"] == "updated 1"


def test_max_steps_caps_the_loop_and_defaults_to_one(scripted):
    scripted.respond_with(lambda request: {"tool_calls": [insert(f"fact {len(request.messages)}")]})
    manager = create_memory_manager(scripted.model)
    assert len(manager.invoke({"messages": CONVERSATION})) == 1
    assert len(scripted.requests) == 1
    capped = create_memory_manager(scripted.model, max_steps=2).invoke({"messages": CONVERSATION})
    assert capped.steps == 2 and len(capped) == 2
    per_call = create_memory_manager(scripted.model, max_steps=2).invoke(
        {"messages": CONVERSATION, "max_steps": 3}
    )
    assert per_call.steps == 3
    assert [m.content.content for m in per_call] == ["fact 2", "fact 4", "fact 6"]


def test_usage_is_summed_over_steps(scripted):
    scripted.enqueue_tool_calls([insert("a")], usage={"input_tokens": 100, "output_tokens": 7})
    scripted.enqueue_text("done", usage={"input_tokens": 150, "output_tokens": 2})
    with record_calls() as calls:
        result = create_memory_manager(scripted.model, max_steps=3).invoke(
            {"messages": CONVERSATION}
        )
    assert (result.usage.input_tokens, result.usage.output_tokens) == (250, 9)
    assert len(calls) == 2


def test_rejections_are_reported_back_in_multi_step(scripted):
    scripted.enqueue_tool_calls(
        [{"name": "update_memory", "arguments": {"id": "4", "content": "x"}}]
    )
    scripted.enqueue_text("done")
    result = create_memory_manager(scripted.model, max_steps=2).invoke({"messages": CONVERSATION})
    assert scripted.requests[1].messages[-1]["content"] == "rejected: no memory with id '4'"
    assert result.rejected[0].step == 1


# -- repair --------------------------------------------------------------------------------------


def test_repair_round_fixes_invalid_arguments(scripted):
    scripted.enqueue_tool_calls(
        [
            {"name": "insert_memory", "arguments": '{"content": "User likes'},
            insert("User prefers dark mode"),
            {"name": "insert_memory", "arguments": {"text": "wrong field"}},
        ]
    )
    scripted.enqueue_tool_calls([insert("User likes tea"), insert("User hikes")])
    result = create_memory_manager(scripted.model).invoke({"messages": CONVERSATION})
    assert [m.content.content for m in result] == [
        "User prefers dark mode",
        "User likes tea",
        "User hikes",
    ]
    assert {op.step for op in result.operations} == {1}
    assert result.steps == 1
    replies = [m for m in scripted.requests[1].messages if m["role"] == "tool"]
    assert replies[0]["content"].startswith("invalid arguments: arguments are not a JSON object")
    assert replies[1]["content"] == "inserted 1"
    assert replies[2]["content"] == (
        "invalid arguments: content: Field required. "
        "Call insert_memory again with corrected arguments."
    )
    assert tool_names(scripted.requests[1]) == ["insert_memory", "update_memory"]


def test_repair_exhausted_raises_naming_tool_and_error(scripted):
    bad = {"name": "insert_memory", "arguments": {"text": "no content"}}
    scripted.enqueue_tool_calls([bad])
    scripted.enqueue_tool_calls([bad])
    with pytest.raises(
        InvalidModelOutputError,
        match=r"after 1 repair round\(s\): insert_memory: content: Field required",
    ):
        create_memory_manager(scripted.model).invoke({"messages": CONVERSATION})
    assert len(scripted.requests) == 2


def test_no_repair_allowed_raises_at_once(scripted):
    scripted.enqueue_tool_calls([{"name": "insert_memory", "arguments": "not json"}])
    with pytest.raises(
        InvalidModelOutputError, match="insert_memory: arguments are not a JSON object"
    ):
        create_memory_manager(scripted.model, max_repairs=0).invoke({"messages": CONVERSATION})
    assert len(scripted.requests) == 1


def test_repair_answered_with_text_raises(scripted):
    scripted.enqueue_tool_calls([{"name": "insert_memory", "arguments": {}}])
    scripted.enqueue_text("sorry")
    with pytest.raises(InvalidModelOutputError, match="did not re-issue the call"):
        create_memory_manager(scripted.model).invoke({"messages": CONVERSATION})


# -- provider errors -----------------------------------------------------------------------------


def test_bad_request_propagates_without_retry(scripted):
    scripted.enqueue_error("bad_request", "tools are malformed")
    with pytest.raises(ModelError) as caught:
        create_memory_manager(scripted.model).invoke({"messages": CONVERSATION})
    assert not isinstance(caught.value, InvalidModelOutputError)
    assert len(scripted.requests) == 1


def test_rate_limit_is_retried_then_succeeds(scripted):
    scripted.enqueue_error("rate_limit")
    scripted.enqueue_tool_calls([insert("User prefers dark mode")])
    result = create_memory_manager(scripted.model).invoke({"messages": CONVERSATION})
    assert [m.content.content for m in result] == ["User prefers dark mode"]
    assert result.usage.retries == 1
    assert len(scripted.requests) == 2


# -- ids, calling styles, concurrency ------------------------------------------------------------


def test_insert_ids_are_deterministic(scripted):
    manager = create_memory_manager(scripted.model)
    scripted.respond_with(lambda request: {"tool_calls": [insert("a"), insert("b")]})
    first = manager.invoke({"messages": CONVERSATION, "existing": ["User likes tea"]})
    again = manager.invoke({"messages": CONVERSATION, "existing": ["User likes tea"]})
    other = manager.invoke({"messages": CONVERSATION[:1], "existing": ["User likes tea"]})
    assert [m.id for m in first] == [m.id for m in again]
    assert len({m.id for m in first}) == 2
    assert not {m.id for m in first} & {m.id for m in other}
    assert all(uuid.UUID(m.id).version == 5 for m in first)


def test_follow_up_request_is_identical_for_identical_input(scripted):
    scripted.respond_with(
        lambda request: {"tool_calls": [insert("a")]} if len(request.messages) == 2 else "done"
    )
    manager = create_memory_manager(scripted.model, max_steps=2)
    manager.invoke({"messages": CONVERSATION})
    manager.invoke({"messages": CONVERSATION})
    first, second = scripted.requests[1], scripted.requests[3]
    assert first.messages[1:] == second.messages[1:]


def test_cached_multi_step_run_replays_without_model_calls(scripted, tmp_path):
    scripted.enqueue_tool_calls([insert("User likes dark mode")])
    scripted.enqueue_tool_calls(
        [{"name": "update_memory", "arguments": {"id": "1", "content": "User prefers dark mode"}}]
    )
    scripted.enqueue_text("done")
    model = get_model(scripted.model, cache=ResponseCache(tmp_path))
    manager = create_memory_manager(model, max_steps=3)
    first = manager.invoke({"messages": CONVERSATION})
    replay = manager.invoke({"messages": CONVERSATION})
    assert len(scripted.requests) == 3  # the replay was served from the cache, step by step
    assert replay.usage.cached
    assert [(m.id, m.content) for m in replay] == [(m.id, m.content) for m in first]


def test_await_manager(scripted):
    scripted.enqueue_tool_calls([insert("User prefers dark mode")])
    scripted.enqueue_tool_calls(
        [{"name": "update_memory", "arguments": {"id": "1", "content": "User prefers light mode"}}]
    )
    manager = create_memory_manager(scripted.model)

    async def main():
        memories = await manager(CONVERSATION)
        updated = await manager(
            [{"role": "user", "content": "Light mode now"}], existing=memories, max_steps=1
        )
        return memories, updated

    memories, updated = run_sync(main())
    assert updated[0].id == memories[0].id
    assert updated[0].content.content == "User prefers light mode"


def test_one_hundred_concurrent_calls_do_not_bleed(scripted):
    token = re.compile(r"token-(\d+)")

    def echo(request):
        [number] = token.findall(request.messages[1]["content"])
        return {"tool_calls": [insert(f"User's token is {number}")]}

    scripted.respond_with(echo)
    manager = create_memory_manager(scripted.model)

    async def main():
        return await asyncio.gather(
            *(
                manager.ainvoke(
                    {
                        "messages": [{"role": "user", "content": f"My token is token-{i}"}],
                        "existing": [f"User's seat is {i}"],
                    }
                )
                for i in range(100)
            )
        )

    results = run_sync(main())
    for i, result in enumerate(results):
        assert [m.content.content for m in result] == [f"User's token is {i}"]
        assert [op.op for op in result.operations] == ["none", "insert"]
        assert result.operations[0].before == {"content": f"User's seat is {i}"}
    assert len({result[0].id for result in results}) == 100


def test_input_shapes_and_errors(scripted):
    scripted.respond_with(lambda request: "done")
    manager = create_memory_manager(scripted.model)
    assert manager.invoke(CONVERSATION).steps == 1  # a bare message list

    class Input(BaseModel):
        messages: list[dict]
        existing: list[str] = []

    assert manager.invoke(Input(messages=CONVERSATION, existing=["x"])).operations[0].op == "none"
    with pytest.raises(ConfigurationError, match=r"unknown input key\(s\) \['exisitng'\]"):
        manager.invoke({"messages": CONVERSATION, "exisitng": []})
    with pytest.raises(ConfigurationError, match="max_steps must be a positive integer"):
        manager.invoke({"messages": CONVERSATION, "max_steps": 0})
    with pytest.raises(ConfigurationError, match="max_steps must be a positive integer"):
        create_memory_manager(scripted.model, max_steps=0)


def test_manager_is_immutable(scripted):
    manager = create_memory_manager(scripted.model)
    with pytest.raises(dataclasses.FrozenInstanceError):
        manager.max_steps = 3  # type: ignore[misc]


class EchoModel:
    """A user-supplied ChatModel: no litellm involved."""

    name = "echo"

    async def agenerate(self, messages, *, tools=(), config=None):
        self.tools = [tool.name for tool in tools]
        call = ToolCall(id="c1", name="insert_memory", arguments={"content": "from my client"})
        return ModelResponse(model=self.name, tool_calls=[call], usage=Usage(input_tokens=3))

    def generate(self, messages, *, tools=(), config=None):  # pragma: no cover - protocol only
        raise NotImplementedError


def test_user_supplied_chat_model():
    model = EchoModel()
    result = create_memory_manager(model).invoke({"messages": CONVERSATION})
    assert [m.content.content for m in result] == ["from my client"]
    assert model.tools == ["insert_memory", "update_memory"]
    assert result.usage.input_tokens == 3
