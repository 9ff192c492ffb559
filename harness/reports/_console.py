"""Rich tables for ``harness run``, ``compare``, ``matrix`` and ``gate`` (terminal output).

Builders return renderables; the CLI prints them. Rich is imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from harness.reports._differences import differences_text
from harness.reports._format import answering_text, fmt, fmt_interval, fmt_p
from harness.reports._paired import IMPROVED, REGRESSED
from harness.results.records import MetricRow
from harness.scoring.catalogue import HEADLINE, POOLED_HEADLINE, PROVENANCE_HEADLINE
from harness.scoring.stats import SMALL_SAMPLE_LEGEND, SMALL_SAMPLE_MARK

if TYPE_CHECKING:  # pragma: no cover
    from harness.reports.compare import Comparison
    from harness.reports.gate import GateResult

_MARKS = {IMPROVED: "[green]▲ better[/green]", REGRESSED: "[red]▼ worse[/red]"}


def _cell(
    value: float | None, low: float | None, high: float | None, small: str | None = None
) -> str:
    if value is None:
        return "-"
    text = fmt(value) + (f" [yellow]{SMALL_SAMPLE_MARK}[/yellow]" if small else "")
    return f"{text}\n[dim]{fmt_interval(low, high)}[/dim]" if low is not None else text


def _mc(cell: Any) -> str:
    """A comparison's metric cell, marked when it is a small sample."""
    return _cell(cell.value, cell.low, cell.high, cell.small)


def legend_table(comparison: Comparison) -> Any:
    from rich.table import Table

    table = Table(title="runs", title_justify="left")
    for name in ("", "run", "model", "template", "dataset", "cases", "status"):
        table.add_column(name, justify="right" if name == "cases" else "left")
    for column in comparison.runs:
        run = column.run
        label = run.run_id + (f"\n[dim]{run.name}[/dim]" if run.name else "")
        table.add_row(
            f"[bold]{column.key}[/bold]",
            label,
            run.model,
            f"{run.template_name} [dim]{run.template_hash[:8]}[/dim]",
            f"{run.dataset_name} ({run.state_mode})"
            + (f"\n[dim]{answering_text(run.answer_model, run.judge_model)}[/dim]"
               if run.answer_model else ""),
            str(column.n_cases),
            run.status,
        )  # fmt: skip
    return table


def _usage_rows(comparison: Comparison) -> list[tuple[str, list[str]]]:
    def cost(v: float | None) -> str:
        return "-" if v is None else f"${v:.4f}"

    def count(v: float | None) -> str:
        return "-" if v is None else f"{v:,.0f}"

    def secs(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f} s"

    rows = [
        ("tokens in / out", lambda u: f"{count(u['input_tokens'])} / {count(u['output_tokens'])}"),
        ("cost", lambda u: cost(u["cost_usd"])),
        ("latency per case", lambda u: secs(u["mean_case_latency_s"])),
        ("errors", lambda u: f"{count(u['errors'])} of {count(u['case_repeats'])}"),
    ]
    return [(name, [render(c.usage) for c in comparison.runs]) for name, render in rows]


def metrics_table(comparison: Comparison) -> Any:
    from rich.table import Table

    level = round(comparison.confidence * 100)
    table = Table(title=f"metrics ({level}% bootstrap intervals)", title_justify="left")
    table.add_column("metric")
    for column in comparison.runs:
        table.add_column(column.key, justify="right")
    for metric in comparison.metrics:
        cells = [column.metrics[metric] for column in comparison.runs]
        table.add_row(metric, *(_mc(c) for c in cells))
    table.add_section()
    for name, values in _usage_rows(comparison):
        table.add_row(f"[dim]{name}[/dim]", *values)
    return table


def pairs_table(comparison: Comparison) -> Any:
    from rich.table import Table

    p_name = "p (Holm)" if comparison.adjust == "holm" else "p"
    table = Table(
        title=f"paired differences B - A (significant: {p_name} < {comparison.alpha:g} and "
        "interval excludes 0)",
        title_justify="left",
    )
    for name in ("pair", "metric", "A", "B", "B - A", "interval", p_name, ""):
        table.add_column(name, justify="left" if name in ("pair", "metric", "") else "right")
    for pair in comparison.pairs:
        small = f" [yellow]{SMALL_SAMPLE_MARK}[/yellow]" if pair.small else ""
        label = f"{pair.b} - {pair.a}\n[dim]{pair.n_cases} cases[/dim]{small}"
        same = [d.metric for d in pair.diffs if d.identical]
        for d in pair.diffs:
            if d.diff is None or d.identical:
                continue
            table.add_row(
                label,
                d.metric,
                fmt(d.a),
                fmt(d.b),
                fmt(d.diff, signed=True),
                fmt_interval(d.low, d.high, signed=True),
                fmt_p(d.p),
                _MARKS.get(d.verdict, "") if d.significant else "",
            )
            label = ""
        if same:
            table.add_row(label, f"[dim]unchanged in every resample: {', '.join(same)}[/dim]")
        table.add_section()
    return table


