"""The scripted provider, reached through get_model like any hosted provider."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap

import pytest

from harness.errors import ModelError
from harness.models import GenerateConfig, ToolSpec, get_model, scripted_model
from harness.models.scripted import ScriptedRequest

USER = [{"role": "user", "content": "I moved to Lisbon last spring."}]
INSERT = ToolSpec(
    name="insert_memory",
    description="Store a new memory.",
    parameters={"type": "object", "properties": {"content": {"type": "string"}}},
)


def test_text_reply(scripted):
    scripted.enqueue_text("Noted.")
    response = get_model(scripted.model).generate(USER)
    assert response.text == "Noted."
    assert response.tool_calls == []
    assert response.finish_reason == "stop"
    assert response.model == scripted.model


def test_tool_call_reply(scripted):
    scripted.enqueue_tool_calls(
        [{"name": "insert_memory", "arguments": {"content": "Lives in Lisbon"}, "id": "c1"}],
        text="Saving that.",
    )
    response = get_model(scripted.model).generate(USER, tools=[INSERT])
    assert response.text == "Saving that."
    assert response.finish_reason == "tool_calls"
    [call] = response.tool_calls
    assert (call.id, call.name, call.arguments) == (
        "c1",
        "insert_memory",
        {"content": "Lives in Lisbon"},
    )
    assert call.arguments_error is None and call.raw_arguments is None


def test_several_tool_calls_get_distinct_ids(scripted):
    scripted.enqueue_tool_calls(
        [
            {"name": "insert_memory", "arguments": {"content": "a"}},
            {"name": "insert_memory", "arguments": {"content": "b"}},
        ]
    )
    calls = get_model(scripted.model).generate(USER, tools=[INSERT]).tool_calls
    assert [c.arguments["content"] for c in calls] == ["a", "b"]
    assert len({c.id for c in calls}) == 2


@pytest.mark.parametrize(
    ("raw", "error_fragment"),
    [("{not json", "not valid JSON"), ("[1, 2]", "JSON object"), ('"text"', "JSON object")],
)
def test_invalid_arguments_surface_as_arguments_error(scripted, raw, error_fragment):
    scripted.enqueue_tool_calls([{"name": "insert_memory", "arguments": raw}])
    [call] = get_model(scripted.model).generate(USER, tools=[INSERT]).tool_calls
    assert call.arguments == {}
    assert call.raw_arguments == raw
    assert error_fragment in call.arguments_error
    # The raw text goes back to the model verbatim in a follow-up turn.
    assert call.name == "insert_memory"


def test_requests_are_recorded_in_order(scripted):
    scripted.enqueue_text("one").enqueue_text("two")
    model = get_model(scripted.model)
    model.generate(USER, tools=[INSERT], config=GenerateConfig(temperature=0, seed=7))
    model.generate([*USER, {"role": "assistant", "content": "one"}])
    first, second = scripted.requests
    assert isinstance(first, ScriptedRequest)
    assert first.messages == USER
    assert first.tool_names == ["insert_memory"]
    assert first.tools[0]["function"]["parameters"] == INSERT.parameters
    assert first.params["temperature"] == 0
    assert first.params["seed"] == 7
    assert "max_retries" not in first.params
    assert second.messages[-1] == {"role": "assistant", "content": "one"}
    assert second.tools == []
    assert first.last_user_text == "I moved to Lisbon last spring."


def test_recorded_messages_are_copies(scripted):
    scripted.enqueue_text("ok")
    messages = [dict(USER[0])]
    get_model(scripted.model).generate(messages)
    messages[0]["content"] = "changed afterwards"
    assert scripted.requests[0].messages == USER


def test_callable_spec_sees_the_request(scripted):
    scripted.enqueue(lambda request: {"text": f"echo: {request.last_user_text}"})
    assert get_model(scripted.model).generate(USER).text == "echo: I moved to Lisbon last spring."


def test_responder_answers_when_queue_is_empty(scripted):
    scripted.enqueue_text("queued first")
    scripted.respond_with(lambda request: f"fallback {len(request.messages)}")
    model = get_model(scripted.model)
    assert model.generate(USER).text == "queued first"
    assert model.generate(USER).text == "fallback 1"
    assert model.generate(USER).text == "fallback 1"
    assert scripted.pending == 0


def test_empty_queue_is_a_clear_non_retryable_error(scripted):
    model = get_model(scripted.model)
    with pytest.raises(ModelError, match=f"{scripted.model}: no scripted response left") as info:
        model.generate(USER)
    assert info.value.retryable is False
    assert info.value.model == scripted.model
    assert len(scripted.requests) == 1


def test_reset_clears_queue_requests_responder_and_delay(scripted):
    scripted.enqueue_text("left over")
    scripted.respond_with(lambda request: "x")
    scripted.delay = 1.0
    get_model(scripted.model).generate(USER)
    scripted.reset()
    assert (scripted.pending, scripted.requests, scripted.delay) == (0, [], 0.0)
    with pytest.raises(ModelError, match="no scripted response left"):
        get_model(scripted.model).generate(USER)


def test_same_name_same_queue_and_prefix_is_optional(scripted):
    assert scripted_model(scripted.name) is scripted
    assert scripted_model(scripted.model) is scripted


def test_unknown_error_kind_is_rejected(scripted):
    with pytest.raises(ValueError, match="unknown scripted error kind"):
        scripted.enqueue_error("meteor_strike")


def test_unknown_spec_keys_fail_loudly(scripted):
    scripted.enqueue({"txt": "typo"})
    with pytest.raises(ModelError, match=r"bad scripted reply.*txt") as info:
        get_model(scripted.model).generate(USER)
    assert info.value.retryable is False
    assert len(scripted.requests) == 1


def test_responder_that_raises_is_a_non_retryable_error(scripted):
    scripted.respond_with(lambda request: 1 / 0)
    with pytest.raises(ModelError, match="ZeroDivisionError") as info:
        get_model(scripted.model).generate(USER)
    assert info.value.retryable is False
    assert len(scripted.requests) == 1


def test_usage_given_by_spec_wins(scripted):
    scripted.enqueue_text("hi", usage={"input_tokens": 1234, "output_tokens": 56})
    usage = get_model(scripted.model).generate(USER).usage
    assert (usage.input_tokens, usage.output_tokens) == (1234, 56)


def test_tokens_are_counted_when_not_scripted(scripted):
    scripted.enqueue_text("hello world").enqueue_text("hello world")
    model = get_model(scripted.model)
    bare = model.generate(USER).usage
    with_tool = model.generate(USER, tools=[INSERT]).usage
    # 7 tokens of text plus the chat format's framing of one message (7 more).
    assert bare.input_tokens == 14
    assert with_tool.input_tokens > bare.input_tokens + 10  # the tool schema is part of the prompt
    assert bare.output_tokens == 2  # "hello world" is two tokens for OpenAI tokenizers


def test_concurrent_async_calls_each_get_one_reply(scripted):
    scripted.respond_with(lambda request: request.last_user_text.upper())
    model = get_model(scripted.model)

    async def main():
        prompts = [[{"role": "user", "content": f"message {i}"}] for i in range(50)]
        return await asyncio.gather(*(model.agenerate(p) for p in prompts))

    replies = asyncio.run(main())
    assert [r.text for r in replies] == [f"MESSAGE {i}" for i in range(50)]
    assert len(scripted.requests) == 50


PLUGIN = textwrap.dedent(
    """
    def reply(request):
        return {"tool_calls": [{"name": "insert_memory",
                                "arguments": {"content": request.last_user_text}}]}
    """
)

CHILD = textwrap.dedent(
    """
    from harness.models import ToolSpec, get_model
    tool = ToolSpec(name="insert_memory")
    r = get_model("scripted/elsewhere").generate(
        [{"role": "user", "content": "from the child"}], tools=[tool])
    print(r.tool_calls[0].name, r.tool_calls[0].arguments["content"])
    """
)


def test_responder_from_environment_works_in_a_subprocess(tmp_path):
    (tmp_path / "scripted_plugin.py").write_text(PLUGIN)
    env = {
        **os.environ,
        "HARNESS_SCRIPTED_RESPONDER": "scripted_plugin:reply",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "insert_memory from the child"


def test_side_effect_plugin_module_fills_queues(tmp_path):
    (tmp_path / "fill_queue.py").write_text(
        "from harness.models import scripted_model\n"
        "scripted_model('elsewhere').enqueue_tool_calls("
        "[{'name': 'insert_memory', 'arguments': {'content': 'queued by plugin'}}])\n"
    )
    env = {
        **os.environ,
        "HARNESS_SCRIPTED_RESPONDER": "fill_queue",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "insert_memory queued by plugin"
