"""The CI gate: fail a job when memory quality is below a floor or regressed against a baseline.

Three kinds of check, each passing, failing or skipped (a metric undefined on the cases):

- **floor** ``metric >= value`` and **ceiling** ``metric <= value`` on the candidate run;
- **regression** against a baseline (a stored run, or a baseline file exported with
  :func:`export_baseline`), on the cases both share: the check fails only when the metric got
  worse by more than its tolerance *and*, unless ``require_significance`` is off, the drop is
  statistically credible. Rule ``p`` (default): the paired permutation p-value is below
  ``alpha``. Rule ``ci``: the whole paired bootstrap interval lies beyond the tolerance (stricter:
  it asks that the drop is credibly *larger than the tolerance*, not merely non-zero).

"Worse" follows the metric's direction: a rise of ``error_rate`` or ``nothing_to_store_fpr`` is a
drop in quality. Data problems (an unknown or unfinished run, no shared cases, a bad baseline
file) raise :class:`~harness.errors.ConfigurationError`; the CLI exits 2 on them, 1 on a failed
check, 0 otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.errors import ConfigurationError
from harness.reports._baseline import (
    BaselineFile,
    baseline_case_data,
    baseline_data,
    read_baseline,
    write_baseline,
)
from harness.reports._casedata import CaseData, load_case_data, overlap
from harness.reports._format import fmt, fmt_interval, p_text
from harness.reports._gate_types import (
    DEFAULT_REGRESSION_METRICS,
    Check,
    GateOptions,
    GateResult,
    Status,
    WorstCase,
)
from harness.reports._paired import paired_differences
from harness.reports._problems import case_problems
from harness.reports.compare import CompareOptions, metric_cells
from harness.scoring.catalogue import case_value, higher_is_better

__all__ = [
    "DEFAULT_REGRESSION_METRICS",
    "BaselineFile",
    "Check",
    "GateOptions",
    "GateResult",
    "WorstCase",
    "evaluate_gate",
    "export_baseline",
    "read_baseline",
    "regression_verdict",
    "run_gate",
    "worst_cases",
]


# --- checks (pure) ----------------------------------------------------------------------------


def _bound_checks(data: CaseData, options: GateOptions) -> list[Check]:
    wanted = [*options.floors, *(m for m in options.ceilings if m not in options.floors)]
    if not wanted:
        return []
    cells = metric_cells(
        data.rows,
        wanted,
        CompareOptions(
            metrics=wanted,
            n_resamples=options.n_resamples,
            seed=options.seed,
            confidence=options.confidence,
        ),
    )
    checks = []
    bounds = [("floor", m, v) for m, v in options.floors.items()]
    bounds += [("ceiling", m, v) for m, v in options.ceilings.items()]
    for kind, metric, bound in bounds:
        cell = cells[metric]
        interval = fmt_interval(cell.low, cell.high)
        if cell.value is None:
            status: Status = "fail"
            message = (
                f"{metric} is undefined on these cases (nothing to score), so it cannot be checked"
            )
        elif (cell.value >= bound) if kind == "floor" else (cell.value <= bound):
            side = "at or above the floor" if kind == "floor" else "at or below the ceiling"
            status, message = "pass", f"{metric} {fmt(cell.value)} {interval} is {side} {bound:g}"
        else:
            side = "below the floor" if kind == "floor" else "above the ceiling"
            status, message = "fail", f"{metric} {fmt(cell.value)} {interval} is {side} {bound:g}"
        checks.append(
            Check(
                kind,  # type: ignore[arg-type]
                metric,
                status,
                cell.value,
                bound,
                message,
                low=cell.low,
                high=cell.high,
                n_cases=cell.n,
            )
        )
    return checks


def regression_verdict(
    metric: str,
    diff: float,
    low: float | None,
    high: float | None,
    p: float | None,
    *,
    tolerance: float,
    options: GateOptions,
) -> tuple[Status, str]:
    """Pass or fail one regression check, with the sentence saying why (pure)."""
    sign = 1.0 if higher_is_better(metric) else -1.0
    drop = -sign * diff  # > 0: worse
    word = "dropped" if sign > 0 else "rose"
    change = f"{metric} {word} by {abs(diff):.3f}" if drop > 0 else f"{metric} did not get worse"
    if drop <= tolerance:
        within = f"{change}, within the {tolerance:g} tolerance" if drop > 0 else change
        return "pass", within
    if not options.require_significance:
        return "fail", f"{change}, more than the {tolerance:g} tolerance"
    if options.rule == "p":
        credible = p is not None and p < options.alpha
        evidence = f"{p_text(p)}, {'below' if credible else 'not below'} alpha {options.alpha:g}"
    else:
        worst_edge = high if sign > 0 else low
        credible = worst_edge is not None and -sign * worst_edge > tolerance
        evidence = (
            f"interval {fmt_interval(low, high, signed=True)} "
            f"{'lies' if credible else 'does not lie'} entirely beyond the tolerance"
        )
    if credible:
        return "fail", f"{change}, more than the {tolerance:g} tolerance, and credibly ({evidence})"
    return "pass", f"{change}, more than the {tolerance:g} tolerance but not credibly ({evidence})"


def _regression_checks(
    candidate: CaseData, baseline: CaseData, options: GateOptions
) -> list[Check]:
    metrics = options.regression_targets()
    diffs = paired_differences(
        baseline.rows,
        candidate.rows,
        metrics,
        n_resamples=options.n_resamples,
        n_permutations=options.n_permutations,
        seed=options.seed,
        confidence=options.confidence,
        alpha=options.alpha,
    )
    checks = []
    for metric in metrics:
        d, tolerance = diffs[metric], options.tolerance(metric)
        common = dict(low=d.low, high=d.high, baseline=d.a, diff=d.diff, p_value=d.p_permutation)
        if d.diff is None:
            which = "both runs" if d.a is None and d.b is None else "one run"
            message = f"{metric} is undefined on the shared cases for {which}: not checked"
            checks.append(
                Check("regression", metric, "skip", d.b, tolerance, message, **common)  # type: ignore[arg-type]
            )
            continue
        status, message = regression_verdict(
            metric, d.diff, d.low, d.high, d.p_permutation, tolerance=tolerance, options=options
        )
        checks.append(
            Check(
                "regression",
                metric,
                status,
                d.b,
                tolerance,
                message,
                n_cases=len(candidate.rows),
                **common,
            )
        )
    return checks


def _worst_metric(checks: Sequence[Check], options: GateOptions) -> str | None:
    for kinds in (("regression",), ("floor", "ceiling")):
        for check in checks:
            if check.kind in kinds and check.status == "fail":
                return check.metric
    ranked = [c.metric for c in checks if c.kind == "regression" and c.status != "skip"]
    ranked += [c.metric for c in checks if c.status != "skip"]
    return ranked[0] if ranked else None


def worst_cases(
    candidate: CaseData,
    baseline: CaseData | None,
    metric: str,
    limit: int,
    threshold: float | None = None,
) -> list[WorstCase]:
    """The cases that lost most on ``metric``: vs the baseline, else below ``threshold`` (pure)."""
    sign = 1.0 if higher_is_better(metric) else -1.0
    scored = []
    for case_id, row in candidate.rows.items():
        value = case_value(metric, row)
        if baseline is not None:
            base_row = baseline.rows.get(case_id)
            base = case_value(metric, base_row) if base_row is not None else None
            if value is None or base is None or sign * (value - base) >= 0:
                continue
            badness = sign * (base - value)
        else:
            base = None
            if value is None:
                continue
            bar = threshold if threshold is not None else (1.0 if sign > 0 else 0.0)
            if sign * (value - bar) >= 0:
                continue
            badness = sign * (bar - value)
        scored.append((-badness, case_id, base, value))
    scored.sort()
    return [
        WorstCase(case_id, candidate.tags.get(case_id, ()), metric, base, value)
        for _, case_id, base, value in scored[:limit]
    ]


def _notes(candidate: CaseData, baseline: CaseData | None, shared: Any) -> list[str]:
    notes = []
    errors = sum(row.get("case_errors", 0.0) for row in candidate.rows.values())
    if errors:
        notes.append(
            f"the candidate run has {errors:.0f} case x repeat errors; their cases count in "
            "error_rate only"
        )
    if baseline is None:
        return notes
    if shared.partial:
        notes.append(
            shared.describe({candidate.run.run_id: "candidate", baseline.run.run_id: "baseline"})
        )
    for attr in ("matcher", "state_mode"):
        a, b = getattr(baseline.run, attr), getattr(candidate.run, attr)
        if a != b:
            notes.append(
                f"{attr.replace('_', ' ')} differs (baseline {a}, candidate {b}): "
                "the scores may not be like for like"
            )
    return notes


def evaluate_gate(
    candidate: CaseData,
    baseline: CaseData | None = None,
    options: GateOptions | None = None,
    *,
    baseline_source: str | None = None,
    problems: Callable[[Sequence[str]], Mapping[str, list[str]]] | None = None,
) -> GateResult:
    """Every check of the gate over per-case rows (pure but for the ``problems`` callback)."""
    options = options or GateOptions()
    if not candidate.rows:
        raise ConfigurationError(f"run {candidate.run.run_id} has no recorded cases")
    checks = _bound_checks(candidate, options)
    shared, n_compared = None, None
    if baseline is not None:
        shared = overlap([candidate, baseline])
        if not shared.case_ids:
            raise ConfigurationError(
                f"the candidate run {candidate.run.run_id} and the baseline "
                f"{baseline_source or baseline.run.run_id} share no cases (same id and content): "
                "nothing to compare"
            )
        n_compared = len(shared.case_ids)
        paired = (candidate.subset(shared.case_ids), baseline.subset(shared.case_ids))
        checks += _regression_checks(paired[0], paired[1], options)
    metric = _worst_metric(checks, options)
    worst: list[WorstCase] = []
    if metric is not None and options.worst_cases:
        bound = options.floors.get(metric, options.ceilings.get(metric))
        worst = worst_cases(candidate, baseline, metric, options.worst_cases, bound)
        if problems is not None and worst:
            found = problems([case.case_id for case in worst])
            worst = [
                WorstCase(
                    w.case_id, w.tags, w.metric, w.baseline, w.candidate, found.get(w.case_id, [])
                )
                for w in worst
            ]
    return GateResult(
        candidate=candidate.run,
        checks=checks,
        n_cases=len(candidate.rows),
        baseline=baseline.run if baseline is not None else None,
        baseline_source=baseline_source,
        n_compared=n_compared,
        worst_metric=metric,
        worst_cases=worst,
        notes=_notes(candidate, baseline, shared),
    )


# --- with a results database ---------------------------------------------------------------


def _finished(store: Any, ref: str, role: str) -> Any:
    run = store.find_run(ref)
    if run.status == "failed":
        raise ConfigurationError(
            f"{role} run {run.run_id} failed ({run.error or 'every case errored'}): there is "
            "nothing to gate on; fix the cause and run it again"
        )
    if run.status != "finished":
        raise ConfigurationError(
            f"{role} run {run.run_id} is {run.status}, not finished: resume it with "
            f"`harness run --resume {run.run_id}` before gating on it"
        )
    return run


def latest_run(store: Any) -> str:
    runs = store.list_runs(status="finished")
    if not runs:
        raise ConfigurationError(f"{store.where}: no finished run to gate on")
    return runs[-1].run_id


def run_gate(
    store: Any,
    candidate: str | None = None,
    options: GateOptions | None = None,
    *,
    baseline: str | None = None,
    baseline_file: str | Path | None = None,
) -> GateResult:
    """Gate run ``candidate`` (id or name; default the latest finished run) of ``store``."""
    if baseline is not None and baseline_file is not None:
        raise ConfigurationError("give --baseline or --baseline-file, not both")
    run = _finished(store, candidate or latest_run(store), "candidate")
    data = load_case_data(store, run)
    base, source = None, None
    if baseline is not None:
        base_run = _finished(store, baseline, "baseline")
        base, source = load_case_data(store, base_run), f"run {base_run.run_id}"
    elif baseline_file is not None:
        base, source = baseline_case_data(read_baseline(baseline_file)), str(baseline_file)
    return evaluate_gate(
        data,
        base,
        options,
        baseline_source=source,
        problems=lambda ids: case_problems(store, run.run_id, ids),
    )


def export_baseline(store: Any, run: str, path: str | Path | None = None) -> BaselineFile:
    """The baseline of finished run ``run`` (id or name), written to ``path`` when given."""
    data = baseline_data(store, run)
    if path is not None:
        write_baseline(data, path)
    return data
