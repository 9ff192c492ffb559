"""What a dataset holds, as plain numbers (the ``harness datasets stats`` command prints these)."""

from __future__ import annotations

import statistics
from collections import Counter

from pydantic import BaseModel, Field

from harness.data.load import Dataset
from harness.data.pairs import PairSet, key_terms_accept


class DatasetStats(BaseModel):
    """Counts over a case file.

    ``nothing_to_store_sessions`` are complete (non-partial) sessions whose ``expected`` is empty:
    there any predicted op is a false positive. A partial session with no labels says nothing.
    """

    path: str
    content_hash: str
    cases: int
    sessions: int
    messages: int
    existing_memories: int
    ops: dict[str, int]
    optional_ops: int
    ops_with_key_terms: int
    partial_sessions: int
    nothing_to_store_sessions: int
    cases_with_3plus_sessions: int
    turns_per_case: dict[str, float] = Field(
        description="Messages per case over all sessions: min, median, mean, max."
    )
    cases_by_turns: dict[str, int] = Field(description="Cases per band of messages per case.")
    languages: dict[str, int] = Field(
        description="Cases per language tag (lang-xx); cases without one count as 'untagged'."
    )
    queries: int
    queries_by_message: int = Field(
        description="Queries with relevance given by evidence messages or sessions."
    )
    query_categories: dict[str, int] = Field(
        description="Queries per category (question type); queries without one are not counted."
    )
    cases_with_queries: int
    cases_with_queries_pct: float
    tags: dict[str, int]
    schemas: dict[str, int]
    splits: dict[str, int]


class PairStats(BaseModel):
    """Counts over a matcher-pair file."""

    path: str
    content_hash: str
    pairs: int
    same: int
    different: int
    with_key_terms: int
    same_rejected_by_key_terms: int = Field(
        description="Pairs labeled same whose b fails a's key terms: misses a key-term matcher "
        "cannot avoid."
    )
    different_caught_by_key_terms: int = Field(
        description="Pairs labeled different whose b fails a's key terms."
    )
    tags: dict[str, int]


TURN_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("1-4", 1, 4),
    ("5-19", 5, 19),
    ("20-80", 20, 80),
    ("81+", 81, None),
)
"""Bands of messages per case that ``stats`` counts (0 messages: band "0")."""
LANGUAGE_TAG = "lang-"


def _turns(per_case: list[int]) -> tuple[dict[str, float], dict[str, int]]:
    if not per_case:
        return {}, {}
    summary = {
        "min": float(min(per_case)),
        "median": float(statistics.median(per_case)),
        "mean": round(statistics.fmean(per_case), 1),
        "max": float(max(per_case)),
    }
    bands = {"0": sum(n == 0 for n in per_case)} if 0 in per_case else {}
    for name, low, high in TURN_BANDS:
        bands[name] = sum(n >= low and (high is None or n <= high) for n in per_case)
    return summary, bands


def _languages(tag_lists: list[list[str]]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for tags in tag_lists:
        found = sorted({t[len(LANGUAGE_TAG) :] for t in tags if t.startswith(LANGUAGE_TAG)})
        counts.update(found or ["untagged"])
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def dataset_stats(dataset: Dataset) -> DatasetStats:
    ops: Counter[str] = Counter({"insert": 0, "update": 0, "delete": 0})
    tags: Counter[str] = Counter()
    schemas: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    for case in dataset.cases:
        categories.update(q.category for q in case.queries if q.category)
        tags.update(case.tags)
        schemas[case.schema_] += 1
        counts["sessions"] += len(case.sessions)
        counts["existing"] += len(case.existing)
        counts["queries"] += len(case.queries)
        counts["queries_by_message"] += sum(
            bool(q.relevant_messages or q.relevant_sessions) for q in case.queries
        )
        counts["with_queries"] += bool(case.queries)
        counts["3plus"] += len(case.sessions) >= 3
        for session in case.sessions:
            counts["messages"] += len(session.messages)
            counts["partial"] += session.partial
            counts["nothing"] += not session.partial and not session.expected
            for op in session.expected:
                ops[op.op] += 1
                counts["optional"] += op.optional
                counts["key_terms"] += bool(op.require or op.forbid)
    total = len(dataset.cases)
    turns, bands = _turns([sum(len(s.messages) for s in case.sessions) for case in dataset.cases])
    return DatasetStats(
        path=str(dataset.path),
        content_hash=dataset.content_hash,
        cases=total,
        sessions=counts["sessions"],
        messages=counts["messages"],
        existing_memories=counts["existing"],
        ops=dict(ops),
        optional_ops=counts["optional"],
        ops_with_key_terms=counts["key_terms"],
        partial_sessions=counts["partial"],
        nothing_to_store_sessions=counts["nothing"],
        cases_with_3plus_sessions=counts["3plus"],
        turns_per_case=turns,
        cases_by_turns=bands,
        languages=_languages([list(case.tags) for case in dataset.cases]),
        queries=counts["queries"],
        queries_by_message=counts["queries_by_message"],
        query_categories=dict(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))),
        cases_with_queries=counts["with_queries"],
        cases_with_queries_pct=round(100 * counts["with_queries"] / total, 1) if total else 0.0,
        tags=dict(sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))),
        schemas=dict(sorted(schemas.items())),
        splits=dataset.split_counts(),
    )


def pair_stats(pairs: PairSet) -> PairStats:
    tags: Counter[str] = Counter()
    for pair in pairs:
        tags.update(pair.tags)
    same = sum(pair.same for pair in pairs)
    return PairStats(
        path=str(pairs.path),
        content_hash=pairs.content_hash,
        pairs=len(pairs),
        same=same,
        different=len(pairs) - same,
        with_key_terms=sum(bool(pair.require or pair.forbid) for pair in pairs),
        same_rejected_by_key_terms=sum(pair.same and not key_terms_accept(pair) for pair in pairs),
        different_caught_by_key_terms=sum(
            not pair.same and not key_terms_accept(pair) for pair in pairs
        ),
        tags=dict(sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))),
    )
