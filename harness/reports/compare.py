"""Runs side by side: headline metrics with intervals, per-tag breakdowns, paired differences.

Runs are labelled ``A``, ``B``, ``C``... in the order given. Metrics are recomputed from each
run's per-case rows, on the cases every run shares (same id and same content); when the runs'
case sets differ, the comparison's headline says so and what was left out. A figure computed on
fewer than 20 cases (questions, per category) or with an interval from fewer than 10 cases is
flagged as a small sample (:func:`harness.scoring.stats.small_sample`). For each pair of runs on
shared cases, the difference B - A comes with a paired bootstrap interval and a paired
permutation p-value (:mod:`harness.reports._paired`), so an improvement can be told from
noise::

    with open_results("reports/harness.duckdb", read_only=True) as store:
        comparison = compare_runs(store, ["baseline-run", "candidate-run"])
    for pair in comparison.pairs:
        for diff in pair.diffs:
            print(pair.a, pair.b, diff.metric, diff.diff, diff.verdict)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.errors import ConfigurationError
from harness.reports._casedata import (
    CaseData,
    RunInfo,
    add_usage,
    empty_usage,
    load_case_data,
    overlap,
    resolve_runs,
)
from harness.reports._differences import option_differences
from harness.reports._paired import PairedDiff, adjust_holm, paired_differences
from harness.scoring.answer_metrics import CATEGORY_METRICS, categories_in
from harness.scoring.catalogue import (
    COMPARE_METRICS,
    PROVENANCE_HEADLINE,
    case_value,
    check_metrics,
    columns_for,
    formulas,
)
from harness.scoring.stats import (
    bootstrap_matrix,
    count_matrix,
    defined_cases,
    named_columns,
    small_sample,
)

__all__ = [
    "CategoryRow",
    "CategoryTable",
    "CompareOptions",
    "Comparison",
    "MetricCell",
    "PairComparison",
    "RunColumn",
    "TagRow",
    "TagTable",
    "build_comparison",
    "compare_runs",
]


class CompareOptions(BaseModel):
    """How to compare: which metrics, which pairs, how many resamples, which significance level.

    ``reference`` (a run id or name) compares every other run against that one only; otherwise
    every pair is compared. ``adjust="holm"`` controls the family-wise error over all the paired
    tests shown (Holm-Bonferroni).
    """

    model_config = ConfigDict(extra="forbid")

    metrics: list[str] = Field(default_factory=lambda: list(COMPARE_METRICS))
    by_tag: bool = False
    tag_metrics: list[str] = Field(default_factory=lambda: ["micro_f1"])
    tags: list[str] = Field(default_factory=list)
    category_metrics: list[str] = Field(default_factory=lambda: ["qa_j", "qa_f1"])
    reference: str | None = None
    n_resamples: int = Field(default=1000, ge=1)
    n_permutations: int = Field(default=2000, ge=1)
    seed: int = 0
    confidence: float = Field(default=0.95, gt=0.0, lt=1.0)
    alpha: float = Field(default=0.05, gt=0.0, lt=1.0)
    adjust: Literal["none", "holm"] = "none"

    @field_validator("category_metrics")
    @classmethod
    def _per_category(cls, value: list[str]) -> list[str]:
        wrong = [name for name in value if name not in CATEGORY_METRICS]
        if wrong:
            raise ValueError(
                f"{wrong[0]!r} has no per-category form; use {', '.join(CATEGORY_METRICS)}"
            )
        return list(dict.fromkeys(value))

    @field_validator("metrics", "tag_metrics")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one metric")
        return check_metrics(value, option="metric")


@dataclass(frozen=True)
class MetricCell:
    """A metric with its bootstrap interval; ``n`` = cases on which it is defined; ``small``
    says why the figure is a small sample (None when it is not)."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    small: str | None = None


@dataclass
class RunColumn:
    key: str
    run: RunInfo
    n_cases: int
    metrics: dict[str, MetricCell]
    usage: dict[str, float | None]


@dataclass
class PairComparison:
    """B - A for every compared metric, on ``n_cases`` shared cases."""

    a: str
    b: str
    n_cases: int
    diffs: list[PairedDiff]
    note: str | None = None

    @property
    def small(self) -> str | None:
        """Why the paired intervals are a small sample (None when they are not)."""
        return small_sample(self.n_cases)


@dataclass
class TagRow:
    tag: str
    n_cases: int
    cells: dict[str, MetricCell]


@dataclass
class TagTable:
    metric: str
    rows: list[TagRow]


