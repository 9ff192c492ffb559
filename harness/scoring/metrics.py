"""Scoring whole cases, and the extraction metrics over many cases.

Every metric is a ratio of counts summed over cases (micro-averaging), so the same formula gives
the point estimate and, over resampled sums, its bootstrap interval (:mod:`harness.scoring.stats`).

Empty denominators: a ratio whose denominator is zero is ``None`` (NaN inside arrays), never 1.0
or 0.0: precision with no predictions, recall with no gold ops, the false-positive rate without
nothing-to-store sessions. F1 is ``2TP / (2TP + FP + FN)``, the harmonic mean of precision and
recall whenever both exist; it is ``None`` only when there is nothing at all to score, and 0.0
when nothing was predicted but something was expected.

Partially labeled sessions (imported benchmarks) say nothing about false positives: their
unmatched predictions are counted apart as ``<op>_unlabeled``. So precision, F1 and exact-session
accuracy are computed over fully labeled sessions only (the ``*_labeled`` counts and
``labeled_sessions``) and are ``None`` on data that has none; recall uses every session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from harness._async import run_sync
from harness.data.models import Case
from harness.memory.schemas import MemoryOperation
from harness.scoring.final_state import (
    Candidates,
    FinalStateScore,
    PredictedMemories,
    afinal_candidates,
    final_state_pairs,
    match_final_state,
    predicted_texts,
)
from harness.scoring.gold import GoldState, gold_states
from harness.scoring.matchers import Matcher, PairItem
from harness.scoring.ops import JudgementTable, match_session, session_pairs
from harness.scoring.outcomes import CONFUSIONS, OP_TYPES, SessionScore
from harness.scoring.stats import bootstrap

COUNT_COLUMNS: tuple[str, ...] = (
    *(f"{t}_{k}" for t in OP_TYPES for k in ("tp", "fp", "fn")),
    "sessions",
    "exact_sessions",
    "empty_sessions",
    "empty_sessions_fp",
    "final_tp",
    "final_fp",
    "final_fn",
    *CONFUSIONS,
)
"""The additive per-case counts every extraction metric is computed from."""

StateMode = Literal["predicted", "gold"]
"""How sessions were replayed: from the system's own store, or from the gold state each time."""

LABELED_COLUMNS: tuple[str, ...] = (
    *(f"{t}_{k}" for t in OP_TYPES for k in ("tp_labeled", "fn_labeled", "unlabeled")),
    "labeled_sessions",
)
"""Counts that keep partially labeled sessions apart (``<op>_unlabeled``: predictions there that
match no label). Rows recorded before they existed lack them; the formulas then fall back to
the plain counts, which is what those rows meant."""


@dataclass
class CaseScore:
    """One case scored: its sessions, final state, id maps and summed counts.

    ``id_map`` maps gold keys to predicted ids as the op matching established them (existing
    ids to themselves, matched insert refs to the predicted insert); ``final_map`` maps gold
    final memories to the predicted memories matched with them by content, which is what
    end-to-end retrieval should treat as relevant (see :func:`~harness.scoring.retrieval
    .map_relevant`).
    """

    case_id: str
    sessions: list[SessionScore]
    final: FinalStateScore
    id_map: dict[str, str]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def final_map(self) -> dict[str, str]:
        return self.final.mapping


def _case_pairs(
    case: Case,
    predicted: Sequence[Sequence[MemoryOperation]],
    final,
    candidates: Candidates | None = None,
    gold_final: GoldState | None = None,
) -> list:
    pairs: list[PairItem] = []
    for session, ops in zip(case.sessions, predicted, strict=True):
        pairs.extend(session_pairs(session.expected, ops))
    gold_final = gold_states(case)[-1] if gold_final is None else gold_final
    pairs.extend(final_state_pairs(gold_final, final, candidates))
    return list(dict.fromkeys(pairs))


def _check_lengths(case: Case, predicted: Sequence[Sequence[MemoryOperation]]) -> None:
    if len(predicted) != len(case.sessions):
        raise ValueError(
            f"case {case.id!r}: {len(predicted)} lists of predicted ops for "
            f"{len(case.sessions)} sessions"
        )


