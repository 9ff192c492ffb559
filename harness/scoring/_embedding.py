"""The embedding matcher: cosine similarity of the two texts' embeddings.

Cosine alone cannot tell a changed value from a paraphrase (hard negatives are often *more*
similar than paraphrases), which is why the default matcher pairs it with key terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.scoring.matchers import Matcher

_SHORTLIST_MARGIN = 1e-3
"""How far below the threshold a matrix-product cosine may fall and still be judged: the
shortlist's cosines and the judged ones sum in different orders (float32), so they differ in the
last digits; the margin keeps every pair the judge would accept."""

_CHUNK = 4096
"""Pairs whose vectors are gathered at once: a LoCoMo final state has 100,000 pairs, whose
gathered vectors (300 MB) cost more to copy than the dot products do."""


class EmbeddingMatcher(Matcher):
    """Cosine similarity between L2-normalised embeddings.

    Each batch embeds its distinct texts in one call; the embedder keeps the vectors of texts it
    has seen, so a memory that recurs across sessions or cases is embedded once.
    """

    name = "embedding"
    default_threshold = 0.7

    def __init__(
        self, *, embedder: Any = None, threshold: float | None = None, key_terms: bool = True
    ) -> None:
        super().__init__(threshold=threshold, key_terms=key_terms)
        self._embedder = embedder

    @property
    def embedder(self) -> Any:
        """The embedder (default: the shared :func:`~harness.models.embeddings.get_embedder`)."""
        if self._embedder is None:
            from harness.models.embeddings import get_embedder

            self._embedder = get_embedder()
        return self._embedder

    @property
    def description(self) -> dict[str, Any]:
        return {**super().description, "embedder": getattr(self.embedder, "name", None)}

    async def _vectors(self, groups: Sequence[Sequence[str]]) -> list[Any]:
        """Each group's rows of vectors, every distinct text embedded once in one call."""
        import numpy as np

        texts = list(dict.fromkeys(text for group in groups for text in group))
        vectors = np.asarray(await self.embedder.aembed(texts), dtype=np.float32)
        row = {text: i for i, text in enumerate(texts)}
        indices = [np.fromiter((row[t] for t in g), dtype=np.intp, count=len(g)) for g in groups]
        return [vectors, *indices]

    async def asimilarities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        import numpy as np

        if not pairs:
            return []
        vectors, left, right = await self._vectors([[a for a, _ in pairs], [b for _, b in pairs]])
        cosine = np.empty(len(pairs), dtype=np.float32)
        for start in range(0, len(pairs), _CHUNK):  # a final state's n x m pairs, in slices
            part = slice(start, start + _CHUNK)
            cosine[part] = np.einsum("ij,ij->i", vectors[left[part]], vectors[right[part]])
        return np.clip(cosine, -1.0, 1.0).tolist()

    async def ashortlist(self, golds: Sequence[str], predicted: Sequence[str]) -> Any:
        return await self.acosines(golds, predicted) >= self.threshold - _SHORTLIST_MARGIN

    async def acosines(self, golds: Sequence[str], predicted: Sequence[str]) -> Any:
        """The ``(len(golds), len(predicted))`` matrix of cosines, in one matrix product."""
        import numpy as np

        if not golds or not predicted:
            return np.zeros((len(golds), len(predicted)), dtype=np.float32)
        vectors, left, right = await self._vectors([golds, predicted])
        return vectors[left] @ vectors[right].T


def nearest_pairs(similarity: Any, n: int) -> Any:
    """Mark each row's ``n`` most similar columns and each column's ``n`` most similar rows (a
    boolean array shaped like ``similarity``; equal similarities: the earlier index first)."""
    import numpy as np

    marked = np.zeros(similarity.shape, dtype=bool)
    if similarity.size == 0 or n <= 0:
        return marked
    by_row = np.argsort(-similarity, axis=1, kind="stable")[:, :n]
    np.put_along_axis(marked, by_row, True, axis=1)
    by_column = np.argsort(-similarity, axis=0, kind="stable")[:n, :]
    np.put_along_axis(marked, by_column, True, axis=0)
    return marked