@dataclass
class CategoryRow:
    """One question category: each run's value and each compared pair's paired difference.

    ``n_questions`` is the most ordinary questions of the category any run answered.
    """

    category: str
    n_questions: int
    cells: dict[str, MetricCell]
    diffs: dict[str, PairedDiff]  # "B - A" -> difference

    @property
    def small(self) -> str | None:
        """Fewer than 20 questions, or an interval from fewer than 10 cases in some run."""
        clusters = [cell.n for cell in self.cells.values() if cell.value is not None]
        return small_sample(self.n_questions, min(clusters, default=0), unit="questions")


@dataclass
class CategoryTable:
    metric: str
    rows: list[CategoryRow]


@dataclass
class Comparison:
    """Everything ``harness compare`` shows; :meth:`as_dict` is its ``--json`` form.

    ``headline`` says, first of all, when the comparison narrowed the case set (only the cases
    the runs share, or per pair); None when every run's cases were compared.
    """

    runs: list[RunColumn]
    metrics: list[str]
    scope: Literal["all", "common", "own"]
    n_cases: int
    notes: list[str]
    pairs: list[PairComparison]
    tags: list[TagTable] = field(default_factory=list)
    categories: list[CategoryTable] = field(default_factory=list)
    confidence: float = 0.95
    alpha: float = 0.05
    adjust: str = "none"
    headline: str | None = None
    options: dict[str, dict[str, str]] = field(default_factory=dict)
    """The options the runs differ in: ``{option: {run key: value}}`` (deletes off, gold
    state, another answer model...), which the header shows beside the runs."""

    def run(self, key: str) -> RunColumn:
        return next(column for column in self.runs if column.key == key)

    def has_small_samples(self) -> bool:
        """Whether any figure shown is flagged as a small sample."""
        cells = [cell for column in self.runs for cell in column.metrics.values()]
        cells += [cell for t in self.tags for row in t.rows for cell in row.cells.values()]
        rows = [row for block in self.categories for row in block.rows]
        return (
            any(cell.small and cell.value is not None for cell in cells)
            or any(pair.small for pair in self.pairs)
            or any(row.small for row in rows)
        )

    def significant(self) -> list[tuple[PairComparison, PairedDiff]]:
        return [(pair, d) for pair in self.pairs for d in pair.diffs if d.significant]

    def as_dict(self) -> dict[str, Any]:
        return {
            "headline": self.headline,
            "differing_options": self.options,
            "scope": self.scope,
            "n_cases": self.n_cases,
            "confidence": self.confidence,
            "alpha": self.alpha,
            "adjust": self.adjust,
            "notes": self.notes,
            "metrics": self.metrics,
            "runs": [
                {
                    "key": c.key,
                    **c.run.as_dict(),
                    "n_cases_compared": c.n_cases,
                    "metrics": {m: asdict(cell) for m, cell in c.metrics.items()},
                    "usage": c.usage,
                }
                for c in self.runs
            ],
            "pairs": [
                {
                    "a": p.a,
                    "b": p.b,
                    "run_a": self.run(p.a).run.run_id,
                    "run_b": self.run(p.b).run.run_id,
                    "n_cases": p.n_cases,
                    "note": p.note,
                    "small": p.small,
                    "diffs": [d.as_dict() for d in p.diffs],
                }
                for p in self.pairs
            ],
            "tags": [
                {
                    "metric": t.metric,
                    "rows": [
                        {
                            "tag": r.tag,
                            "n_cases": r.n_cases,
                            "cells": {k: asdict(v) for k, v in r.cells.items()},
                        }
                        for r in t.rows
                    ],
                }
                for t in self.tags
            ],
            "categories": [
                {
                    "metric": t.metric,
                    "rows": [
                        {
                            "category": r.category,
                            "n_questions": r.n_questions,
                            "small": r.small,
                            "cells": {k: asdict(v) for k, v in r.cells.items()},
                            "diffs": {k: d.as_dict() for k, d in r.diffs.items()},
                        }
                        for r in t.rows
                    ],
                }
                for t in self.categories
            ],
        }


def run_keys(n: int) -> list[str]:
    """``A``..``Z``, then ``AA``, ``AB``..."""
    letters = [chr(ord("A") + i) for i in range(26)]
    keys = list(letters)
    for first in letters:
        keys.extend(first + second for second in letters)
        if len(keys) >= n:
            break
    return keys[:n]


def metric_cells(
    rows: dict[str, dict[str, float]], metrics: Sequence[str], options: CompareOptions
) -> dict[str, MetricCell]:
    """Point estimates and case-bootstrap intervals of ``metrics`` over ``rows`` (pure)."""
    chosen = {name: formulas()[name] for name in metrics}
    names, matrix = count_matrix([rows[case_id] for case_id in sorted(rows)], columns_for(metrics))
    estimates = bootstrap_matrix(
        names,
        matrix,
        chosen,
        n_resamples=options.n_resamples,
        seed=options.seed,
        confidence=options.confidence,
    )
    per_case = named_columns(names, matrix)
    cells = {}
    for name, formula in chosen.items():
        defined = defined_cases(formula, per_case) if len(matrix) else 0
        estimate = estimates[name]
        small = small_sample(defined) if estimate.value is not None else None
        cells[name] = MetricCell(estimate.value, estimate.low, estimate.high, defined, small)
    return cells


