"""What the HTML report shows, loaded from the results database into plain structures.

Every aggregate is computed by DuckDB (grouped SQL over ``run_metrics``, ``case_results`` and
``ops``), so a report over twenty runs of a thousand cases costs a handful of queries, not a
Python loop over every row. The per-case drill-down lives in :mod:`harness.reports._report_cases`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.errors import ConfigurationError
from harness.reports._differences import option_differences
from harness.results.records import RunRecord
from harness.scoring.stats import small_sample

GOLD_OUTCOMES: tuple[str, ...] = (
    "matched",
    "wrong_content",
    "duplicate_instead_of_update",
    "wrong_target_update",
    "delete_instead_of_update",
    "missed",
    "optional_matched",
    "optional_unmatched",
)
PREDICTED_OUTCOMES: tuple[str, ...] = ("spurious", "unlabeled")
"""Outcome classes of predictions that no gold op claims (the others mirror their gold op)."""
OP_TYPES: tuple[str, ...] = ("insert", "update", "delete")
NONE = "(none)"
MAX_TAGS = 40

_COUNT_FIELDS = [f"{t}_{k}" for t in OP_TYPES for k in ("tp", "fp", "fn")]
_COUNTS_TYPE = "{" + ", ".join(f'"{name}": "DOUBLE"' for name in _COUNT_FIELDS) + "}"
_COUNT_SUMS = {
    kind: " + ".join(f"coalesce(c.{t}_{kind}, 0)" for t in OP_TYPES) for kind in ("tp", "fp", "fn")
}


@dataclass(frozen=True)
class Cell:
    """A metric value with its interval; ``n`` = cases it is defined on; ``questions``: for a
    per-category answer figure, the questions it is computed on."""

    value: float | None
    low: float | None = None
    high: float | None = None
    n: int = 0
    questions: int | None = None

    @property
    def small(self) -> str | None:
        """Why the figure is a small sample (fewer than 20 cases or questions, or an interval
        from fewer than 10 cases); None when it is not, or when there is no figure."""
        if self.value is None:
            return None
        if self.questions is not None:
            return small_sample(self.questions, self.n, unit="questions")
        return small_sample(self.n)


@dataclass
class Usage:
    """Operational totals of a run over every case x repeat (errors included)."""

    case_repeats: int = 0
    errors: int = 0
    input_tokens: int | None = 0  # None: unknown (a system calling its models itself)
    output_tokens: int | None = 0
    cost_usd: float | None = None
    n_calls: int | None = 0
    cached_calls: int | None = 0
    retries: int | None = 0
    mean_latency_s: float | None = None
    p50_latency_s: float | None = None
    p95_latency_s: float | None = None
    wall_s: float | None = None


@dataclass
class RunSummary:
    """One run as the report shows it; ``key`` is its short label in charts (A, B, ...)."""

    key: str
    record: RunRecord
    metrics: dict[str, Cell] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)

    @property
    def run_id(self) -> str:
        return self.record.run_id

    @property
    def label(self) -> str:
        return self.record.name or f"{self.record.model} / {self.record.template_name}"


@dataclass(frozen=True)
class TagCell:
    f1: float | None
    n_cases: int
    tp: float
    fp: float
    fn: float


@dataclass
class Confusion:
    """Op outcomes of one run: gold op type x outcome class, and gold op x predicted op."""

    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    predicted_outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    pairs: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        gold = sum(sum(row.values()) for row in self.outcomes.values())
        return gold + sum(sum(row.values()) for row in self.predicted_outcomes.values())


@dataclass
class ReportData:
    runs: list[RunSummary]
    tags: list[str]
    tag_cells: dict[tuple[str, str], TagCell]
    confusion: dict[str, Confusion]
    notes: list[str] = field(default_factory=list)
    options: dict[str, dict[str, str]] = field(default_factory=dict)
    """The options the runs differ in, ``{option: {run key: value}}``, for the header."""


def run_keys(n: int) -> list[str]:
    """``A``..``Z``, then ``A2``..``Z2``, ... (short, stable labels for charts)."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [letters[i % 26] + (str(i // 26 + 1) if i >= 26 else "") for i in range(n)]


def select_runs(
    store: Any, refs: Sequence[str] = (), *, latest: int | None = None
) -> list[RunRecord]:
    """Runs named by id or name (in that order), else the ``latest`` finished runs, oldest first.

    With neither, every finished run up to the 20 newest.
    """
    chosen: dict[str, RunRecord] = {}
    for ref in refs:
        run = store.find_run(ref)
        chosen.setdefault(run.run_id, run)
    if latest is not None or not refs:
        if latest is not None and latest < 1:
            raise ConfigurationError(f"--latest {latest}: give a number of runs >= 1")
        finished = store.list_runs(status="finished")
        for run in finished[-(latest or 20) :]:
            chosen.setdefault(run.run_id, run)
    if not chosen:
        raise ConfigurationError(
            f"{store.where}: no finished run to report on (record one with 'harness run')"
        )
    return list(chosen.values())


