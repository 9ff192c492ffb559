"""Retrieval for one case: every query, in every search mode, over two store states.

``end_to_end`` searches the namespace the run built; a query's relevant gold memories count as
found when the predicted memory matched with them (by content, in the final-state matching) is
retrieved. ``gold`` searches a namespace holding the gold final memories under their gold keys,
which isolates the retriever from extraction errors. Queries that mark evidence messages
instead of memories are scored by provenance in both states.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.data.models import Case, Query
from harness.memory.store.base import BaseStore, Item
from harness.results.records import QueryRow
from harness.scoring.catalogue import retrieval_key
from harness.scoring.retrieval import (
    RetrievalScore,
    map_relevant,
    score_provenance,
    score_ranking,
)


@dataclass(frozen=True)
class SearchSpace:
    """One store state to search: its namespace, memory provenance and id -> gold key map."""

    state: str  # end_to_end | gold
    namespace: tuple[str, ...]
    sources: Mapping[str, Sequence[str]]
    to_gold: Mapping[str, str]
    relevant_map: Mapping[str, str] | None  # gold key -> id in this space; None: identity


@dataclass(frozen=True)
class RowKey:
    run_id: str
    case_id: str
    repeat: int


def space_sources(items: Sequence[Item]) -> dict[str, list[str]]:
    return {item.key: list(item.value.get("source") or []) for item in items}


def _score(query: Query, ranked: list[str], space: SearchSpace) -> tuple[RetrievalScore, list]:
    if query.relevant:
        relevant = (
            list(query.relevant)
            if space.relevant_map is None
            else map_relevant(query.relevant, space.relevant_map)
        )
        return score_ranking(ranked, relevant), list(query.relevant)
    score = score_provenance(ranked, space.sources, query.relevant_messages)
    return score, list(query.relevant_messages)


async def _search(
    store: BaseStore,
    spaces: Sequence[SearchSpace],
    query: Query,
    modes: Sequence[str],
    top_k: int,
) -> list[dict[str, tuple[list[str], float]]]:
    """Per space, per mode: the retrieved keys and the seconds (queries shared by the spaces)."""
    found = await store.asearch_modes_each(
        [space.namespace for space in spaces], query=query.query, modes=modes, limit=top_k
    )
    return [
        {mode: ([item.key for item in items], took) for mode, (items, took) in by_mode.items()}
        for by_mode in found
    ]


async def run_queries(
    store: BaseStore,
    case: Case,
    spaces: Sequence[SearchSpace],
    *,
    modes: Sequence[str],
    top_k: int,
    key: RowKey,
) -> tuple[list[QueryRow], dict[str, float]]:
    """Rows for the ``queries`` table and the additive sums per state and mode."""
    scored = [(q, query) for q, query in enumerate(case.queries) if query.scored_for_retrieval]
    texts = [query.query for _, query in scored if query.query.strip()]
    if texts and {"vector", "hybrid"} & set(modes):
        await store.embedder.aembed(texts)  # in one batch; the searches below hit the cache
    found = await asyncio.gather(
        *(_search(store, spaces, query, modes, top_k) for _, query in scored)
    )
    plan = [(q, query, space) for q, query in scored for space in spaces]
    results = [by_mode for per_space in found for by_mode in per_space]
    rows: list[QueryRow] = []
    sums: dict[str, float] = {}
    for (q, query, space), by_mode in zip(plan, results, strict=True):
        for mode in modes:
            ranked, latency = by_mode[mode]
            result, relevant = _score(query, ranked, space)
            rows.append(_row(key, q, query, space, mode, ranked, relevant, result, latency))
            _add(sums, space.state, mode, result)
    return rows, sums


def _add(sums: dict[str, float], state: str, mode: str, result: RetrievalScore) -> None:
    queries = retrieval_key(state, mode, "queries")
    sums[queries] = sums.get(queries, 0.0) + 1
    for metric, value in result.as_row().items():
        name = retrieval_key(state, mode, metric)
        sums[name] = sums.get(name, 0.0) + value


def _row(
    key: RowKey,
    index: int,
    query: Query,
    space: SearchSpace,
    mode: str,
    ranked: list[str],
    relevant: list[str],
    result: RetrievalScore,
    latency: float,
) -> QueryRow:
    metrics: dict[str, Any] = result.as_row()
    return QueryRow(
        run_id=key.run_id,
        case_id=key.case_id,
        repeat=key.repeat,
        query_index=index,
        query_id=query.id,
        query=query.query,
        state=space.state,
        mode=mode,
        relevance="ids" if query.relevant else "messages",
        relevant=relevant,
        n_relevant=result.n_relevant,
        retrieved=ranked,
        retrieved_refs=[space.to_gold.get(memory_id) for memory_id in ranked],
        recall_at_1=metrics["recall@1"],
        recall_at_3=metrics["recall@3"],
        recall_at_5=metrics["recall@5"],
        recall_at_10=metrics["recall@10"],
        mrr=metrics["mrr"],
        ndcg_at_1=metrics["ndcg@1"],
        ndcg_at_3=metrics["ndcg@3"],
        ndcg_at_5=metrics["ndcg@5"],
        ndcg_at_10=metrics["ndcg@10"],
        latency_s=latency,
    )