def _per(total: float | None, n: float) -> float | None:
    return total / n if total is not None and n else None


def _usage(data: CaseData) -> dict[str, float | None]:
    sums = empty_usage()
    for usage in data.usage.values():
        for key in sums:
            sums[key] = add_usage(key, sums[key], usage[key])
    repeats = sum(row.get("case_repeats", 0.0) for row in data.rows.values())
    errors = sum(row.get("case_errors", 0.0) for row in data.rows.values())
    return {
        "input_tokens": sums["input_tokens"],
        "output_tokens": sums["output_tokens"],
        "cost_usd": sums["cost_usd"],
        "mean_case_latency_s": _per(sums["latency_s"], repeats),
        "case_repeats": repeats,
        "errors": errors,
    }


def _scope(datas: Sequence[CaseData], headline: list[str]) -> tuple[str, list[CaseData]]:
    shared = overlap(datas)
    labels = {d.run.run_id: key for d, key in zip(datas, run_keys(len(datas)), strict=True)}
    if len(datas) == 1:
        return "all", list(datas)
    if shared.case_ids:
        if not shared.partial:
            return "all", list(datas)
        headline.append(shared.describe(labels))
        return "common", [d.subset(shared.case_ids) for d in datas]
    headline.append(
        "the runs share no cases: each run's metrics are over its own cases, and only runs "
        "that share cases are compared pairwise"
    )
    return "own", list(datas)


def _pair(
    keys: tuple[str, str], a: CaseData, b: CaseData, scope: str, options: CompareOptions
) -> PairComparison | None:
    note = None
    if scope == "own":
        shared = overlap([a, b])
        if not shared.case_ids:
            return None
        if shared.partial:
            note = shared.describe({a.run.run_id: keys[0], b.run.run_id: keys[1]})
        a, b = a.subset(shared.case_ids), b.subset(shared.case_ids)
    diffs = paired_differences(
        a.rows,
        b.rows,
        options.metrics,
        n_resamples=options.n_resamples,
        n_permutations=options.n_permutations,
        seed=options.seed,
        confidence=options.confidence,
        alpha=options.alpha,
    )
    return PairComparison(keys[0], keys[1], len(a.rows), list(diffs.values()), note)


def _pairs_wanted(n: int, reference: int | None) -> list[tuple[int, int]]:
    if reference is not None:
        return [(reference, j) for j in range(n) if j != reference]
    return [(i, j) for i in range(n) for j in range(i + 1, n)]


def _tag_tables(
    datas: Sequence[CaseData], keys: Sequence[str], options: CompareOptions
) -> list[TagTable]:
    all_tags = sorted({t for d in datas for tags in d.tags.values() for t in tags})
    if options.tags:
        all_tags = [t for t in all_tags if t in set(options.tags)]
    tables = []
    for metric in options.tag_metrics:
        rows = []
        for tag in all_tags:
            cells, n_cases = {}, 0
            for key, data in zip(keys, datas, strict=True):
                ids = [c for c, tags in data.tags.items() if tag in tags and c in data.rows]
                n_cases = max(n_cases, len(ids))
                subset = {c: data.rows[c] for c in ids}
                cells[key] = metric_cells(subset, [metric], options)[metric]
            rows.append(TagRow(tag, n_cases, cells))
        tables.append(TagTable(metric, rows))
    return tables


def _category_tables(
    datas: Sequence[CaseData],
    keys: Sequence[str],
    pairs: Sequence[PairComparison],
    options: CompareOptions,
) -> list[CategoryTable]:
    """Per question category: every run's answer metric and every compared pair's difference."""
    found = sorted({c for d in datas for c in categories_in(d.rows)})
    by_key = dict(zip(keys, datas, strict=True))
    tables = []
    for metric in options.category_metrics:
        rows = []
        for category in found:
            name = f"{metric}[{category}]"
            cells = {k: metric_cells(d.rows, [name], options)[name] for k, d in by_key.items()}
            diffs = {}
            for pair in pairs:
                a, b = by_key[pair.a], by_key[pair.b]
                shared = [c for c in a.rows if c in b.rows]
                diffs[f"{pair.b} - {pair.a}"] = paired_differences(
                    {c: a.rows[c] for c in shared},
                    {c: b.rows[c] for c in shared},
                    [name],
                    n_resamples=options.n_resamples,
                    n_permutations=options.n_permutations,
                    seed=options.seed,
                    confidence=options.confidence,
                    alpha=options.alpha,
                )[name]
            asked = max(
                sum(r.get(f"qa_n[{category}]", 0.0) for r in d.rows.values()) for d in datas
            )
            rows.append(CategoryRow(category, int(asked), cells, diffs))
        tables.append(CategoryTable(metric, rows))
    return tables


