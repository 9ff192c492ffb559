"""``harness runs list|show|delete|rename``: find, inspect and tidy the runs of a results database.

DuckDB and rich load inside the commands, so ``harness --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from harness.cli._options import db_option, option

app = typer.Typer(help="List, inspect, rename and delete recorded runs.", no_args_is_help=True)

LIST_METRICS = ("micro_f1", "update_f1", "final_f1")
"""Headline metrics ``runs list`` shows per run."""


@app.command("list")
def list_runs(
    db: Path | None = db_option(),
    status: str | None = option(
        "--status", default=None, help="Only runs with this status (finished, failed, ...)."
    ),
    as_json: bool = option("--json", default=False, help="Print one JSON object per run."),
) -> None:
    """Every run, oldest first: id, name, status, model, template, dataset, cases, errors and
    headline metrics."""
    from harness.results import open_results

    with open_results(db, read_only=True) as store:
        rows = [
            _listing(row) for row in store.query(_LIST_SQL) if not status or row["status"] == status
        ]
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, default=str, allow_nan=False))
        return
    if not rows:
        typer.echo("no runs" + (f" with status {status}" if status else ""), err=True)
        return
    from rich.console import Console
    from rich.table import Table

    from harness.reports._format import fmt

    table = Table(title=f"{len(rows)} run(s)", title_justify="left")
    for column in ("run", "name", "status", "model", "template", "dataset", "cases", "errors"):
        table.add_column(column, justify="right" if column in ("cases", "errors") else "left")
    for metric in LIST_METRICS:
        table.add_column(metric, justify="right")
    for row in rows:
        table.add_row(
            row["run_id"],
            row["name"] or "",
            row["status"],
            row["model"],
            row["template"],
            f"{row['dataset']} ({row['state']})",
            str(row["cases"]),
            str(row["errors"]),
            *(fmt(row["metrics"][m]) for m in LIST_METRICS),
        )
    Console(width=max(Console().width, 160)).print(table)


_LIST_SQL = f"""
SELECT run_id, name, status, model, template_name, dataset_name, state_mode, n_cases, errors,
       started_at, {", ".join(LIST_METRICS)}
FROM run_summary ORDER BY started_at, run_id
"""  # the metric names are the constants above, columns of the run_summary view


def _listing(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "run_id": row["run_id"],
        "name": row["name"],
        "status": row["status"],
        "model": row["model"],
        "template": row["template_name"],
        "dataset": row["dataset_name"],
        "state": row["state_mode"],
        "cases": row["n_cases"],
        "errors": row["errors"],
        "started_at": row["started_at"].isoformat(timespec="seconds"),
        "metrics": {m: row[m] for m in LIST_METRICS},
    }


@app.command("show")
def show(
    run: str = typer.Argument(..., help="Run id or name."),
    db: Path | None = db_option(),
    as_json: bool = option("--json", default=False, help="Print the run record as JSON."),
) -> None:
    """A run's identity, the options it ran with (those that differ from the defaults), the code
    that produced it and its headline metrics."""
    from harness.results import open_results

    with open_results(db, read_only=True) as store:
        record = store.find_run(run)
        metrics = store.run_metrics(record.run_id)
        cases = store.case_results(record.run_id)
    if as_json:
        from dataclasses import asdict

        payload = {k: v for k, v in asdict(record).items() if k != "template_text"}
        payload["metrics"] = {m: asdict(row) for m, row in metrics.items()}
        typer.echo(json.dumps(payload, default=str, allow_nan=False))
        return
    from rich.console import Console

    from harness.reports._console import summary_table

    errors = sum(1 for case in cases if case.status != "ok")
    console = Console(width=max(Console().width, 120))
    for label, value in _facts(record, len(cases), errors):
        console.print(f"[bold]{label}:[/bold] {value}", highlight=False, soft_wrap=True)
    if metrics:
        console.print(summary_table("headline metrics", metrics))


def _facts(record: Any, case_repeats: int, errors: int) -> list[tuple[str, str]]:
    from harness.runner.config import RunConfig

    defaults = RunConfig().model_dump(mode="json")
    changed = {
        k: v
        for k, v in (record.parameters or {}).items()
        if k not in _SHOWN and defaults.get(k, object()) != v
    }
    facts = [
        ("run", record.run_id + (f" ({record.name})" if record.name else "")),
        ("status", record.status + (f": {record.error}" if record.error else "")),
        ("started", f"{record.started_at:%Y-%m-%d %H:%M:%S} UTC"),
        ("finished", f"{record.finished_at:%Y-%m-%d %H:%M:%S} UTC" if record.finished_at else "-"),
        ("model", record.model),
        ("template", f"{record.template_name} (sha256 {record.template_hash[:12]})"),
        ("dataset", f"{record.dataset_name} (sha256 {record.dataset_hash[:12]}, "
                    f"{record.n_cases} cases x {record.repeats} repeats, {case_repeats} recorded, "
                    f"{errors} errors)"),
        ("state", record.state_mode),
        ("matcher", record.matcher + (f" at {record.matcher_threshold:.4f}"
                                      if record.matcher_threshold is not None else "")),
        ("options", ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(changed.items()))
         or "defaults"),
        ("harness", f"{record.harness_version}"
                    + (f" at {record.git_revision}" if record.git_revision else "")
                    + f", {record.python_version}"),
    ]  # fmt: skip
    if record.parent_run_id:
        facts.append(("re-judged from", record.parent_run_id))
    return facts


_SHOWN = {"dataset", "model", "prompt", "name", "state", "matcher", "matcher_threshold"}
"""Options ``runs show`` prints on lines of their own."""


@app.command("rename")
def rename(
    run: str = typer.Argument(..., help="Run id or name."),
    new_name: str = typer.Argument(..., help="The new name."),
    db: Path | None = db_option(),
) -> None:
    """Give a run a new name (find it by that name in compare, report, gate...)."""
    from harness.errors import ConfigurationError
    from harness.results import open_results

    if not new_name.strip():
        raise ConfigurationError("the new name must not be empty")
    with open_results(db) as store:
        record = store.find_run(run)
        store.rename_run(record.run_id, new_name.strip())
    typer.echo(f"renamed run {record.run_id}: {record.name or '(no name)'} -> {new_name.strip()}")


@app.command("delete")
def delete(
    runs: list[str] = typer.Argument(..., help="Run ids or names."),
    db: Path | None = db_option(),
    yes: bool = option("--yes", "-y", default=False, help="Do not ask for confirmation."),
) -> None:
    """Delete runs and every row they wrote (cases, ops, queries, calls, answers, metrics)."""
    from harness.results import open_results

    with open_results(db) as store:
        records = list({r.run_id: r for r in (store.find_run(ref) for ref in runs)}.values())
        labels = ", ".join(r.run_id + (f" ({r.name})" if r.name else "") for r in records)
        if not yes and not typer.confirm(f"delete {labels} from {store.where}?"):
            typer.echo("nothing deleted", err=True)
            raise typer.Exit(1)
        for record in records:
            counts = store.delete_run(record.run_id)
            rows = sum(counts.values())
            typer.echo(f"deleted run {record.run_id}: {rows} rows in {len(counts)} tables")
