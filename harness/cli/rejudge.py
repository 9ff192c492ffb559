"""``harness rejudge``: grade a run's answers again with another judge, without answering again.

Only typer is imported at module level. Exit codes: 0 done; 2 bad usage or data (no such run,
a run without answers, an unknown protocol).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from harness.cli._options import (
    call_timeout_option,
    db_option,
    max_retries_option,
    set_call_limits,
)
from harness.cli.run import Protocol


def rejudge(
    run: str = typer.Argument(..., help="The run (id or name) whose answers are judged again."),
    judge_model: str = typer.Option(
        ...,
        "--judge-model",
        envvar="HARNESS_JUDGE_MODEL",
        show_envvar=True,
        help="The judge model grading the answers.",
    ),
    judge_protocol: Protocol | None = typer.Option(
        None, "--judge-protocol", help="locomo or longmemeval (default: by the dataset's origin)."
    ),
    name: str | None = typer.Option(None, "--name", help="A name to find the new run by."),
    concurrency: int | None = typer.Option(
        None, "--concurrency", "-c", min=1, help="Judge calls at once (default: the run's)."
    ),
    db: Path | None = db_option(),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON object (run id, parent, every metric with its CI)."
    ),
    call_timeout: float | None = call_timeout_option(),
    max_retries: int | None = max_retries_option(),
) -> None:
    """Judge a run's answers again in a new run linked to it; only judge calls are made."""
    from harness._async import run_sync
    from harness.cli.run import _check_credentials
    from harness.models.names import check_model_name
    from harness.reports._console import summary_table
    from harness.results.summary import metrics_json
    from harness.runner.rejudge import arejudge

    set_call_limits(call_timeout, max_retries)
    check_model_name(judge_model, "--judge-model")
    _check_credentials(judge_model)
    protocol = judge_protocol.value if judge_protocol else None
    run_id, metrics = run_sync(
        arejudge(
            run,
            judge_model=judge_model,
            judge_protocol=protocol,
            db=db,
            name=name,
            concurrency=concurrency,
        )
    )
    if as_json:
        payload = {
            "run_id": run_id,
            "parent": run,
            "judge_model": judge_model,
            "metrics": metrics_json(metrics.values()),
        }
        typer.echo(json.dumps(payload, allow_nan=False))
        return
    from rich.console import Console

    title = f"run {run_id}: the answers of {run} judged by {judge_model}"
    Console().print(summary_table(title, metrics))
