"""Every model call goes through here: litellm underneath, retries, timeout, cache and usage on top.

:func:`get_model` turns a litellm model string (``"openai/gpt-4o-mini"``, ``"scripted/demo"``,
``"local/smollm2-135m"``) into a :class:`LiteLLMModel`; an object that already implements
:class:`~harness.models.protocol.ChatModel` is passed through untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Sequence
from typing import Any

from harness._async import run_sync
from harness.errors import ConfigurationError, ModelError, ModelUnavailableError
from harness.models import _litellm
from harness.models.cache import ResponseCache, cache_key, current_repeat_index, key_material
from harness.models.extractive import EXTRACTIVE_MODELS
from harness.models.limits import current_call_limit
from harness.models.local import MODELS
from harness.models.protocol import ChatModel
from harness.models.ratelimit import current_limiter, set_grant
from harness.models.retry import RetryPolicy, is_retryable
from harness.models.types import (
    CallRecord,
    GenerateConfig,
    Message,
    ModelResponse,
    ToolCall,
    ToolSpec,
    Usage,
)
from harness.models.usage import current_purpose, emit

logger = logging.getLogger(__name__)


def get_model(
    model: str | ChatModel,
    *,
    cache: ResponseCache | None = None,
    retry: RetryPolicy | None = None,
    **litellm_kwargs: Any,
) -> ChatModel:
    """Resolve a model string or pass a :class:`ChatModel` through.

    ``cache`` (default: none) and ``retry`` (default: :class:`RetryPolicy`) apply to model strings;
    extra keyword arguments (``api_key``, ``api_base``, ...) go to every litellm call and never
    into the cache.
    """
    if isinstance(model, str):
        return LiteLLMModel(model, cache=cache, retry=retry, **litellm_kwargs)
    if isinstance(model, ChatModel):
        if cache is not None or retry is not None or litellm_kwargs:
            raise ConfigurationError(
                f"cache/retry/litellm options apply to model strings, not to {type(model).__name__}"
            )
        return model
    raise ConfigurationError(
        f"model must be a litellm model string or a ChatModel, not {type(model).__name__}"
    )


class LiteLLMModel:
    """A :class:`ChatModel` over ``litellm.acompletion`` for any provider litellm knows."""

    def __init__(
        self,
        name: str,
        *,
        cache: ResponseCache | None = None,
        retry: RetryPolicy | None = None,
        **litellm_kwargs: Any,
    ):
        name = name.strip()
        if not name:
            raise ConfigurationError("model name is empty")
        if _litellm.provider_of(name) is None:
            raise ConfigurationError(
                f"unknown model {name!r}: litellm cannot tell its provider; use "
                "'<provider>/<model>' such as 'openai/gpt-4o-mini' or 'scripted/<name>'"
            )
        _check_local_name(name)
        self.name = name
        self.cache = cache
        self.retry = retry or RetryPolicy()
        self._kwargs = litellm_kwargs

    def __repr__(self) -> str:
        return f"LiteLLMModel({self.name!r})"

    def generate(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSpec] = (),
        config: GenerateConfig | None = None,
    ) -> ModelResponse:
        return run_sync(self.agenerate(messages, tools=tools, config=config))

    async def agenerate(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSpec] = (),
        config: GenerateConfig | None = None,
    ) -> ModelResponse:
        config = config or GenerateConfig()
        key = None
        if self.cache is not None and self.cache.reads:
            key = cache_key(self.name, messages, tools, config)
            hit = self.cache.get(key)
            if hit is not None:
                hit.usage = hit.usage.model_copy(
                    update={"cached": True, "latency_s": 0.0, "retries": 0}
                )
                emit(
                    CallRecord(
                        model=self.name, purpose=current_purpose(), usage=hit.usage, cache_key=key
                    )
                )
                return hit
        limit = current_call_limit()
        async with limit.slot() if limit is not None else contextlib.nullcontext():
            started = _now()  # once the call has its slot: queueing for one is not latency
            try:
                response, attempts = await self._call_with_retries(messages, tools, config)
            except ModelError as exc:
                retries = getattr(exc, "attempts", 1) - 1
                usage = Usage(latency_s=_now() - started, retries=retries)
                emit(
                    CallRecord(
                        model=self.name,
                        purpose=current_purpose(),
                        usage=usage,
                        error=str(exc),
                        cache_key=key,
                    )
                )
                raise
            response.usage.latency_s = _now() - started
        response.usage.retries = attempts - 1
        if key is not None and self.cache is not None and self.cache.writes:
            material = key_material(self.name, messages, tools, config, current_repeat_index())
            self.cache.put(key, response, request=material)
        emit(
            CallRecord(
                model=self.name, purpose=current_purpose(), usage=response.usage, cache_key=key
            )
        )
        return response

    async def _call_with_retries(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], config: GenerateConfig
    ) -> tuple[ModelResponse, int]:
        policy = self.retry
        for attempt in range(1, policy.max_attempts + 1):
            try:
                return await self._call_once(messages, tools, config), attempt
            except Exception as exc:
                retryable = is_retryable(exc)
                if retryable and attempt < policy.max_attempts:
                    logger.info(
                        "%s: try %d failed (%s); retrying", self.name, attempt, _describe(exc)
                    )
                    await policy.sleep(attempt)
                    continue
                raise _model_error(self.name, exc, attempt, retryable) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def _call_once(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], config: GenerateConfig
    ) -> ModelResponse:
        litellm = _litellm.litellm_module()
        _litellm.declare_free(self.name)  # once per model; a dict lookup afterwards
        request = request_kwargs(self.name, messages, tools, config)
        limiter = current_limiter()
        estimate = 0
        if limiter is not None:  # every request that reaches the provider asks the bucket
            estimate = _litellm.count_tokens(request["messages"], request.get("tools"))
            set_grant(await limiter.acquire(self.name, estimate))
        try:
            raw = await asyncio.wait_for(
                litellm.acompletion(**request, **self._kwargs), timeout=config.timeout
            )
        except TimeoutError:
            raise TimeoutError(f"no answer within {config.timeout:g} s") from None
        response = convert_response(self.name, raw)
        if limiter is not None:  # charge what the reply really used beyond the estimate
            usage = response.usage
            limiter.settle(self.name, usage.input_tokens + usage.output_tokens - estimate)
        return response


def _now() -> float:
    """The running loop's clock: a call's latency on whatever clock the loop keeps."""
    return asyncio.get_running_loop().time()


def _check_local_name(name: str) -> None:
    if name.startswith("baseline/"):
        if name.removeprefix("baseline/") not in EXTRACTIVE_MODELS:
            known = ", ".join(f"baseline/{n}" for n in EXTRACTIVE_MODELS)
            raise ConfigurationError(
                f"{name!r} is a memory system, not a chat model; the baseline answer models "
                f"are: {known}"
            )
        return
    if not name.startswith("local/"):
        return

    if name.removeprefix("local/") not in MODELS:
        known = ", ".join(f"local/{n}" for n in MODELS)
        raise ConfigurationError(f"unknown local model {name!r}; known: {known}")


def request_kwargs(
    model: str, messages: Sequence[Message], tools: Sequence[ToolSpec], config: GenerateConfig
) -> dict[str, Any]:
    """The keyword arguments for ``litellm.acompletion`` (unset parameters are left out)."""
    kwargs: dict[str, Any] = {
        "model": model,
        "messages": list(messages),
        "timeout": config.timeout,
        "num_retries": 0,
        "max_retries": 0,
    }
    if tools:
        kwargs["tools"] = [tool.to_openai() for tool in tools]
    params = config.model_dump(exclude={"timeout"}, exclude_none=True)
    if not tools:
        params.pop("tool_choice", None)
    kwargs.update(params)
    return kwargs


def convert_response(model: str, raw: Any) -> ModelResponse:
    """litellm's response -> the project's :class:`ModelResponse` (tool arguments parsed)."""
    choice = raw.choices[0]
    message = choice.message
    calls = [
        _tool_call(i, call) for i, call in enumerate(getattr(message, "tool_calls", None) or [])
    ]
    raw_usage = getattr(raw, "usage", None)
    input_tokens = int(getattr(raw_usage, "prompt_tokens", 0) or 0)
    output_tokens = int(getattr(raw_usage, "completion_tokens", 0) or 0)
    return ModelResponse(
        model=model,
        text=plain_text(message.content) if message.content else None,
        tool_calls=calls,
        finish_reason=choice.finish_reason,
        usage=Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_usd=compute_cost(model, input_tokens, output_tokens),
        ),
    )


def compute_cost(model: str, input_tokens: int, output_tokens: int) -> float | None:
    """USD cost of a call from litellm's bundled price map; None for unpriced models."""
    return _litellm.cost_per_token(model, input_tokens, output_tokens)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""After JSON decoding a valid pair is one code point, so any code point left in this range is a
