"""The ``scripted/<name>`` provider: queued replies and a request log, for tests and benchmarks.

It is a real litellm custom provider, so a scripted model travels the same path as a hosted one
(litellm's request handling, the gateway's retries, cache and usage records). Each name has its own
queue::

    s = scripted_model("demo")                 # the queue behind "scripted/demo"
    s.enqueue_text("hello")
    s.enqueue_tool_calls([{"name": "insert_memory", "arguments": {"content": "likes tea"}}])
    s.enqueue_error("rate_limit")
    get_model(s.model).generate([{"role": "user", "content": "hi"}])
    s.requests                                 # every request, in order

A reply *spec* is a dict ``{"text": str | None, "tool_calls": [{"name", "arguments": dict | str,
"id"?}], "usage"?: {"input_tokens", "output_tokens"}}`` or ``{"error": kind, "message"?: str}``;
a plain string is shorthand for ``{"text": ...}``.

Across processes (a CLI run in a subprocess), set ``HARNESS_SCRIPTED_RESPONDER`` to
``"package.module:function"`` (``function(request) -> spec`` answers every scripted model whose
queue is empty and that has no responder of its own) or to ``"package.module"`` (imported once for
its side effects, e.g. calling ``scripted_model(name).respond_with(...)``).
"""

from __future__ import annotations

import asyncio
import copy
import importlib
import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.models._litellm import build_response, count_tokens, litellm_module, tool_arguments
from harness.models.ratelimit import Grant, current_grant

RESPONDER_ENV = "HARNESS_SCRIPTED_RESPONDER"
ERROR_KINDS = (
    "rate_limit",
    "timeout",
    "server_error",
    "service_unavailable",
    "connection",
    "bad_request",
    "auth",
    "not_found",
    "context_window",
)

Spec = dict[str, Any] | str
Responder = Callable[["ScriptedRequest"], Spec]


