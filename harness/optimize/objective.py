"""The objective, per case and over a set of cases, from the scorer's additive counts (pure).

Over a set of cases the objective is the micro-averaged metric of
:data:`harness.scoring.EXTRACTION_METRICS` over the summed counts, exactly as
:func:`harness.scoring.aggregate` computes it. Per case (what the Pareto front and the minibatch
screen compare) it is the same formula over that case's own counts: a case's F1 over its ops, or
the share of its sessions that were exactly right.

Answer objectives (``qa_f1``, ``qa_j``, ``qa_bleu1``, ``qa_em``) work the same way over the
answer stage's additive columns (:mod:`harness.scoring.answer_metrics`), which the evaluation
adds to each case's counts: per case, the F1 or judge accuracy of its ordinary questions.

Two edge cases are decided here. A case that gives the formula nothing to score (no gold op and
nothing predicted) scores 1.0: nothing was asked and nothing went wrong. A case that ended in an
error scores 0.0, and inside set-level metrics it counts as if every required gold op had been
missed and every question it should have answered were answered wrong (:func:`error_counts`),
so a template that makes the model fail cannot look good by having its failures dropped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from harness.data.models import Case
from harness.scoring.answer_metrics import answer_formulas, question_kind
from harness.scoring.gold import gold_states
from harness.scoring.metrics import COUNT_COLUMNS, EXTRACTION_METRICS, summed_counts

Counts = Mapping[str, float]

ANSWER_OBJECTIVES: tuple[str, ...] = ("qa_f1", "qa_j", "qa_bleu1", "qa_em")
"""Objectives computed from the answer stage (the run options must name an answer model;
``qa_j`` a judge too)."""


def case_score(counts: Counts | None, metric: str) -> float:
    """The objective on one case; ``None`` counts (an errored case) score 0.0."""
    if counts is None:
        return 0.0
    value = _formula(metric)(_full(counts))
    return 1.0 if value is None or math.isnan(value) else float(value)


def set_score(rows: Iterable[Counts], metric: str) -> float | None:
    """The objective over cases (micro-averaged); ``None`` when there are no cases."""
    rows = list(rows)
    if not rows:
        return None
    value = _formula(metric)(_Zeros(_summed(rows)))
    return 1.0 if value is None or math.isnan(value) else float(value)


def error_counts(case: Case) -> dict[str, float]:
    """Counts for a case that produced nothing usable: every required gold op missed."""
    counts: dict[str, float] = dict.fromkeys(COUNT_COLUMNS, 0)
    for session in case.sessions:
        required = [op for op in session.expected if not op.optional]
        for op in required:
            counts[f"{op.op}_fn"] += 1
            counts["missed"] += 1
        counts["sessions"] += 1
        counts["empty_sessions"] += int(not session.expected and not session.partial)
    counts["final_fn"] = len(gold_states(case)[-1].required)
    counts.update(_unanswered(case))
    return counts


def _unanswered(case: Case) -> dict[str, int]:
    """Answer columns of a case whose ordinary questions were all answered wrong."""
    source = case.metadata.get("source")
    asked = [
        q
        for q in case.queries
        if q.answer is not None and question_kind(source, q.category, q.abstention) == "answer"
    ]
    if not asked:
        return {}
    return {"qa_n": len(asked), "qa_judged": len(asked), "qa_correct": 0, "qa_f1_sum": 0}


def _formula(metric: str):
    formula = EXTRACTION_METRICS.get(metric) or answer_formulas().get(metric)
    if formula is None or (metric.startswith("qa_") and metric not in ANSWER_OBJECTIVES):
        raise ValueError(f"unknown metric {metric!r}")
    return formula


def _summed(rows: list[Counts]) -> dict[str, float]:
    totals: dict[str, float] = dict(summed_counts([]))
    for row in rows:
        for key, value in row.items():
            totals[key] = totals.get(key, 0) + value
    return totals


class _Zeros(dict):
    """Counts where a column the case never wrote (no question, no op type) reads as 0."""

    def __missing__(self, key: str) -> float:
        return 0


def _full(counts: Counts) -> dict[str, float]:
    return _Zeros({**dict.fromkeys(COUNT_COLUMNS, 0), **counts})