def match_case(
    case: Case,
    predicted_ops_per_session: Sequence[Sequence[MemoryOperation]],
    final_state: PredictedMemories,
    judge,
    *,
    candidates: Candidates | None = None,
    state_mode: StateMode = "predicted",
) -> CaseScore:
    """Score a case with every verdict coming from ``judge`` (pure; ``candidates``: the final
    state's shortlisted pairs, see :func:`~harness.scoring.final_state.match_final_state`).

    ``state_mode``: ``predicted`` chains the sessions, so a gold ref maps to the predicted
    insert matched with it; ``gold`` matches each session on its own against the gold keys
    the store held before it (the runner resets the store to the gold state), each mapping to
    itself."""
    _check_lengths(case, predicted_ops_per_session)
    states = gold_states(case)
    id_map = {memory.id: memory.id for memory in case.existing}
    sessions = []
    for s, (session, ops) in enumerate(zip(case.sessions, predicted_ops_per_session, strict=True)):
        before = {key: key for key in states[s].memories} if state_mode == "gold" else id_map
        score = match_session(
            session.expected, ops, before, judge, partial=session.partial, session=s
        )
        id_map = score.id_map
        sessions.append(score)
    partial = any(session.partial for session in case.sessions)
    final = match_final_state(
        states[-1], final_state, judge, partial=partial, candidates=candidates
    )
    return CaseScore(case.id, sessions, final, id_map, case_counts(sessions, final))


def case_counts(sessions: Sequence[SessionScore], final: FinalStateScore) -> dict[str, int]:
    """The additive :data:`COUNT_COLUMNS` of one case from its scored sessions and final state.

    Exact sessions are counted among fully labeled sessions only: a partial session cannot be
    known to be exact."""
    counts = dict.fromkeys((*COUNT_COLUMNS, *LABELED_COLUMNS), 0)
    for score in sessions:
        for key, value in score.counts.items():
            counts[key] += value
        counts["sessions"] += 1
        if not score.partial:
            counts["labeled_sessions"] += 1
            counts["exact_sessions"] += score.exact
        counts["empty_sessions"] += score.nothing_expected
        counts["empty_sessions_fp"] += score.false_positive
    counts.update(final_tp=final.tp, final_fp=final.fp, final_fn=final.fn)
    return counts


async def ascore_case(
    case: Case,
    predicted_ops_per_session: Sequence[Sequence[MemoryOperation]],
    final_state: PredictedMemories,
    matcher: Matcher,
    *,
    state_mode: StateMode = "predicted",
) -> CaseScore:
    """Judge every pair the case needs in one batch (the final state's shortlisted by the
    matcher), then :func:`match_case`.

    ``predicted_ops_per_session[i]`` holds the ops the system reported for session ``i`` (``none``
    ops are ignored); ``final_state`` the memories in its store after the last session.
    """
    _check_lengths(case, predicted_ops_per_session)
    final = predicted_texts(final_state)
    gold_final = gold_states(case)[-1]
    candidates = await afinal_candidates(matcher, gold_final, final)
    table = await JudgementTable.abuild(
        matcher, _case_pairs(case, predicted_ops_per_session, final, candidates, gold_final)
    )
    return match_case(
        case,
        predicted_ops_per_session,
        final,
        table,
        candidates=candidates,
        state_mode=state_mode,
    )


def score_case(
    case: Case,
    predicted_ops_per_session: Sequence[Sequence[MemoryOperation]],
    final_state: PredictedMemories,
    matcher: Matcher,
) -> CaseScore:
    return run_sync(ascore_case(case, predicted_ops_per_session, final_state, matcher))


# --- metric formulas over summed counts ----------------------------------------------------------


def ratio(numerator: Any, denominator: Any) -> Any:
    """``numerator / denominator`` with NaN for a zero denominator (scalars or numpy arrays)."""
    import numpy as np

    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return out if out.ndim else float(out)


def _col(name: str, fallback: str | None = None):
    """A count column; rows written before it existed fall back to ``fallback``."""

    def column(c: Mapping[str, Any]) -> Any:
        if name in c or fallback is None:
            return c[name]
        return c[fallback]

    return column


