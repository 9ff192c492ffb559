"""What a dataset holds, as plain numbers (the ``harness datasets stats`` command prints these)."""

from __future__ import annotations

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
    queries: int
    queries_by_message: int = Field(description="Queries with relevance given by message ids.")
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


def dataset_stats(dataset: Dataset) -> DatasetStats:
    ops: Counter[str] = Counter({"insert": 0, "update": 0, "delete": 0})
    tags: Counter[str] = Counter()
    schemas: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for case in dataset.cases:
        tags.update(case.tags)
        schemas[case.schema_] += 1
        counts["sessions"] += len(case.sessions)
        counts["existing"] += len(case.existing)
        counts["queries"] += len(case.queries)
        counts["queries_by_message"] += sum(bool(q.relevant_messages) for q in case.queries)
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
        queries=counts["queries"],
        queries_by_message=counts["queries_by_message"],
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
