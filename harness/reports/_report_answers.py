"""The report's answer section, loaded from the results database: per-category figures as stored
by the run (with their intervals), a question drill-down, and the published LoCoMo figures
when a run replayed LoCoMo conversations. Nothing is computed here but the order of rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from harness.reports._report_data import Cell, RunSummary
from harness.results.records import AnswerRow
from harness.scoring.answer_metrics import CATEGORY_METRICS
from harness.scoring.published import LOCOMO_J, PublishedFigures

MAX_QUESTIONS = 60
"""Questions per run in the drill-down (judge errors, then wrong answers, then lowest F1)."""

FAMILY_METRICS: tuple[str, ...] = (
    "qa_adversarial_j",
    "qa_adversarial_declined",
    "qa_abstention_j",
    "qa_abstention_declined",
    "qa_judge_error_rate",
    "qa_answer_error_rate",
    "context_tokens_mean",
)
LATENCY_METRICS: tuple[str, ...] = (
    "search_latency_p50",
    "search_latency_p95",
    "answer_latency_p50",
    "answer_latency_p95",
)


@dataclass
class RunAnswers:
    """One run's answer figures and the questions its drill-down shows."""

    run: RunSummary
    answer_model: str | None
    judge_model: str | None
    judge_protocol: str | None
    overall: dict[str, Cell]
    categories: list[tuple[str, dict[str, Cell]]]
    families: dict[str, Cell]
    latencies: dict[str, Cell]
    questions: list[AnswerRow]
    n_questions: int
    locomo: bool = False


@dataclass
class AnswersView:
    runs: list[RunAnswers] = field(default_factory=list)
    published: PublishedFigures | None = None
    metrics: tuple[str, ...] = CATEGORY_METRICS
    max_questions: int = MAX_QUESTIONS


def _categories(
    metrics: dict[str, Cell], rows: Sequence[AnswerRow]
) -> list[tuple[str, dict[str, Cell]]]:
    """Per category, each metric's cell with the questions it stands on (ordinary questions of
    the category, counted over the recorded answers), so small samples can be flagged."""
    names = sorted({m[len("qa_j[") : -1] for m in metrics if m.startswith("qa_j[")})
    asked = Counter(row.category for row in rows if row.kind == "answer")
    return [
        (
            name,
            {
                m: replace(metrics.get(f"{m}[{name}]", Cell(None)), questions=asked[name])
                for m in CATEGORY_METRICS
            },
        )
        for name in names
    ]


def _worst_first(row: AnswerRow) -> tuple[int, float]:
    rank = {"error": 0, "wrong": 1}.get(row.verdict or "", 2)
    if row.answer is None:
        rank = 0
    return rank, row.f1 if row.f1 is not None else 1.0


def _locomo(store: Any, run_id: str) -> bool:
    rows = store.query(
        "SELECT count(*) AS n FROM case_results WHERE run_id = ? AND list_contains(tags, 'locomo')",
        [run_id],
    )
    return bool(rows and rows[0]["n"])


def load_answers(store: Any, runs: Sequence[RunSummary], *, max_questions: int = MAX_QUESTIONS):
    """The answer section of the report (empty when no run answered questions)."""
    view = AnswersView(max_questions=max_questions)
    for summary in runs:
        rows = store.answers(summary.run_id)
        if not rows:
            continue
        parameters = summary.record.parameters or {}
        chosen = sorted(rows, key=_worst_first)[:max_questions]
        metrics = summary.metrics
        view.runs.append(
            RunAnswers(
                run=summary,
                answer_model=parameters.get("answer_model"),
                judge_model=parameters.get("judge_model"),
                judge_protocol=next((r.judge_protocol for r in rows if r.judge_protocol), None),
                overall={m: metrics.get(m, Cell(None)) for m in CATEGORY_METRICS},
                categories=_categories(metrics, rows),
                families={m: metrics.get(m, Cell(None)) for m in FAMILY_METRICS},
                latencies={m: metrics.get(m, Cell(None)) for m in LATENCY_METRICS},
                questions=chosen,
                n_questions=len(rows),
                locomo=_locomo(store, summary.run_id),
            )
        )
    if any(run.locomo for run in view.runs):
        view.published = LOCOMO_J
    return view
