"""Plain data that crosses the model boundary: requests, responses, tool calls and usage."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import ConfigurationError

Message = dict[str, Any]
"""An OpenAI-style chat message: ``{"role": ..., "content": ..., "tool_calls"?: ..., ...}``."""


class ToolSpec(BaseModel):
    """A function the model may call; ``parameters`` is a JSON Schema object."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})

    def to_openai(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


class ToolCall(BaseModel):
    """One tool call from the model.

    ``arguments`` is the parsed JSON object; when the model sent text that is not a JSON object,
    ``arguments`` is empty and ``arguments_error`` says why, with the raw text in ``raw_arguments``.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    raw_arguments: str | None = None
    arguments_error: str | None = None


CALL_TIMEOUT_ENV = "HARNESS_CALL_TIMEOUT"
"""Seconds one provider call may take (default 60); ``harness run --call-timeout`` sets it."""


def env_seconds(name: str, default: float) -> float:
    """A positive number of seconds from environment variable ``name`` (else ``default``)."""
    import math
    import os

    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigurationError(f"{name}={value!r} is not a positive number of seconds")
    return seconds


class GenerateConfig(BaseModel):
    """Per-call generation parameters; part of the cache key (except ``timeout``, whose default
    comes from ``$HARNESS_CALL_TIMEOUT``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    timeout: float = Field(default_factory=lambda: env_seconds(CALL_TIMEOUT_ENV, 60.0), gt=0)
    tool_choice: Literal["auto", "required", "none"] | None = None
    response_format: dict[str, Any] | None = None


class Usage(BaseModel):
    """What one model call cost. ``cost_usd`` is None when the price map does not know the model."""

    model_config = ConfigDict(extra="forbid")

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    latency_s: float = 0.0
    retries: int = 0
    cached: bool = False

    def __add__(self, other: Usage) -> Usage:
        cost = None
        if self.cost_usd is not None or other.cost_usd is not None:
            cost = (self.cost_usd or 0.0) + (other.cost_usd or 0.0)
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=cost,
            latency_s=self.latency_s + other.latency_s,
            retries=self.retries + other.retries,
            cached=self.cached and other.cached,
        )


class ModelResponse(BaseModel):
    """A model's reply: text and/or tool calls, plus usage."""

    model_config = ConfigDict(extra="forbid")

    model: str
    text: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage = Field(default_factory=Usage)

    def assistant_message(self) -> Message:
        """The reply as a message to append to the conversation for a follow-up call."""
        message: Message = {"role": "assistant", "content": self.text or ""}
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {
                        "name": call.name,
                        "arguments": call.raw_arguments
                        if call.raw_arguments is not None
                        else _dumps(call.arguments),
                    },
                }
                for call in self.tool_calls
            ]
        return message


class CallRecord(BaseModel):
    """One model call as the results database stores it."""

    model_config = ConfigDict(extra="forbid")

    model: str
    purpose: str = "extract"
    usage: Usage
    error: str | None = None
    cache_key: str | None = None


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True)
