"""Chat models: the litellm gateway, offline providers, response cache and usage records.

Names load on first use, so ``import harness.models`` does not import litellm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "get_model": "harness.models.gateway",
    "get_embedder": "harness.models.embeddings",
    "Embedder": "harness.models.embeddings",
    "LiteLLMModel": "harness.models.gateway",
    "compute_cost": "harness.models.gateway",
    "ChatModel": "harness.models.protocol",
    "ResponseCache": "harness.models.cache",
    "repeat_index": "harness.models.cache",
    "cache_key": "harness.models.cache",
    "RetryPolicy": "harness.models.retry",
    "record_calls": "harness.models.usage",
    "call_purpose": "harness.models.usage",
    "scripted_model": "harness.models.scripted",
    "ScriptedModel": "harness.models.scripted",
    "ScriptedRequest": "harness.models.scripted",
    "Message": "harness.models.types",
    "ToolSpec": "harness.models.types",
    "ToolCall": "harness.models.types",
    "GenerateConfig": "harness.models.types",
    "Usage": "harness.models.types",
    "ModelResponse": "harness.models.types",
    "CallRecord": "harness.models.types",
}

__all__ = [
    "CallRecord",
    "ChatModel",
    "Embedder",
    "GenerateConfig",
    "LiteLLMModel",
    "Message",
    "ModelResponse",
    "ResponseCache",
    "RetryPolicy",
    "ScriptedModel",
    "ScriptedRequest",
    "ToolCall",
    "ToolSpec",
    "Usage",
    "cache_key",
    "call_purpose",
    "compute_cost",
    "get_embedder",
    "get_model",
    "record_calls",
    "repeat_index",
    "scripted_model",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from harness.models.cache import ResponseCache, cache_key, repeat_index
    from harness.models.embeddings import Embedder, get_embedder
    from harness.models.gateway import LiteLLMModel, compute_cost, get_model
    from harness.models.protocol import ChatModel
    from harness.models.retry import RetryPolicy
    from harness.models.scripted import ScriptedModel, ScriptedRequest, scripted_model
    from harness.models.types import (
        CallRecord,
        GenerateConfig,
        Message,
        ModelResponse,
        ToolCall,
        ToolSpec,
        Usage,
    )
    from harness.models.usage import call_purpose, record_calls
