"""get_model resolution, response conversion, the public surface, and what importing costs."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import pytest

import harness.models as models
from harness.errors import ConfigurationError
from harness.models import ChatModel, LiteLLMModel, ModelResponse, get_model
from harness.models.gateway import convert_response, parse_arguments, request_kwargs
from harness.models.types import GenerateConfig, ToolSpec

USER = [{"role": "user", "content": "hello"}]


def test_model_string_gives_a_litellm_model(scripted):
    model = get_model(scripted.model)
    assert isinstance(model, LiteLLMModel)
    assert isinstance(model, ChatModel)
    assert model.name == scripted.model


def test_known_hosted_provider_resolves_without_a_call():
    assert get_model("openai/gpt-4o-mini").name == "openai/gpt-4o-mini"
    assert get_model("anthropic/claude-3-5-sonnet-latest").name.startswith("anthropic/")


@pytest.mark.parametrize("name", ["nosuchprovider/x", "", "   "])
def test_unknown_provider_is_a_configuration_error(name):
    with pytest.raises(ConfigurationError) as info:
        get_model(name)
    if name.strip():
        assert repr(name) in str(info.value)


class EchoModel:
    """A user-supplied model: any object with name/agenerate/generate."""

    name = "echo"

    async def agenerate(self, messages, *, tools=(), config=None):
        return ModelResponse(model=self.name, text=messages[-1]["content"])

    def generate(self, messages, *, tools=(), config=None):
        return asyncio.run(self.agenerate(messages, tools=tools, config=config))


def test_chat_model_objects_pass_through():
    echo = EchoModel()
    assert get_model(echo) is echo
    with pytest.raises(ConfigurationError, match="model strings"):
        get_model(echo, retry=models.RetryPolicy())


def test_other_objects_are_rejected():
    with pytest.raises(ConfigurationError, match="int"):
        get_model(42)


def test_sync_and_async_give_the_same_answer(scripted):
    scripted.respond_with(lambda request: "same")
    model = get_model(scripted.model)

    async def main():
        return await model.agenerate(USER)

    assert asyncio.run(main()).text == model.generate(USER).text == "same"


def test_request_kwargs_leave_out_unset_parameters():
    tool = ToolSpec(name="t")
    kwargs = request_kwargs("openai/x", USER, [tool], GenerateConfig(temperature=0, timeout=7))
    assert kwargs["timeout"] == 7
    assert kwargs["temperature"] == 0
    assert kwargs["tools"] == [tool.to_openai()]
    assert kwargs["max_retries"] == 0  # retries are ours, not the SDK's
    assert "seed" not in kwargs and "max_tokens" not in kwargs
    no_tools = request_kwargs("openai/x", USER, [], GenerateConfig(tool_choice="required"))
    assert "tools" not in no_tools and "tool_choice" not in no_tools


def _raw(content=None, tool_calls=None, finish="stop", usage=(3, 4)):
    message = SimpleNamespace(content=content, tool_calls=tool_calls)
    return SimpleNamespace(
        choices=[SimpleNamespace(message=message, finish_reason=finish)],
        usage=SimpleNamespace(prompt_tokens=usage[0], completion_tokens=usage[1]),
    )


def _call(arguments, id="c1", name="insert_memory"):
    return SimpleNamespace(id=id, function=SimpleNamespace(name=name, arguments=arguments))


def test_convert_response_parses_arguments_and_usage():
    raw = _raw(tool_calls=[_call('{"content": "tea"}'), _call({"already": "parsed"}, id=None)])
    response = convert_response("openai/gpt-4o-mini", raw)
    first, second = response.tool_calls
    assert first.arguments == {"content": "tea"} and first.arguments_error is None
    assert second.arguments == {"already": "parsed"} and second.id == "call_1"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (3, 4)
    assert response.usage.cost_usd == pytest.approx(3 * 0.15e-6 + 4 * 0.6e-6)
    assert response.text is None


def test_empty_text_becomes_none_and_unknown_model_has_no_cost():
    response = convert_response("openai/unpriced-model-xyz", _raw(content=""))
    assert response.text is None
    assert response.usage.cost_usd is None


@pytest.mark.parametrize(
    ("raw", "arguments", "has_error"),
    [
        ('{"a": 1}', {"a": 1}, False),
        ({"a": 1}, {"a": 1}, False),
        ("", {}, False),
        (None, {}, False),
        ("{", {}, True),
        ("[1]", {}, True),
        ("null", {}, True),
        ('{"a": 1} trailing', {}, True),
    ],
)
def test_parse_arguments_never_raises(raw, arguments, has_error):
    parsed, error = parse_arguments(raw)
    assert parsed == arguments
    assert (error is not None) is has_error


def test_every_public_name_imports():
    for name in models.__all__:
        assert getattr(models, name) is not None, name
    assert sorted(models.__all__) == sorted(set(models.__all__))


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_importing_harness_models_does_not_import_litellm():
    result = _run(
        """
        import sys
        import harness.models
        from harness.models import GenerateConfig, ToolSpec, record_calls, repeat_index
        from harness.models import ResponseCache, RetryPolicy
        heavy = [m for m in ("litellm", "openai", "tiktoken") if m in sys.modules]
        print(heavy)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_scripted_calls_never_touch_the_network():
    result = _run(
        """
        import socket
        attempts = []
        def refuse(*args, **kwargs):
            attempts.append(args[:2])
            raise OSError("network access attempted")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from harness.models import ToolSpec, get_model, scripted_model
        s = scripted_model("offline")
        s.enqueue_tool_calls([{"name": "t", "arguments": {"x": 1}}])
        r = get_model("scripted/offline").generate(
            [{"role": "user", "content": "hi"}], tools=[ToolSpec(name="t")])
        get_model("openai/gpt-4o-mini")  # resolving a hosted model makes no request either
        print(r.tool_calls[0].arguments, r.usage.input_tokens > 0, attempts)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "{'x': 1} True []"


def test_own_providers_are_free_in_litellms_price_map_but_stay_unpriced_here(scripted):
    from harness.models._litellm import litellm_module

    model = get_model(scripted.model)
    scripted.enqueue_text("Noted.", usage={"input_tokens": 30, "output_tokens": 2})
    response = model.generate([{"role": "user", "content": "hi"}])  # the first call declares it
    entry = litellm_module().model_cost[scripted.model]
    assert (entry["input_cost_per_token"], entry["output_cost_per_token"]) == (0.0, 0.0)
    assert response.text == "Noted."
    assert response.usage.input_tokens == 30 and response.usage.cost_usd is None
    # hosted models keep their real prices
    assert litellm_module().model_cost["gpt-4o-mini"]["input_cost_per_token"] > 0


def test_lone_surrogates_are_an_arguments_error_and_replaced_in_text():
    from harness.models.gateway import parse_arguments, plain_text

    assert parse_arguments('{"content": "a \\ud83d\\ude00"}') == ({"content": "a 😀"}, None)
    for raw in ('{"content": "a \\ud800"}', {"tags": ["ok", "\udfff"]}, '{"\\udc00": 1}'):
        value, error = parse_arguments(raw)
        assert value == {} and error is not None and "lone surrogate" in error, raw
    assert plain_text("a \ud800 b \U0001f600") == "a \ufffd b \U0001f600"