def _summed(rows: dict[str, dict[str, float]], metric: str) -> dict[str, float]:
    return {c: sum(row.get(c, 0.0) for row in rows.values()) for c in columns_for([metric])}


def _default_metrics(datas: Sequence[CaseData], options: CompareOptions) -> list[str]:
    """The compared metrics, plus the provenance retrieval ones some run has (benchmarks)."""
    extras = [
        name
        for name in PROVENANCE_HEADLINE
        if name not in options.metrics
        and any(case_value(name, _summed(d.rows, name)) is not None for d in datas)
    ]
    return [*options.metrics, *extras]


def _headline(parts: Sequence[str]) -> str | None:
    """``parts`` as one sentence that opens the comparison (capitalised, ends with a stop)."""
    if not parts:
        return None
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def build_comparison(
    datas: Sequence[CaseData],
    options: CompareOptions | None = None,
    *,
    reference: int | None = None,
    pairs: Sequence[tuple[int, int]] | None = None,
) -> Comparison:
    """Compare runs given as per-case rows (pure).

    Paired differences are computed for ``pairs`` (index pairs into ``datas``) when given, else
    against ``reference`` (an index) when given, else for every pair.
    """
    options = options or CompareOptions()
    if not datas:
        raise ConfigurationError("no runs to compare")
    notes: list[str] = []
    headline: list[str] = []
    keys = run_keys(len(datas))
    scope, used = _scope(datas, headline)
    if "metrics" not in options.model_fields_set:
        options = options.model_copy(update={"metrics": _default_metrics(used, options)})
    columns = [
        RunColumn(
            key, d.run, len(d.rows), metric_cells(d.rows, options.metrics, options), _usage(d)
        )
        for key, d in zip(keys, used, strict=True)
    ]
    compared: list[PairComparison] = []
    wanted = list(pairs) if pairs is not None else _pairs_wanted(len(used), reference)
    for i, j in wanted:
        pair = _pair((keys[i], keys[j]), used[i], used[j], scope, options)
        if pair is None:
            notes.append(f"{keys[i]} and {keys[j]} share no cases: not compared")
        else:
            compared.append(pair)
            if pair.note:
                headline.append(f"{pair.b} - {pair.a}: {pair.note}")
    if options.adjust == "holm" and compared:
        flat = adjust_holm([d for p in compared for d in p.diffs], options.alpha)
        start = 0
        for pair in compared:
            pair.diffs, start = flat[start : start + len(pair.diffs)], start + len(pair.diffs)
    n_cases = len(used[0].rows) if scope != "own" else 0
    tags = _tag_tables(used, keys, options) if options.by_tag else []
    categories = _category_tables(used, keys, compared, options)
    return Comparison(
        runs=columns,
        metrics=list(options.metrics),
        scope=scope,  # type: ignore[arg-type]
        n_cases=n_cases,
        notes=notes,
        pairs=compared,
        tags=tags,
        categories=categories,
        confidence=options.confidence,
        alpha=options.alpha,
        adjust=options.adjust,
        headline=_headline(headline),
        options=option_differences({c.key: c.run.parameters for c in columns}),
    )


def compare_runs(
    store: Any,
    refs: Sequence[str] = (),
    options: CompareOptions | None = None,
    *,
    latest: bool = False,
    dataset: str | None = None,
    model: str | None = None,
    prompt: str | None = None,
    pairs: Sequence[tuple[int, int]] | None = None,
) -> Comparison:
    """Compare runs of the results database ``store`` chosen by id or name and/or ``latest``.

    ``pairs`` (index pairs into the chosen runs) limits the paired differences.
    """
    options = options or CompareOptions()
    runs = resolve_runs(store, refs, latest=latest, dataset=dataset, model=model, prompt=prompt)
    reference = None
    if options.reference is not None:
        ref_run = store.find_run(options.reference)
        ids = [run.run_id for run in runs]
        if ref_run.run_id not in ids:
            runs.insert(0, ref_run)
            ids.insert(0, ref_run.run_id)
        reference = ids.index(ref_run.run_id)
    empty = [run.run_id for run in runs if not store.completed(run.run_id)]
    if empty:
        raise ConfigurationError(f"{store.where}: run {empty[0]} has no recorded cases yet")
    datas = [load_case_data(store, run) for run in runs]
    return build_comparison(datas, options, reference=reference, pairs=pairs)
