"""``harness matrix FILE``: run every dataset x model x system x template combination, compare
them all.

Combinations already finished in the results database (same configuration and content) are
reused, unfinished ones resumed, so re-running the command after an interruption or an edit
does only what is missing. Exit codes: 0 done; 1 a combination failed (the others ran and are
compared; a failed combination is never reused as done: ``--retry-failed`` runs it again); 2 bad
matrix file or options; 130 interrupted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from harness.cli._options import (
    ExecutorKind,
    ProgressKind,
    call_timeout_option,
    db_option,
    executor_from,
    executor_option,
    markdown_option,
    max_retries_option,
    progress_option,
    rate_limit_option,
    ray_address_option,
    set_call_limits,
    stats_options,
)
from harness.cli.compare import check_outputs, compare_options, print_comparison, write_text

_STATS = stats_options()


def _plan_table(entries: list[Any]) -> Any:
    from rich.table import Table

    table = Table(title="matrix plan", title_justify="left")
    systems = any(e.combination.system for e in entries)
    columns = ("#", "dataset", "model", *(("system",) if systems else ()), "template")
    for name in (*columns, "plan", "run", "key"):
        table.add_column(name)
    for e in entries:
        c = e.combination
        table.add_row(
            str(c.index + 1),
            c.dataset_name,
            c.model,
            *((c.system or "harness",) if systems else ()),
            c.prompt,
            e.status if e.status != "planned" else e.plan,
            e.run_id or "-",
            c.key[:12],
        )
    return table


def _progress(kind: str, parallel: int) -> Any:
    from harness.runner.progress import PlainProgress, make_progress

    if parallel > 1 and kind in ("auto", "rich"):
        return lambda entry: PlainProgress()  # bars of concurrent runs would overwrite each other
    return lambda entry: make_progress(kind)


def matrix(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Matrix file (TOML)."),
    db: Path | None = db_option(),
    parallel: int | None = typer.Option(
        None, "--parallel", min=1, help="Combinations run at once (default: the file's, or 1)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Only show what would run, is finished or would resume."
    ),
    retry_failed: bool = typer.Option(
        False,
        "--retry-failed",
        help="Run again the combinations whose last run failed (every case errored); "
        "without it they are reported failed again.",
    ),
    force: bool = typer.Option(
        False, "--force", help="Run every combination anew, even those finished already."
    ),
    call_timeout: float | None = call_timeout_option(),
    max_retries: int | None = max_retries_option(),
    metrics: list[str] = typer.Option(
        None, "--metric", help="Metric to show (repeatable; default: the headline metrics)."
    ),
    by_tag: bool = typer.Option(False, "--by-tag", help="Add a per-tag breakdown."),
    category_metrics: list[str] = typer.Option(
        None,
        "--category-metric",
        help="Answer metric of the per-category tables, when the runs answered questions "
        "(repeatable; default: qa_j and qa_f1).",
    ),
    progress: ProgressKind = progress_option(),
    resamples: int = _STATS["resamples"],
    permutations: int = _STATS["permutations"],
    seed: int = _STATS["seed"],
    confidence: float = _STATS["confidence"],
    alpha: float = _STATS["alpha"],
    as_json: bool = typer.Option(False, "--json", help="Print entries and comparison as JSON."),
    markdown: str | None = markdown_option("the comparison"),
    executor: ExecutorKind = executor_option(),
    ray_address: str | None = ray_address_option(),
    rate_limit: list[str] | None = rate_limit_option(),
) -> None:
    """Run a matrix of datasets x models x templates (resumable) and compare the runs.

    Paired differences are shown between combinations that differ in one factor only (one
    template against another for the same model and dataset, one model against another).
    """
    import json

    from rich.console import Console

    from harness.reports._markdown import comparison_markdown
    from harness.reports.matrix import compare_matrix
    from harness.results import open_results
    from harness.runner.matrix import load_matrix, plan_matrix

    set_call_limits(call_timeout, max_retries)
    check_outputs(markdown)
    config = load_matrix(file)
    shards = executor_from(executor, ray_address, rate_limit)
    options = compare_options(
        metrics=metrics or None,
        by_tag=by_tag,
        category_metrics=category_metrics or None,
        n_resamples=resamples,
        n_permutations=permutations,
        seed=seed,
        confidence=confidence,
        alpha=alpha,
    )
    err = Console(stderr=True)
    with open_results(db) as store:
        if dry_run:
            entries = plan_matrix(config, store, retry_failed=retry_failed, force=force)
            if as_json:
                typer.echo(json.dumps([e.as_dict() for e in entries]))
            else:
                Console().print(_plan_table(entries))
            return
        result = _run(config, store, parallel, progress.value, retry_failed, force, shards)
        if not as_json:
            err.print(_plan_table(result.entries))
        for entry in result.failed:
            typer.secho(f"failed {entry.combination.label}: {entry.error}", err=True, fg="red")
        if len(result.failed) == len(result.entries):
            if as_json:
                typer.echo(json.dumps({**result.as_dict(), "comparison": None}))
            raise typer.Exit(1)
        comparison = compare_matrix(store, result, options)
    if markdown:
        write_text(comparison_markdown(comparison, title=f"Matrix {config.name}"), markdown)
    if as_json:
        typer.echo(json.dumps({**result.as_dict(), "comparison": comparison.as_dict()}))
    elif markdown != "-":
        print_comparison(comparison)
    if result.failed:
        raise typer.Exit(1)


def _run(
    config: Any,
    store: Any,
    parallel: int | None,
    progress: str,
    retry_failed: bool,
    force: bool,
    executor: Any = None,
) -> Any:
    """Run on the harness event loop; Ctrl-C, SIGTERM or SIGHUP stop cleanly and say how to go
    on."""
    from harness.cli._interrupt import Interrupted, run_interruptible
    from harness.runner.matrix import arun_matrix

    workers = parallel or config.parallel
    coro = arun_matrix(
        config,
        db=store,
        parallel=workers,
        progress=_progress(progress, workers),
        retry_failed=retry_failed,
        force=force,
        executor=executor,
    )
    try:
        return run_interruptible(coro)
    except Interrupted as stop:
        typer.secho(
            f"interrupted ({stop}): finished combinations are recorded; run the same command "
            "again to resume the rest",
            err=True,
            fg="yellow",
        )
        raise typer.Exit(stop.exit_code) from None
