"""The project's embedders as a LanceDB embedding function (registry key ``harness-minilm``).

A table whose schema uses it embeds its source column on write and embeds query strings on
search, with the same vectors (and the same per-text cache) as the rest of the project.
"""

from __future__ import annotations

from typing import Any

from lancedb.embeddings import TextEmbeddingFunction, register

from harness.models.embeddings import DEFAULT_EMBEDDER, get_embedder

REGISTRY_KEY = "harness-minilm"


@register(REGISTRY_KEY)
class HarnessEmbeddingFunction(TextEmbeddingFunction):
    """Any :func:`harness.models.embeddings.get_embedder` name; MiniLM (offline) by default."""

    model: str = DEFAULT_EMBEDDER

    def ndims(self) -> int:
        return get_embedder(self.model).dims

    def generate_embeddings(self, texts: Any, *args: Any, **kwargs: Any) -> list[Any]:
        vectors = get_embedder(self.model).embed([str(t) for t in texts])
        return list(vectors)
