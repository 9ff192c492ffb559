"""The objective, per case and over a set of cases, from the scorer's additive counts (pure).

Over a set of cases the objective is the micro-averaged metric of
:data:`harness.scoring.EXTRACTION_METRICS` over the summed counts, exactly as
:func:`harness.scoring.aggregate` computes it. Per case (what the Pareto front and the minibatch
screen compare) it is the same formula over that case's own counts: a case's F1 over its ops, or
the share of its sessions that were exactly right.

Two edge cases are decided here. A case that gives the formula nothing to score (no gold op and
nothing predicted) scores 1.0: nothing was asked and nothing went wrong. A case that ended in an
error scores 0.0, and inside set-level metrics it counts as if every required gold op had been
missed (:func:`error_counts`), so a template that makes the model fail cannot look good by
having its failures dropped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from harness.data.models import Case
from harness.scoring.metrics import COUNT_COLUMNS, EXTRACTION_METRICS, summed_counts

Counts = Mapping[str, int]


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
    value = _formula(metric)(summed_counts(rows))
    return 1.0 if value is None or math.isnan(value) else float(value)


def error_counts(case: Case) -> dict[str, int]:
    """Counts for a case that produced nothing usable: every required gold op missed."""
    from harness.scoring.gold import gold_states

    counts = dict.fromkeys(COUNT_COLUMNS, 0)
    for session in case.sessions:
        required = [op for op in session.expected if not op.optional]
        for op in required:
            counts[f"{op.op}_fn"] += 1
            counts["missed"] += 1
        counts["sessions"] += 1
        counts["empty_sessions"] += int(not session.expected and not session.partial)
    counts["final_fn"] = len(gold_states(case)[-1].required)
    return counts


def _formula(metric: str):
    try:
        return EXTRACTION_METRICS[metric]
    except KeyError:
        raise ValueError(f"unknown metric {metric!r}") from None


def _full(counts: Counts) -> dict[str, int]:
    return {**dict.fromkeys(COUNT_COLUMNS, 0), **counts}