def _micro(kind: str, fallback: str | None = None):
    def column(c: Mapping[str, Any]) -> Any:
        return sum(_col(f"{t}_{kind}", fallback and f"{t}_{fallback}")(c) for t in OP_TYPES)

    return column


def _prf_from(prefix: str, tp, fp, fn, ltp, lfn) -> dict[str, Any]:
    """Precision and F1 over labeled sessions (``ltp``/``lfn``), recall over all."""
    return {
        f"{prefix}precision": lambda c: ratio(ltp(c), ltp(c) + fp(c)),
        f"{prefix}recall": lambda c: ratio(tp(c), tp(c) + fn(c)),
        f"{prefix}f1": lambda c: ratio(2 * ltp(c), 2 * ltp(c) + fp(c) + lfn(c)),
    }


def _op_metrics(t: str) -> dict[str, Any]:
    tp, fn = _col(f"{t}_tp"), _col(f"{t}_fn")
    ltp, lfn = _col(f"{t}_tp_labeled", f"{t}_tp"), _col(f"{t}_fn_labeled", f"{t}_fn")
    return _prf_from(f"{t}_", tp, _col(f"{t}_fp"), fn, ltp, lfn)


def _final_metrics() -> dict[str, Any]:
    tp, fp, fn = _col("final_tp"), _col("final_fp"), _col("final_fn")
    return _prf_from("final_", tp, fp, fn, tp, fn)


EXTRACTION_METRICS: dict[str, Any] = {
    **{name: formula for t in OP_TYPES for name, formula in _op_metrics(t).items()},
    **_prf_from(
        "micro_",
        _micro("tp"),
        _micro("fp"),
        _micro("fn"),
        _micro("tp_labeled", "tp"),
        _micro("fn_labeled", "fn"),
    ),
    "exact_session_accuracy": lambda c: ratio(
        c["exact_sessions"], _col("labeled_sessions", "sessions")(c)
    ),
    "nothing_to_store_fpr": lambda c: ratio(c["empty_sessions_fp"], c["empty_sessions"]),
    **_final_metrics(),
}
"""Metric name -> formula over a mapping of summed count columns (floats or numpy arrays)."""


class Metrics(BaseModel):
    """Extraction metrics over a set of cases (micro-averaged; ``None`` = empty denominator).

    ``values`` holds every metric of :data:`EXTRACTION_METRICS`; ``intervals`` the bootstrap
    interval of each (``None`` where undefined); ``counts`` the summed counts, confusion classes
    included.
    """

    model_config = ConfigDict(extra="forbid")

    n_cases: int
    values: dict[str, float | None]
    counts: dict[str, int]
    intervals: dict[str, tuple[float, float] | None] = {}
    confidence: float | None = None

    def __getitem__(self, name: str) -> float | None:
        return self.values[name]

    @property
    def confusions(self) -> dict[str, int]:
        return {name: self.counts[name] for name in CONFUSIONS}


def summed_counts(rows: Sequence[Mapping[str, int]]) -> dict[str, int]:
    totals = dict.fromkeys(COUNT_COLUMNS, 0)
    for row in rows:
        for key, value in row.items():
            totals[key] = totals.get(key, 0) + value
    return totals


def _point(value: Any) -> float | None:
    import math

    return None if value is None or math.isnan(value) else float(value)


def aggregate(
    case_scores: Sequence[CaseScore],
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Metrics:
    """Micro-averaged metrics over cases, each with a case-level bootstrap interval.

    ``n_resamples=0`` skips the intervals.
    """
    rows = [score.counts for score in case_scores]
    totals = summed_counts(rows)
    values = {name: _point(formula(totals)) for name, formula in EXTRACTION_METRICS.items()}
    intervals: dict[str, tuple[float, float] | None] = {}
    if n_resamples and rows:
        estimates = bootstrap(
            rows, EXTRACTION_METRICS, n_resamples=n_resamples, seed=seed, confidence=confidence
        )
        intervals = {name: estimate.interval for name, estimate in estimates.items()}
    return Metrics(
        n_cases=len(rows),
        values=values,
        counts=totals,
        intervals=intervals,
        confidence=confidence if intervals else None,
    )
