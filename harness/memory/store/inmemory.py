"""A store that lives in process memory: a :class:`LanceStore` on LanceDB's in-memory storage.

Useful for quick experiments and tests. Being a LanceStore on a ``memory://`` connection (private
to the store, no folder, nothing persisted), it has the same API, semantics and rankings as a
store on disk: vector search, LanceDB's full-text index (BM25) and their fusion, so a search
ranks the same in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import lancedb

from harness.memory.store.lance import Bm25Scope, LanceStore

if TYPE_CHECKING:  # pragma: no cover
    from harness.models.embeddings import Embedder


class InMemoryStore(LanceStore):
    """Every version of every item in process memory; thread- and task-safe."""

    def __init__(
        self,
        *,
        embedder: Embedder | str | None = None,
        index_fields: Sequence[str] | None = None,
        bm25_scope: Bm25Scope = "table",
    ) -> None:
        super().__init__(
            connection=lancedb.connect("memory://"),
            embedder=embedder,
            index_fields=index_fields,
            compact_every=10,
            exclusive=True,
            bm25_scope=bm25_scope,
        )
