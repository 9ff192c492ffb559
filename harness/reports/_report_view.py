"""From report data to what the template renders: charts, table cells, formatting filters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from harness.reports._charts import (
    Interval,
    Series,
    bar_chart,
    heatmap,
    interval_panels,
    score_color,
    text_color,
)
from harness.reports._report_cases import Drilldown
from harness.reports._report_data import (
    GOLD_OUTCOMES,
    NONE,
    OP_TYPES,
    PREDICTED_OUTCOMES,
    Confusion,
    ReportData,
    RunSummary,
)
from harness.scoring.catalogue import (
    CHART_METRICS,
    LEADERBOARD_METRICS,
    LOWER_IS_BETTER,
    PROVENANCE_HEADLINE,
)


def f3(value: float | None) -> str:
    return "\u2013" if value is None else f"{value:.3f}"


def num(value: float | None) -> str:
    return "\u2013" if value is None else f"{value:,.0f}"


def money(value: float | None) -> str:
    if value is None:
        return "\u2013"
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def secs(value: float | None) -> str:
    if value is None:
        return "\u2013"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:,.2f} s"


def _known(value: float | None) -> float | None:
    return None if value is None else float(value)


def short_hash(value: str | None) -> str:
    return (value or "")[:8]


def short_id(value: str | None) -> str:
    """Long generated ids (UUIDs) cut to their first 8 characters; the page keeps the full id
    in a tooltip."""
    text = value or ""
    return text if len(text) <= 12 else text[:8] + "\u2026"


FILTERS: dict[str, Callable[..., str]] = {
    "f3": f3,
    "num": num,
    "money": money,
    "secs": secs,
    "short_hash": short_hash,
    "short_id": short_id,
    "score_color": score_color,
    "text_color": text_color,
}


@dataclass(frozen=True)
class Grid:
    """A count table: row and column names, counts, and a background shade per cell."""

    rows: list[str]
    columns: list[str]
    counts: dict[tuple[str, str], int]

    def count(self, row: str, column: str) -> int:
        return self.counts.get((row, column), 0)

    def row_total(self, row: str) -> int:
        return sum(self.count(row, c) for c in self.columns)

    def shade(self, row: str, column: str) -> str:
        """A CSS class ``s0``..``s10``: the cell's share of its row in tenths (s0: empty)."""
        total = self.row_total(row)
        count = self.count(row, column)
        if not total or not count:
            return "s0"
        return f"s{max(1, round(10 * count / total))}"


def _grid(table: dict[str, dict[str, int]], rows: list[str], columns: list[str]) -> Grid:
    counts = {(r, c): n for r, row in table.items() for c, n in row.items()}
    used_columns = [c for c in columns if any(counts.get((r, c)) for r in rows)]
    return Grid([r for r in rows if r in table], used_columns or columns[:1], counts)


def confusion_view(confusion: Confusion) -> dict[str, Grid]:
    """The outcome-class table (gold and unclaimed predicted rows) and the op-type matrix."""
    outcomes = dict(confusion.outcomes)
    for op, row in confusion.predicted_outcomes.items():
        outcomes[f"predicted {op}"] = row
    rows = [*OP_TYPES, *(f"predicted {op}" for op in OP_TYPES)]
    return {
        "outcomes": _grid(outcomes, rows, [*GOLD_OUTCOMES, *PREDICTED_OUTCOMES]),
        "pairs": Grid(
            [r for r in (*OP_TYPES, NONE) if r in confusion.pairs],
            [*OP_TYPES, NONE],
            {(g, p): n for g, row in confusion.pairs.items() for p, n in row.items()},
        ),
    }


def leaderboard_metrics(runs: list[RunSummary]) -> list[str]:
    """The leaderboard's columns, plus the provenance retrieval metrics some run has."""
    extras = [
        metric
        for metric in PROVENANCE_HEADLINE
        if metric not in LEADERBOARD_METRICS
        and any(getattr(r.metrics.get(metric), "value", None) is not None for r in runs)
    ]
    return [*LEADERBOARD_METRICS, *extras]


def best_values(runs: list[RunSummary]) -> dict[str, float]:
    """Per leaderboard metric, the best value among the runs (lowest where lower is better).

    A metric on which every run scores the same has no best.
    """
    best: dict[str, float] = {}
    for metric in leaderboard_metrics(runs):
        values = [
            value
            for r in runs
            if metric in r.metrics and (value := r.metrics[metric].value) is not None
        ]
        if len(set(values)) > 1:
            best[metric] = min(values) if metric in LOWER_IS_BETTER else max(values)
    return best


def _series(runs: list[RunSummary]) -> list[Series]:
    return [Series(run.key, run.label, i) for i, run in enumerate(runs)]


def _charts(data: ReportData) -> dict[str, Markup | None]:
    series = _series(data.runs)
    panels = []
    for metric in CHART_METRICS:
        cells = [r.metrics.get(metric) for r in data.runs]
        panels.append(
            (metric, [Interval(c.value, c.low, c.high) if c else Interval(None, None, None)
                      for c in cells])
        )  # fmt: skip

    def tag_cell(item: Series, tag: str) -> tuple[float | None, str]:
        cell = data.tag_cells.get((data.runs[item.index].run_id, tag))
        if cell is None:
            return None, f"{item.key} / {tag}: no cases"
        detail = f"{cell.n_cases} cases, TP {cell.tp:g}, FP {cell.fp:g}, FN {cell.fn:g}"
        return cell.f1, f"{item.key} {item.label} / {tag}: micro F1 {f3(cell.f1)} ({detail})"

    usage = [r.usage for r in data.runs]
    tokens = [
        None if u.input_tokens is None or u.output_tokens is None
        else float(u.input_tokens + u.output_tokens)
        for u in usage
    ]  # fmt: skip
    costs = [u.cost_usd for u in usage]
    return {
        "ci_chart": interval_panels(series, panels, fmt=f3),
        "tag_heatmap": heatmap(series, data.tags, tag_cell, fmt=_f2, title="Micro F1 per tag")
        if data.tags
        else None,
        "tokens_chart": bar_chart(
            series,
            [
                ("input", [_known(u.input_tokens) for u in usage]),
                ("output", [_known(u.output_tokens) for u in usage]),
            ],
            title="Tokens (input + output)",
            fmt=num,
        )
        if any(tokens)
        else None,
        "cost_chart": bar_chart(series, [("cost", costs)], title="Cost (USD)", fmt=money)
        if any(costs)
        else None,
        "latency_chart": bar_chart(
            series,
            [("p50", [u.p50_latency_s for u in usage])],
            title="Median case latency",
            fmt=secs,
        ),
    }


def _f2(value: float | None) -> str:
    return "\u2013" if value is None else f"{value:.2f}"


def build_context(
    data: ReportData, drilldown: Drilldown, *, title: str, source: str
) -> dict[str, Any]:
    """Everything ``report.html.j2`` reads."""
    return {
        "title": title,
        "source": source,
        "runs": data.runs,
        "metrics": leaderboard_metrics(data.runs),
        "lower_is_better": LOWER_IS_BETTER,
        "best": best_values(data.runs),
        "tags": data.tags,
        "confusion": {r.key: confusion_view(data.confusion[r.run_id]) for r in data.runs},
        "drilldown": drilldown,
        "notes": data.notes,
        "options": data.options,
        "colors": {s.key: s.color for s in _series(data.runs)},
        **_charts(data),
    }
