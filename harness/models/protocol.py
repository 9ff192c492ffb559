"""The narrow interface every chat model implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from harness.models.types import GenerateConfig, Message, ModelResponse, ToolSpec


@runtime_checkable
class ChatModel(Protocol):
    """Messages in; text and/or tool calls plus usage out.

    ``agenerate`` is the implementation; ``generate`` is its sync twin. The memory managers accept
    either a model string (resolved through :func:`harness.models.get_model`) or any object with
    these two methods, so users can plug in their own client.
    """

    name: str

    async def agenerate(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSpec] = (),
        config: GenerateConfig | None = None,
    ) -> ModelResponse: ...

    def generate(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSpec] = (),
        config: GenerateConfig | None = None,
    ) -> ModelResponse: ...
