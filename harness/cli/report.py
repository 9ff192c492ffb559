"""``harness report``: render runs from the results database as one self-contained HTML file.

Only typer is imported at module level; DuckDB and Jinja2 load inside the command. Exit codes:
0 written; 2 bad usage or data (no such database or run).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from harness.cli._options import db_option


class Cases(StrEnum):
    failing = "failing"
    all = "all"
    none = "none"


def split_refs(values: list[str] | None) -> list[str]:
    """``["a,b", "c"]`` -> ``["a", "b", "c"]`` (blank items dropped)."""
    return [item.strip() for value in values or [] for item in value.split(",") if item.strip()]


def report(
    db: Path | None = db_option(),
    runs: list[str] | None = typer.Option(
        None,
        "--runs",
        "--run",
        help="Run id or name to include (repeat or comma-separate); kept in the order given.",
    ),
    latest: int | None = typer.Option(
        None, "--latest", min=1, help="The N most recent finished runs (default: up to 20)."
    ),
    output: Path = typer.Option(
        Path("reports/report.html"), "--output", "-o", help="HTML file to write."
    ),
    cases: Cases = typer.Option(
        Cases.failing,
        "--cases",
        help="Drill-down: cases failing in some run (most failures first), all cases, or none.",
    ),
    max_cases: int | None = typer.Option(
        None,
        "--max-cases",
        min=0,
        help="Most cases in the drill-down; the page notes the rest (default: 100 for up to 6 "
        "runs, 600 / runs with more, at least 10).",
    ),
    title: str = typer.Option("Memory harness report", "--title", help="Page title."),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON object (path, runs, cases, bytes, seconds) only."
    ),
) -> None:
    """Render a self-contained HTML report from the results database."""
    from harness.reports.html import ReportOptions, write_report

    options = ReportOptions(title=title, cases=cases.value, max_cases=max_cases)
    result = write_report(db, runs=split_refs(runs), latest=latest, output=output, options=options)
    if as_json:
        payload = {
            "path": str(result.path),
            "runs": result.n_runs,
            "cases": result.n_cases,
            "bytes": result.n_bytes,
            "seconds": round(result.seconds, 3),
        }
        typer.echo(json.dumps(payload))
        return
    size = f"{result.n_bytes / 1e6:.1f} MB" if result.n_bytes >= 1e5 else f"{result.n_bytes} B"
    typer.echo(
        f"report written to {result.path}: {result.n_runs} run{'s' * (result.n_runs != 1)}, "
        f"{result.n_cases} case{'s' * (result.n_cases != 1)} in the drill-down, {size}, "
        f"{result.seconds:.2f} s"
    )