@dataclass(frozen=True)
class ScriptedRequest:
    """One request the scripted provider received (messages and tools as litellm passed them)."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    params: dict[str, Any]
    model: str = ""
    grant: Grant | None = None
    """The rate limiter's grant of this request (:mod:`harness.models.ratelimit`), if limited."""

    @property
    def last_user_text(self) -> str:
        """Text of the last user message, the usual thing a responder keys on."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                content = message.get("content")
                return content if isinstance(content, str) else json.dumps(content)
        return ""

    @property
    def tool_names(self) -> list[str]:
        return [tool.get("function", {}).get("name", "") for tool in self.tools]


@dataclass
class ScriptedModel:
    """The queue, responder and request log behind one ``scripted/<name>`` model."""

    name: str
    delay: float = 0.0
    requests: list[ScriptedRequest] = field(default_factory=list)
    _queue: deque[Spec | Responder] = field(default_factory=deque)
    _responder: Responder | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def model(self) -> str:
        """The model string to pass to :func:`harness.models.get_model`."""
        return f"scripted/{self.name}"

    def reset(self) -> ScriptedModel:
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self._responder = None
            self.delay = 0.0
        return self

    def enqueue(self, *specs: Spec | Responder) -> ScriptedModel:
        """Queue reply specs, or callables computing one from the :class:`ScriptedRequest`."""
        with self._lock:
            self._queue.extend(specs)
        return self

    def enqueue_text(self, text: str, *, usage: dict[str, int] | None = None) -> ScriptedModel:
        return self.enqueue(_spec(text=text, usage=usage))

    def enqueue_tool_calls(
        self,
        calls: Iterable[dict[str, Any]],
        *,
        text: str | None = None,
        usage: dict[str, int] | None = None,
    ) -> ScriptedModel:
        return self.enqueue(_spec(text=text, tool_calls=list(calls), usage=usage))

    def enqueue_error(self, kind: str, message: str | None = None) -> ScriptedModel:
        """Queue a provider error; ``kind`` is one of :data:`ERROR_KINDS`."""
        if kind not in ERROR_KINDS:
            raise ValueError(f"unknown scripted error kind {kind!r}; expected one of {ERROR_KINDS}")
        return self.enqueue({"error": kind, "message": message})

    def respond_with(self, responder: Responder | None) -> ScriptedModel:
        """Answer with ``responder(request)`` whenever the queue is empty."""
        with self._lock:
            self._responder = responder
        return self

    @property
    def pending(self) -> int:
        """How many queued replies are left."""
        with self._lock:
            return len(self._queue)

    def _take(self, request: ScriptedRequest) -> Spec:
        with self._lock:
            self.requests.append(request)
            item = self._queue.popleft() if self._queue else self._responder
        if item is None:
            item = _env_responder()
        if item is None:
            return {"error": "bad_request", "message": f"{self.model}: no scripted response left"}
        return item(request) if callable(item) else item


_models: dict[str, ScriptedModel] = {}
_models_lock = threading.Lock()


def scripted_model(name: str) -> ScriptedModel:
    """Get or create the queue behind ``scripted/<name>`` (and register the provider)."""
    name = name.removeprefix("scripted/")
    with _models_lock:
        model = _models.get(name)
        if model is None:
            model = _models[name] = ScriptedModel(name)
    litellm_module()
    return model


def _spec(
    *,
    text: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    usage: dict[str, int] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"text": text, "tool_calls": tool_calls or []}
    if usage is not None:
        spec["usage"] = usage
    return spec


_plugin_lock = threading.Lock()
_plugin_loaded: dict[str, Responder | None] = {}


def _env_responder() -> Responder | None:
    """The responder named by ``HARNESS_SCRIPTED_RESPONDER``, loaded once per value."""
    target = os.environ.get(RESPONDER_ENV, "").strip()
    if not target:
        return None
    with _plugin_lock:
        if target not in _plugin_loaded:
            module_name, _, attr = target.partition(":")
            module = importlib.import_module(module_name)
            _plugin_loaded[target] = getattr(module, attr) if attr else None
        return _plugin_loaded[target]


def _load_plugin() -> None:
    # Importing a side-effect plugin may fill queues, so it runs before the first queue lookup.
    if os.environ.get(RESPONDER_ENV, "").strip():
        _env_responder()


# --- the litellm side -----------------------------------------------------------------------


def _error(litellm: Any, kind: str, message: str | None, model: str) -> Exception:
    text = message or f"scripted {kind.replace('_', ' ')}"
    common = {"message": text, "llm_provider": "scripted", "model": model}
    classes = {
        "rate_limit": litellm.RateLimitError,
        "timeout": litellm.Timeout,
        "server_error": litellm.InternalServerError,
        "service_unavailable": litellm.ServiceUnavailableError,
        "connection": litellm.APIConnectionError,
        "bad_request": litellm.BadRequestError,
        "auth": litellm.AuthenticationError,
        "not_found": litellm.NotFoundError,
        "context_window": litellm.ContextWindowExceededError,
    }
    if kind not in classes:
        return litellm.BadRequestError(
            message=f"{model}: unknown scripted error kind {kind!r}",
            llm_provider="scripted",
            model=model,
        )
    return classes[kind](**common)


def _build_response(litellm: Any, spec: Spec, request: ScriptedRequest) -> Any:
    if isinstance(spec, str):
        spec = {"text": spec}
    if spec.get("error"):
        raise _error(litellm, spec["error"], spec.get("message"), request.model)
    unknown = set(spec) - {"text", "tool_calls", "usage", "finish_reason"}
    if unknown:
        raise ValueError(f"{request.model}: unknown keys in scripted reply spec: {sorted(unknown)}")
    text = spec.get("text")
    calls = [
        (
            call.get("id") or f"call_{len(request.messages)}_{i}",
            call["name"],
            tool_arguments(call.get("arguments", {})),
        )
        for i, call in enumerate(spec.get("tool_calls") or [])
    ]
    usage = spec.get("usage") or {}
    input_tokens = usage.get("input_tokens")
    if input_tokens is None:
        input_tokens = count_tokens(messages=request.messages, tools=request.tools)
    output_tokens = usage.get("output_tokens")
    if output_tokens is None:
        produced = (text or "") + "".join(name + arguments for _, name, arguments in calls)
        output_tokens = count_tokens(text=produced) if produced else 0
    finish = spec.get("finish_reason") or ("tool_calls" if calls else "stop")
    return build_response(request.model, text, calls, finish, input_tokens, output_tokens)


def _request(model: str, messages: list[Any], optional_params: dict[str, Any]) -> ScriptedRequest:
    params = {
        k: copy.deepcopy(v) for k, v in optional_params.items() if k not in ("tools", "max_retries")
    }
    return ScriptedRequest(
        messages=copy.deepcopy(list(messages)),
        tools=copy.deepcopy(list(optional_params.get("tools") or [])),
        params=params,
        model=f"scripted/{model}",
        grant=current_grant(),
    )


def _queue_for(model: str) -> ScriptedModel:
    _load_plugin()
    with _models_lock:
        queue = _models.get(model)
        if queue is None:
            queue = _models[model] = ScriptedModel(model)
    return queue


def _answer(litellm: Any, queue: ScriptedModel, request: ScriptedRequest) -> Any:
    """The reply to ``request``; a broken script is a non-retryable bad request, not a crash."""
    try:
        return _build_response(litellm, queue._take(request), request)
    except Exception as exc:
        if type(exc).__module__.split(".")[0] in ("litellm", "openai"):
            raise
        raise litellm.BadRequestError(
            message=f"{request.model}: bad scripted reply: {type(exc).__name__}: {exc}",
            llm_provider="scripted",
            model=request.model,
        ) from exc


def make_handler(litellm: Any) -> Any:
    """Build the ``litellm.CustomLLM`` that serves ``scripted/<name>``."""

    class ScriptedHandler(litellm.CustomLLM):
        def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
            queue = _queue_for(model)
            request = _request(model, messages, kwargs.get("optional_params") or {})
            response = _answer(litellm, queue, request)
            if queue.delay:
                time.sleep(queue.delay)
            return response

        async def acompletion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
            queue = _queue_for(model)
            request = _request(model, messages, kwargs.get("optional_params") or {})
            response = _answer(litellm, queue, request)
            if queue.delay:
                await asyncio.sleep(queue.delay)
            return response

    return ScriptedHandler()
