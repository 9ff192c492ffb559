"""The ``local/<name>`` provider: a small LLM run in-process with llama.cpp (extra ``[local]``)."""

from __future__ import annotations

from typing import Any


def make_handler(litellm: Any) -> Any:
    """Build the ``litellm.CustomLLM`` that serves ``local/<name>``."""

    class LocalHandler(litellm.CustomLLM):
        def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
            raise litellm.BadRequestError(
                message=f"local/{model}: not available yet", llm_provider="local", model=model
            )

        async def acompletion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
            return self.completion(model, messages, *args, **kwargs)

    return LocalHandler()
