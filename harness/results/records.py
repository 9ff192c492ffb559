"""Plain rows of the results database, one dataclass per table (fields in column order).

The runner builds them; :class:`~harness.results.db.ResultsStore` writes and reads them. Fields
named in ``JSON_FIELDS`` hold Python objects and are stored as JSON text.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar


@dataclass
class RunRecord:
    """One run: what was replayed, with which configuration, by which code."""

    TABLE: ClassVar[str] = "runs"
    JSON_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"selection", "parameters", "components", "package_versions", "metrics"}
    )

    run_id: str
    name: str | None
    status: str
    dataset_path: str
    dataset_name: str
    dataset_hash: str
    dataset_source_hash: str
    selection: dict[str, Any]
    n_cases: int
    repeats: int
    model: str
    template_name: str
    template_hash: str
    template_text: str
    instructions_hash: str
    matcher: str
    matcher_threshold: float | None
    state_mode: str
    parameters: dict[str, Any]
    components: dict[str, Any]
    harness_version: str
    git_revision: str | None
    python_version: str
    package_versions: dict[str, str]
    schema_version: int
    started_at: datetime
    finished_at: datetime | None = None
    error: str | None = None
    metrics: dict[str, Any] | None = None
    parent_run_id: str | None = None  # set by harness rejudge: the run whose answers it judged


@dataclass
class OpRow:
    """One gold or predicted op of one session and what became of it."""

    TABLE: ClassVar[str] = "ops"
    JSON_FIELDS: ClassVar[frozenset[str]] = frozenset({"source"})

    run_id: str
    case_id: str
    repeat: int
    session_index: int
    side: str
    op_index: int
    op: str
    memory_id: str | None
    ref: str | None
    kind: str | None
    content: str | None
    optional: bool
    outcome: str
    counted: bool
    partner_index: int | None
    partner_id: str | None
    similarity: float | None
    key_terms_ok: bool | None
    key_terms: str | None
    reason: str
    source: list[str] | None = None


@dataclass
class FinalRow:
    """One memory of the final state (gold or predicted) and its pairing."""

    TABLE: ClassVar[str] = "final_state"
    JSON_FIELDS: ClassVar[frozenset[str]] = frozenset()

    run_id: str
    case_id: str
    repeat: int
    side: str
    memory_id: str
    content: str
    outcome: str
    partner_id: str | None
    similarity: float | None
    reason: str | None


@dataclass
class QueryRow:
    """One retrieval query run in one search mode over one store state."""

    TABLE: ClassVar[str] = "queries"
    JSON_FIELDS: ClassVar[frozenset[str]] = frozenset({"relevant", "retrieved", "retrieved_refs"})

    run_id: str
    case_id: str
    repeat: int
    query_index: int
    query_id: str | None
    query: str
    state: str
    mode: str
    relevance: str
    relevant: list[str]
    n_relevant: int
    retrieved: list[str]
    retrieved_refs: list[str | None]
    recall_at_1: float
    recall_at_3: float
    recall_at_5: float
    recall_at_10: float
    mrr: float
    ndcg_at_1: float
    ndcg_at_3: float
    ndcg_at_5: float
    ndcg_at_10: float
    latency_s: float | None = None


@dataclass
class CallRow:
    """One model call made for a case (cache hits and failed calls included)."""

    TABLE: ClassVar[str] = "llm_calls"
    JSON_FIELDS: ClassVar[frozenset[str]] = frozenset()

    run_id: str
    case_id: str
    repeat: int
    session_index: int | None
    call_index: int
    model: str
    purpose: str
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    latency_s: float
    retries: int
    cached: bool
    error: str | None = None
    cache_key: str | None = None


@dataclass
class AnswerRow:
    """One question answered after the last session: context, answer, scores and verdict.

    ``context`` lists what the answer model was shown (``id``, ``text``, ``session_date``,
    ``speaker``, ``source``, ``score``); latencies are those of the operation alone (the store
    search, the answer call), never time spent waiting for a slot.
    """

    TABLE: ClassVar[str] = "answers"
    JSON_FIELDS: ClassVar[frozenset[str]] = frozenset({"retrieved", "context"})

    run_id: str
    case_id: str
    repeat: int
    query_index: int
    query_id: str | None
    question: str
    gold_answer: str | None
    category: str | None
    kind: str  # answer | adversarial | abstention
    question_date: str | None
    context_source: str  # memories | conversation | none
    search_mode: str | None
    retrieved: list[str]
    context: list[dict[str, Any]]
    context_tokens: int
    answer_model: str
    answer: str | None
    answer_error: str | None
    search_latency_s: float | None
    answer_latency_s: float | None
    f1: float | None
    bleu1: float | None
    em: float | None
    declined: bool | None
    judge_model: str | None = None
    judge_protocol: str | None = None
    verdict: str | None = None  # correct | wrong | error; None: not judged
    judge_reason: str | None = None
    judge_error: str | None = None


@dataclass
class CaseRecord:
    """One case x repeat, with every child row; written in one transaction."""

    TABLE: ClassVar[str] = "case_results"
    JSON_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"counts", "retrieval", "timings", "answer_counts"}
    )
    CHILDREN: ClassVar[tuple[str, ...]] = ("ops", "final_state", "queries", "calls", "answers")

    run_id: str
    case_id: str
    repeat: int
    split: str
    tags: list[str]
    case_hash: str
    status: str
    error_type: str | None
    error: str | None
    n_sessions: int
    latency_s: float
    input_tokens: int | None  # None: unknown (a system that calls its models itself)
    output_tokens: int | None
    cost_usd: float | None
    n_calls: int | None
    retries: int | None
    cached_calls: int | None
    counts: dict[str, int] | None
    retrieval: dict[str, float] | None
    timings: dict[str, float]
    finished_at: datetime
    ops: list[OpRow] = field(default_factory=list)
    final_state: list[FinalRow] = field(default_factory=list)
    queries: list[QueryRow] = field(default_factory=list)
    calls: list[CallRow] = field(default_factory=list)
    answer_counts: dict[str, float] | None = None
    answers: list[AnswerRow] = field(default_factory=list)


@dataclass(frozen=True)
class MetricRow:
    """One aggregate of a run with its bootstrap interval; ``n`` is the number of cases."""

    TABLE: ClassVar[str] = "run_metrics"
    JSON_FIELDS: ClassVar[frozenset[str]] = frozenset()

    run_id: str
    metric: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int


def columns(cls: type) -> list[str]:
    """The table columns of a record class (its fields minus child lists)."""
    children = set(getattr(cls, "CHILDREN", ()))
    return [f.name for f in fields(cls) if f.name not in children]