def tag_tables(comparison: Comparison) -> list[Any]:
    from rich.table import Table

    tables = []
    for tags in comparison.tags:
        table = Table(title=f"{tags.metric} per tag", title_justify="left")
        table.add_column("tag")
        table.add_column("cases", justify="right")
        for column in comparison.runs:
            table.add_column(column.key, justify="right")
        for row in tags.rows:
            cells = [row.cells[c.key] for c in comparison.runs]
            table.add_row(row.tag, str(row.n_cases), *(_mc(c) for c in cells))
        tables.append(table)
    return tables


def _diff_cell(d: Any) -> str:
    if d.diff is None:
        return "-"
    mark = _MARKS.get(d.verdict, "") if d.significant else ""
    interval = fmt_interval(d.low, d.high, signed=True)
    return f"{fmt(d.diff, signed=True)} {mark}\n[dim]{interval} p {fmt_p(d.p)}[/dim]"


def category_tables(comparison: Comparison) -> list[Any]:
    """Per question category: each run with its interval, each pair's paired difference."""
    from rich.table import Table

    tables = []
    level = round(comparison.confidence * 100)
    for block in comparison.categories:
        table = Table(
            title=f"{block.metric} per question category ({level}% bootstrap intervals; paired "
            "differences unadjusted)",
            title_justify="left",
        )
        table.add_column("category")
        table.add_column("questions", justify="right")
        for column in comparison.runs:
            table.add_column(column.key, justify="right")
        labels = list(block.rows[0].diffs) if block.rows else []
        for label in labels:
            table.add_column(label, justify="right")
        for row in block.rows:
            cells = [row.cells[c.key] for c in comparison.runs]
            small = f" [yellow]{SMALL_SAMPLE_MARK}[/yellow]" if row.small else ""
            table.add_row(
                row.category,
                f"{row.n_questions}{small}",
                *(_mc(c) for c in cells),
                *(_diff_cell(row.diffs[label]) for label in labels),
            )
        tables.append(table)
    return tables


def comparison_renderables(comparison: Comparison) -> list[Any]:
    from rich.markup import escape

    out: list[Any] = []
    if comparison.headline:
        out.append(f"[bold yellow]{escape(comparison.headline)}[/bold yellow]")
    out.append(legend_table(comparison))
    if comparison.options:
        text = escape(differences_text(comparison.options))
        out.append(f"[bold]options that differ:[/bold] {text}")
    out.append(metrics_table(comparison))
    if comparison.pairs:
        out.append(pairs_table(comparison))
    out.extend(tag_tables(comparison))
    out.extend(category_tables(comparison))
    if comparison.has_small_samples():
        out.append(f"[yellow]{SMALL_SAMPLE_LEGEND}[/yellow]")
    out.extend(f"[yellow]note:[/yellow] {note}" for note in comparison.notes)
    return out


_STATUS = {
    "pass": "[green]PASS[/green]",
    "fail": "[red]FAIL[/red]",
    "skip": "[yellow]SKIP[/yellow]",
}


def gate_renderables(result: GateResult) -> list[Any]:
    from rich.table import Table

    table = Table(title=f"gate: run {result.candidate.run_id}", title_justify="left")
    columns = ("check", "baseline", "candidate", "change", "p", "verdict", "why")
    for name in columns:
        table.add_column(name, justify="right" if name in columns[1:5] else "left")
    for check in result.checks:
        change = "-"
        if check.diff is not None:
            interval = fmt_interval(check.low, check.high, signed=True)
            change = f"{fmt(check.diff, signed=True)}\n[dim]{interval}[/dim]"
        value = (
            fmt(check.value)
            if check.kind == "regression"
            else _cell(check.value, check.low, check.high)
        )
        table.add_row(
            check.name
            if check.kind != "regression"
            else f"{check.name}\n[dim]{check.threshold_text}[/dim]",
            fmt(check.baseline),
            value,
            change,
            fmt_p(check.p_value),
            _STATUS[check.status],
            check.message,
        )
    out: list[Any] = [table]
    if result.worst_cases:
        worst = Table(title=result.worst_title, title_justify="left")
        for name in ("case", "tags", "baseline", "candidate", "problems"):
            worst.add_column(name, justify="right" if name in ("baseline", "candidate") else "left")
        for case in result.worst_cases:
            worst.add_row(
                case.case_id,
                ", ".join(case.tags),
                fmt(case.baseline),
                fmt(case.candidate),
                "\n".join(case.problems) or "-",
            )
        out.append(worst)
    out.extend(f"[yellow]note:[/yellow] {note}" for note in result.notes)
    verdict = "[bold green]PASSED[/bold green]" if result.passed else "[bold red]FAILED[/bold red]"
    out.append(f"{verdict}: {result.summary}")
    return out


def summary_table(
    title: str, metrics: Mapping[str, MetricRow], names: Sequence[str] = HEADLINE
) -> Any:
    """A rich table of the headline metrics with their intervals (and the pooled and
    provenance retrieval metrics when the run has them)."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("95% CI", justify="right")
    table.add_column("n", justify="right")
    extras = [
        name
        for name in (*POOLED_HEADLINE, *PROVENANCE_HEADLINE)
        if name not in names and getattr(metrics.get(name), "value", None) is not None
    ]
    for name in (*names, *extras):
        row = metrics.get(name)
        if row is None:
            continue
        interval = "-" if row.ci_low is None else f"[{fmt(row.ci_low)}, {fmt(row.ci_high)}]"
        table.add_row(name, fmt(row.value), interval, str(row.n))
    return table