def load_report_data(store: Any, runs: Sequence[RunRecord]) -> ReportData:
    """Every aggregate the report shows, for ``runs`` in the order given."""
    summaries = [RunSummary(key, run) for key, run in zip(run_keys(len(runs)), runs, strict=True)]
    ids = [run.run_id for run in runs]
    by_id = {s.run_id: s for s in summaries}
    for row in _rows(store, _METRICS_SQL, ids):
        by_id[row["run_id"]].metrics[row["metric"]] = Cell(
            row["value"], row["ci_low"], row["ci_high"], row["n"]
        )
    for row in _rows(store, _USAGE_SQL, ids):
        summary = by_id[row.pop("run_id")]
        summary.usage = Usage(**row)  # a NULL sum: every case's figure unknown (or unpriced)
        run = summary.record
        if run.finished_at is not None and run.started_at is not None:
            summary.usage.wall_s = (run.finished_at - run.started_at).total_seconds()
    tags, cells, notes = _tags(store, ids)
    options = option_differences({s.key: s.record.parameters for s in summaries})
    return ReportData(summaries, tags, cells, _confusion(store, ids), notes, options)


def _rows(store: Any, sql: str, ids: Sequence[str]) -> list[dict[str, Any]]:
    """Run ``sql`` with every ``{ids}`` standing for the run ids (as parameters)."""
    marks = ", ".join("?" * len(ids))
    return store.query(sql.replace("{ids}", marks), list(ids) * sql.count("{ids}"))


_METRICS_SQL = """
SELECT run_id, metric, value, ci_low, ci_high, n FROM run_metrics WHERE run_id IN ({ids})
"""

_USAGE_SQL = """
SELECT run_id,
       count(*)::INTEGER AS case_repeats,
       (count(*) FILTER (WHERE status <> 'ok'))::INTEGER AS errors,
       sum(input_tokens)::BIGINT AS input_tokens,
       sum(output_tokens)::BIGINT AS output_tokens,
       sum(cost_usd) AS cost_usd,
       sum(n_calls)::BIGINT AS n_calls,
       sum(cached_calls)::BIGINT AS cached_calls,
       sum(retries)::BIGINT AS retries,
       avg(latency_s) AS mean_latency_s,
       quantile_cont(latency_s, 0.5) AS p50_latency_s,
       quantile_cont(latency_s, 0.95) AS p95_latency_s
FROM case_results WHERE run_id IN ({ids}) GROUP BY run_id
"""

_TAGS_SQL = f"""
WITH parsed AS (  -- one JSON parse per row (json_transform), not one per field
    SELECT run_id, case_id, tags, json_transform(counts, '{_COUNTS_TYPE}') AS c
    FROM case_results WHERE run_id IN ({{ids}}) AND status = 'ok'
), per_case AS (
    SELECT run_id, case_id, unnest(tags) AS tag,
           {_COUNT_SUMS["tp"]} AS tp, {_COUNT_SUMS["fp"]} AS fp, {_COUNT_SUMS["fn"]} AS fn
    FROM parsed
)
SELECT run_id, tag, count(DISTINCT case_id)::INTEGER AS n_cases,
       sum(tp) AS tp, sum(fp) AS fp, sum(fn) AS fn
FROM per_case GROUP BY run_id, tag
"""


def _tags(
    store: Any, ids: Sequence[str]
) -> tuple[list[str], dict[tuple[str, str], TagCell], list[str]]:
    cells: dict[tuple[str, str], TagCell] = {}
    frequency: dict[str, int] = {}
    for row in _rows(store, _TAGS_SQL, ids):
        tp, fp, fn = row["tp"], row["fp"], row["fn"]
        denominator = 2 * tp + fp + fn
        f1 = 2 * tp / denominator if denominator else None
        cells[(row["run_id"], row["tag"])] = TagCell(f1, row["n_cases"], tp, fp, fn)
        frequency[row["tag"]] = max(frequency.get(row["tag"], 0), row["n_cases"])
    tags = sorted(frequency, key=lambda t: (-frequency[t], t))
    notes = []
    if len(tags) > MAX_TAGS:
        notes.append(f"per-tag heatmap: the {MAX_TAGS} most frequent of {len(tags)} tags are shown")
        tags = tags[:MAX_TAGS]
    return sorted(tags), cells, notes


_OUTCOMES_SQL = """
SELECT run_id, side, op, outcome, count(*)::INTEGER AS n
FROM ops WHERE run_id IN ({ids}) GROUP BY run_id, side, op, outcome
"""

_PAIRS_SQL = """
SELECT g.run_id, g.op AS gold_op, coalesce(p.op, '(none)') AS predicted_op,
       count(*)::INTEGER AS n
FROM ops g
LEFT JOIN ops p
  ON p.run_id = g.run_id AND p.case_id = g.case_id AND p.repeat = g.repeat
 AND p.session_index = g.session_index AND p.side = 'predicted' AND p.op_index = g.partner_index
WHERE g.run_id IN ({ids}) AND g.side = 'gold' AND g.counted
GROUP BY ALL
UNION ALL
SELECT run_id, '(none)' AS gold_op, op AS predicted_op, count(*)::INTEGER AS n
FROM ops
WHERE run_id IN ({ids}) AND side = 'predicted' AND partner_index IS NULL AND counted
GROUP BY ALL
"""


def _confusion(store: Any, ids: Sequence[str]) -> dict[str, Confusion]:
    out = {run_id: Confusion() for run_id in ids}
    for row in _rows(store, _OUTCOMES_SQL, ids):
        confusion = out[row["run_id"]]
        if row["side"] == "gold":
            table = confusion.outcomes
        elif row["outcome"] in PREDICTED_OUTCOMES:
            table = confusion.predicted_outcomes
        else:
            continue  # a linked prediction mirrors its gold op's outcome
        table.setdefault(row["op"], {})[row["outcome"]] = row["n"]
    for row in _rows(store, _PAIRS_SQL, ids):
        pairs = out[row["run_id"]].pairs
        pairs.setdefault(row["gold_op"], {})[row["predicted_op"]] = row["n"]
    return out
