"""The one place that imports litellm.

litellm takes seconds to import and, left to its defaults, fetches a price map from the network and
sends telemetry. Everything in the project reaches it through :func:`litellm_module`, which imports
it once, switches those off, and registers the project's own providers (``scripted``, ``local``,
``baseline``) in litellm's custom-provider map so they travel the same code path as hosted
providers. What litellm's public API lacks lives in :mod:`harness._compat.litellm`.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

from harness._compat.litellm import configure, install_provider

_lock = threading.RLock()
_module: Any = None
_providers: dict[str, Callable[[Any], Any]] = {}
"""Provider name -> factory building its ``litellm.CustomLLM`` handler from the litellm module."""

BUILTIN_HANDLERS = {
    "scripted": "harness.models.scripted:make_handler",
    "local": "harness.models.local:make_handler",
    "baseline": "harness.models.extractive:make_handler",
}
"""The project's own providers: name -> ``module:function`` building the litellm handler."""
BUILTIN_PROVIDERS = tuple(BUILTIN_HANDLERS)


def _quiet_environment() -> None:
    # The bundled price map, not a download; no telemetry.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_TELEMETRY", "False")
    os.environ.setdefault("LITELLM_LOG", "ERROR")


def litellm_module() -> Any:
    """Import litellm once (quietly, offline) and return the module."""
    global _module
    if _module is not None:
        return _module
    with _lock:
        if _module is None:
            _quiet_environment()
            import litellm

            litellm.telemetry = False
            litellm.suppress_debug_info = True
            litellm.success_callback = []
            litellm.failure_callback = []
            litellm.callbacks = []
            _module = litellm
            configure()
            _register_builtin_providers()
    return _module


def register_provider(name: str, factory: Callable[[Any], Any]) -> None:
    """Register ``factory(litellm) -> CustomLLM`` as provider ``name`` (idempotent)."""
    with _lock:
        _providers[name] = factory
        if _module is not None:
            _install(name, factory)


def _install(name: str, factory: Callable[[Any], Any]) -> None:
    litellm = _module
    if any(item["provider"] == name for item in litellm.custom_provider_map):
        return
    install_provider(litellm, name, factory(litellm))


def _register_builtin_providers() -> None:
    """Register the project's own providers, named as ``module:function`` like entry points (they
    build on this module's helpers, so this module does not import them)."""
    for name, target in BUILTIN_HANDLERS.items():
        module, function = target.split(":")
        register_provider(name, getattr(importlib.import_module(module), function))
    for name, factory in list(_providers.items()):
        _install(name, factory)


def provider_of(model: str) -> str | None:
    """The provider litellm would route ``model`` to, or None when it cannot tell."""
    prefix = model.split("/", 1)[0] if "/" in model else ""
    if prefix in BUILTIN_PROVIDERS:
        return prefix
    litellm = litellm_module()
    try:
        return litellm.get_llm_provider(model)[1]
    except Exception:
        return None


def missing_credentials(model: str) -> list[str]:
    """Credential variables (``*_API_KEY``, ``*_TOKEN``) a provider needs but the environment lacks.

    Endpoint settings such as ``OLLAMA_API_BASE`` have defaults and are not reported; an unknown
    provider reports nothing rather than guessing.
    """
    if model.split("/", 1)[0] in BUILTIN_PROVIDERS:
        return []
    try:
        info = litellm_module().validate_environment(model=model)
    except Exception:
        return []
    missing = info.get("missing_keys") or []
    return [key for key in missing if key.endswith(("_API_KEY", "_TOKEN", "_KEY"))]


def declare_free(model: str) -> None:
    """Give a model of the project's own providers a zero-price entry in litellm's price map.

    litellm prices every response; for a model missing from its map it tries pattern-based
    fallbacks (about 1.5 ms of CPU per call), which hosted models never pay. With the entry, the
    offline providers cost litellm what a hosted model does. The project's own cost figures are
    unaffected: they stay unknown (None) for these providers.
    """
    provider = model.split("/", 1)[0]
    if provider not in BUILTIN_PROVIDERS:
        return
    litellm = litellm_module()
    if model in litellm.model_cost:
        return
    with _lock:
        litellm.register_model(
            {
                model: {
                    "litellm_provider": provider,
                    "mode": "chat",
                    "input_cost_per_token": 0.0,
                    "output_cost_per_token": 0.0,
                }
            }
        )


def cost_per_token(model: str, input_tokens: int, output_tokens: int) -> float | None:
    """USD cost from litellm's bundled price map; None when the model is not priced."""
    if model.split("/", 1)[0] in BUILTIN_PROVIDERS:
        return None
    litellm = litellm_module()
    try:
        prompt, completion = litellm.cost_per_token(
            model=model, prompt_tokens=input_tokens, completion_tokens=output_tokens
        )
    except Exception:
        return None
    return float(prompt) + float(completion)


def count_tokens(
    messages: list[dict[str, Any]] | None = None,
    tools: list[dict[str, Any]] | None = None,
    text: str | None = None,
) -> int:
    """Tokens as an OpenAI-style model would count them (tokenizer files ship with litellm)."""
    litellm = litellm_module()
    if text is not None:
        return int(litellm.token_counter(model="gpt-4o-mini", text=text))
    return int(
        litellm.token_counter(model="gpt-4o-mini", messages=messages or [], tools=tools or None)
    )


def tool_arguments(arguments: Any) -> str:
    """Tool-call arguments as the JSON text litellm carries (a string is taken as is)."""
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


def build_response(
    model: str,
    text: str | None,
    tool_calls: Sequence[tuple[str, str, str]],
    finish_reason: str,
    input_tokens: int,
    output_tokens: int,
) -> Any:
    """The litellm ``ModelResponse`` a project provider returns; calls are (id, name, JSON args)."""
    from litellm.types.utils import (
        ChatCompletionMessageToolCall,
        Choices,
        Function,
        Message,
        ModelResponse,
        Usage,
    )

    calls = [
        ChatCompletionMessageToolCall(
            id=call_id, type="function", function=Function(name=name, arguments=arguments)
        )
        for call_id, name, arguments in tool_calls
    ]
    message = Message(role="assistant", content=text, tool_calls=calls or None)
    return ModelResponse(
        model=model,
        choices=[Choices(index=0, finish_reason=finish_reason, message=message)],
        usage=Usage(
            prompt_tokens=input_tokens,
            completion_tokens=output_tokens,
            total_tokens=input_tokens + output_tokens,
        ),
    )