lone surrogate: no text, and a crash in every UTF-8 encoder (tokenizer, hash, database)."""


def plain_text(text: str) -> str:
    """Model text with each lone surrogate replaced by U+FFFD, so it can be encoded."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def _surrogate_in(value: Any) -> str | None:
    if isinstance(value, str):
        found = _LONE_SURROGATE.search(value)
        return None if found is None else f"\\u{ord(found.group()):04x}"
    if isinstance(value, dict):
        items: list[Any] = [*value.keys(), *value.values()]
    else:
        items = value if isinstance(value, list) else []
    for item in items:
        found_in = _surrogate_in(item)
        if found_in is not None:
            return found_in
    return None


def parse_arguments(raw: Any) -> tuple[dict[str, Any], str | None]:
    """Tool-call arguments -> (object, error); never raises, so callers can run a repair round.
    A lone surrogate is bad model output like invalid JSON: an error, not a crash later on."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}, None
    if isinstance(raw, dict):
        value: Any = raw
    else:
        try:
            value = json.loads(raw)
        except (TypeError, ValueError) as exc:
            return {}, f"arguments are not valid JSON: {exc}"
    if not isinstance(value, dict):
        return {}, f"arguments must be a JSON object, got {type(value).__name__}"
    surrogate = _surrogate_in(value)
    if surrogate is not None:
        return {}, f"arguments hold a lone surrogate ({surrogate}), which is not text"
    return value, None


def _tool_call(index: int, call: Any) -> ToolCall:
    function = call.function
    raw = function.arguments
    arguments, error = parse_arguments(raw)
    return ToolCall(
        id=getattr(call, "id", None) or f"call_{index}",
        name=function.name or "",
        arguments=arguments,
        raw_arguments=plain_text(raw) if error is not None and isinstance(raw, str) else None,
        arguments_error=error,
    )


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if type(exc).__name__ not in text else text


_UNAVAILABLE = frozenset({"NotFoundError", "AuthenticationError", "PermissionDeniedError"})
"""Replies that every call of the model would get: a misspelt model name, a refused key."""


def _model_error(model: str, exc: BaseException, attempts: int, retryable: bool) -> ModelError:
    if type(exc).__name__ in _UNAVAILABLE and not retryable:
        message = (
            f"model {model!r} cannot be used (not retryable): the provider does not know it or "
            f"refuses the key ({_describe(exc)})"
        )
        error: ModelError = ModelUnavailableError(message, model=model)
    else:
        if retryable:
            message = f"{model}: gave up after {attempts} attempt(s); last error: {_describe(exc)}"
        else:
            message = f"{model}: request failed (not retryable): {_describe(exc)}"
        error = ModelError(message, model=model, retryable=retryable)
    error.attempts = attempts  # type: ignore[attr-defined]
    return error
