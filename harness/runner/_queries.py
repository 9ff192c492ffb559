"""Retrieval for one case: every query, in every search mode, over two store states.

``end_to_end`` searches the namespace the run built; a query's relevant gold memories count as
found when the predicted memory matched with them (by content, in the final-state matching) is
retrieved. ``gold`` searches a namespace holding the gold final memories under their gold keys,
which isolates the retriever from extraction errors. Queries that mark evidence messages or
sessions instead of memories are scored by provenance in both states, and also at
LongMemEval's turn and session levels; such a case also counts the memories of the end-to-end
store that cite no message (``unsourced``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from harness.data.models import Case, Query
from harness.memory.store.base import BaseStore, Item
from harness.results.records import QueryRow
from harness.scoring.catalogue import retrieval_key
from harness.scoring.retrieval import (
    Provenance,
    RetrievalScore,
    level_row,
    map_relevant,
    score_levels,
    score_provenance,
    score_ranking,
    unsourced_counts,
)


@dataclass(frozen=True)
class SearchSpace:
    """One store state to search: its namespace, memory provenance and id -> gold key map."""

    state: str  # end_to_end | gold
    namespace: tuple[str, ...]
    sources: Mapping[str, Collection[str]]
    to_gold: Mapping[str, str]
    relevant_map: Mapping[str, str] | None  # gold key -> id in this space; None: identity


@dataclass(frozen=True)
class RowKey:
    run_id: str
    case_id: str
    repeat: int


def space_sources(items: Sequence[Item]) -> dict[str, list[str]]:
    return {item.key: list(item.value.get("source") or []) for item in items}


def session_index(case: Case) -> dict[str, str]:
    """Message id -> the id of its session (``#<index>`` for a session without an id)."""
    return {
        message.id: session.id or f"#{index}"
        for index, session in enumerate(case.sessions)
        for message in session.messages
    }


def provenance_evidence(case: Case, query: Query) -> list[str]:
    """The evidence messages of the rank metrics: the marked turns, and every turn of an
    evidence session in which no turn is marked (the session stands for its turns)."""
    marked = set(query.relevant_messages)
    evidence = list(query.relevant_messages)
    wanted = set(query.relevant_sessions)
    for session in case.sessions:
        if session.id in wanted and not any(m.id in marked for m in session.messages):
            evidence.extend(m.id for m in session.messages)
    return list(dict.fromkeys(evidence))


def _score(
    case: Case, query: Query, ranked: list[str], space: SearchSpace, sessions: Mapping[str, str]
) -> tuple[RetrievalScore, list, dict[str, RetrievalScore]]:
    if query.relevant:
        relevant = (
            list(query.relevant)
            if space.relevant_map is None
            else map_relevant(query.relevant, space.relevant_map)
        )
        return score_ranking(ranked, relevant), list(query.relevant), {}
    evidence = provenance_evidence(case, query)
    score = score_provenance(ranked, space.sources, evidence)
    levels = score_levels(
        ranked, space.sources, query.relevant_messages, query.relevant_sessions, sessions
    )
    return score, evidence, levels


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
    found = await store.asearch_modes_many(  # one embedding batch, one vector search
        [space.namespace for space in spaces],
        queries=[query.query for _, query in scored],
        modes=modes,
        limit=top_k,
    )
    plan = [(q, query, space) for q, query in scored for space in spaces]
    results = [
        {mode: ([item.key for item in items], took) for mode, (items, took) in by_mode.items()}
        for per_space in found
        for by_mode in per_space
    ]
    rows: list[QueryRow] = []
    sums: dict[str, float] = {}
    sessions = session_index(case)
    indexed = {id(space): Provenance(space.sources) for space in spaces}  # once per store state
    plan = [(q, query, replace(space, sources=indexed[id(space)])) for q, query, space in plan]
    for (q, query, space), by_mode in zip(plan, results, strict=True):
        for mode in modes:
            ranked, latency = by_mode[mode]
            result, relevant, levels = _score(case, query, ranked, space, sessions)
            rows.append(_row(key, q, query, space, mode, ranked, relevant, result, latency))
            _add(sums, space.state, mode, "queries", result.as_row())
            for level, score in levels.items():
                _add(sums, space.state, mode, f"{level}_queries", level_row(score, level))
    by_provenance = any(not query.relevant for _, query in scored)
    own = next((space for space in spaces if space.state == "end_to_end"), None)
    if by_provenance and own is not None:
        sums.update(unsourced_counts(own.sources))
    return rows, sums


def _add(
    sums: dict[str, float], state: str, mode: str, counter: str, values: Mapping[str, float]
) -> None:
    queries = retrieval_key(state, mode, counter)
    sums[queries] = sums.get(queries, 0.0) + 1
    for metric, value in values.items():
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
