"""``harness run``: replay a dataset through a memory system and record the results in DuckDB.

Only typer is imported at module level; the runner (LanceDB, DuckDB, litellm) loads inside the
command. Exit codes: 0 finished; 1 finished, but every case failed or a case met an unexpected
error (a bug: see the log); 2 bad usage or data (the message names the file, model or
template); 130 interrupted (the message says how to resume).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

_RESUME_MAY_CHANGE = {"concurrency", "db", "as_json", "progress", "resume"}


class State(StrEnum):
    predicted = "predicted"
    gold = "gold"


class CacheMode(StrEnum):
    read_write = "read-write"
    read_only = "read-only"
    off = "off"


class Mode(StrEnum):
    vector = "vector"
    fts = "fts"
    hybrid = "hybrid"


class Split(StrEnum):
    train = "train"
    dev = "dev"
    test = "test"


class ProgressKind(StrEnum):
    auto = "auto"
    rich = "rich"
    plain = "plain"
    none = "none"


def _opt(default: Any, *names: str, help: str, envvar: str | None = None, **kw: Any) -> Any:
    return typer.Option(default, *names, help=help, envvar=envvar, show_envvar=bool(envvar), **kw)


def run(
    ctx: typer.Context,
    dataset: Path | None = _opt(
        None,
        "--dataset",
        "-d",
        envvar="HARNESS_DATASET",
        help="JSONL case file (default: datasets/core.jsonl).",
    ),
    model: str | None = _opt(
        None,
        "--model",
        "-m",
        envvar="HARNESS_MODEL",
        help="litellm model string, scripted/NAME, local/NAME or baseline/heuristic|oracle|noop "
        "(default: baseline/heuristic).",
    ),
    prompt: str | None = _opt(
        None,
        "--prompt",
        "-p",
        envvar="HARNESS_PROMPT",
        help="Instruction template: a name in prompts/ or a file path (default: default).",
    ),
    name: str | None = _opt(None, "--name", help="A name for the run (resume and compare by it)."),
    repeats: int | None = _opt(None, "--repeats", "-r", min=1, help="Runs per case (default: 1)."),
    concurrency: int | None = _opt(
        None,
        "--concurrency",
        "-c",
        min=1,
        envvar="HARNESS_CONCURRENCY",
        help="Cases replayed at once (default: 8).",
    ),
    limit: int | None = _opt(None, "--limit", "-n", min=0, help="Only the first N cases."),
    tags: list[str] | None = _opt(
        None, "--tags", "-t", help="Only cases with any of these tags (repeat or comma-separate)."
    ),
    case_ids: list[str] | None = _opt(None, "--case", help="Only this case id (repeatable)."),
    split: Split | None = _opt(None, "--split", help="Only the train, dev or test split."),
    state: State | None = _opt(
        None,
        "--state",
        help="predicted: sessions build on the system's own memories; gold: reset the store to "
        "the gold state before each session (isolates per-session errors) (default: predicted).",
    ),
    cache: CacheMode | None = _opt(
        None, "--cache", envvar="HARNESS_CACHE", help="Response cache mode (default: read-write)."
    ),
    resume: str | None = _opt(
        None, "--resume", help="Finish run RUN_ID (or name): replay only what is missing."
    ),
    db: Path | None = _opt(
        None,
        "--db",
        envvar="HARNESS_DB",
        help="Results database (default: reports/harness.duckdb).",
    ),
    as_json: bool = _opt(
        False, "--json", help="Print one JSON object (run id, every metric with its CI) only."
    ),
    matcher: str | None = _opt(
        None,
        "--matcher",
        envvar="HARNESS_MATCHER",
        help="default, exact, token_f1, embedding or llm (default: default).",
    ),
    matcher_threshold: float | None = _opt(
        None, "--matcher-threshold", help="Override the matcher's calibrated threshold."
    ),
    judge_model: str | None = _opt(
        None, "--judge-model", envvar="HARNESS_JUDGE_MODEL", help="Judge for --matcher llm."
    ),
    search_modes: list[Mode] | None = _opt(
        None, "--search-mode", help="Retrieval mode(s) to score queries in (default: all three)."
    ),
    top_k: int | None = _opt(
        None, "--top-k", min=1, help="Memories retrieved per query (default: 10)."
    ),
    retrieval_mode: Mode | None = _opt(
        None,
        "--retrieval-mode",
        help="How the store manager finds related memories (default: vector).",
    ),
    query_limit: int | None = _opt(
        None,
        "--query-limit",
        min=1,
        help="Memories the store manager shows the model (default: 5).",
    ),
    enable_inserts: bool | None = _opt(
        None, "--enable-inserts/--no-enable-inserts", help="Allow inserts (default: on)."
    ),
    enable_updates: bool | None = _opt(
        None, "--enable-updates/--no-enable-updates", help="Allow updates (default: on)."
    ),
    enable_deletes: bool | None = _opt(
        None, "--enable-deletes/--no-enable-deletes", help="Allow deletes (default: on)."
    ),
    max_steps: int | None = _opt(
        None, "--max-steps", min=1, help="Extraction steps per call (default: 1)."
    ),
    temperature: float | None = _opt(
        None, "--temperature", help="Sampling temperature (default: 0)."
    ),
    today: str | None = _opt(None, "--today", help="Date templates resolve relative dates by."),
    embedder: str | None = _opt(None, "--embedder", help="Embedding model (default: minilm)."),
    resamples: int | None = _opt(
        None, "--resamples", min=0, help="Bootstrap resamples for the CIs (default: 1000)."
    ),
    seed: int | None = _opt(None, "--seed", help="Bootstrap seed (default: 0)."),
    progress: ProgressKind = _opt(
        ProgressKind.auto,
        "--progress",
        envvar="HARNESS_PROGRESS",
        help="Progress display on stderr: rich bar, plain lines or none.",
    ),
) -> None:
    """Replay a dataset through a memory manager and record every result in DuckDB."""
    given = {
        "dataset": str(dataset) if dataset is not None else None,
        "model": model,
        "prompt": prompt,
        "name": name,
        "repeats": repeats,
        "concurrency": concurrency,
        "limit": limit,
        "tags": _split_list(tags),
        "case_ids": _split_list(case_ids),
        "split": split.value if split else None,
        "state": state.value if state else None,
        "cache": cache.value if cache else None,
        "matcher": matcher,
        "matcher_threshold": matcher_threshold,
        "judge_model": judge_model,
        "search_modes": [m.value for m in search_modes] if search_modes else None,
        "top_k": top_k,
        "retrieval_mode": retrieval_mode.value if retrieval_mode else None,
        "query_limit": query_limit,
        "enable_inserts": enable_inserts,
        "enable_updates": enable_updates,
        "enable_deletes": enable_deletes,
        "max_steps": max_steps,
        "temperature": temperature,
        "today": today,
        "embedder": embedder,
        "n_resamples": resamples,
        "seed": seed,
    }
    options = {key: value for key, value in given.items() if value is not None}
    if resume is not None:
        _check_resume_options(ctx)
    _execute(options, resume, db, as_json, progress.value)


def _split_list(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _check_resume_options(ctx: typer.Context) -> None:
    """On resume the configuration comes from the database: refuse options that would change it."""
    changed = [
        param.opts[0]
        for param in ctx.command.params
        if param.name not in _RESUME_MAY_CHANGE
        and getattr(ctx.get_parameter_source(param.name), "name", None) == "COMMANDLINE"
    ]
    if changed:
        raise typer.BadParameter(
            f"{', '.join(changed)} cannot be combined with --resume: a resumed run keeps the "
            "configuration it started with (only --concurrency, --db, --json and --progress "
            "may be given)"
        )


def _execute(
    options: dict[str, Any], resume: str | None, db: Path | None, as_json: bool, progress: str
) -> None:
    from pydantic import ValidationError

    from harness.errors import ConfigurationError
    from harness.runner import RunConfig
    from harness.runner.engine import new_run_id

    config = None
    if resume is None:
        try:
            config = RunConfig.model_validate(options)
        except ValidationError as exc:
            raise ConfigurationError(f"invalid options: {_problems(exc)}") from exc
    run_id = resume or new_run_id()
    result = _run_with_interrupt(config, run_id, resume, db, options.get("concurrency"), progress)
    _report(result, db, as_json)
    if result.recorded and result.errors == result.recorded:
        typer.secho(f"every case of run {result.run_id} failed", err=True, fg="red")
        raise typer.Exit(1)
    if result.bugs:
        typer.secho(
            f"{result.bugs} case(s) of run {result.run_id} met an unexpected error "
            "(a bug; the traceback is in the log)",
            err=True,
            fg="red",
        )
        raise typer.Exit(1)


def _problems(exc: Any) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
    )


def _run_with_interrupt(config, run_id, resume, db, concurrency, progress) -> Any:
    """Run on the harness event loop; Ctrl-C cancels it cleanly and says how to resume."""
    import asyncio
    import concurrent.futures
    import contextlib

    from harness._async import background_loop
    from harness.runner.engine import arun
    from harness.runner.progress import make_progress

    coro = arun(
        config,
        db=db,
        resume=resume,
        run_id=None if resume else run_id,
        concurrency=concurrency if resume else None,
        progress=make_progress(progress),  # type: ignore[arg-type]
    )
    loop = background_loop()
    started: concurrent.futures.Future[asyncio.Task[Any]] = concurrent.futures.Future()

    async def main() -> Any:
        started.set_result(asyncio.current_task())  # type: ignore[arg-type]
        return await coro

    future = asyncio.run_coroutine_threadsafe(main(), loop)
    try:
        return future.result()
    except KeyboardInterrupt:
        # Cancel the task itself and wait for it: the run records its status and removes its
        # temporary store before this process exits.
        loop.call_soon_threadsafe(started.result(timeout=30).cancel)
        with contextlib.suppress(BaseException):
            future.result(timeout=60)
        typer.secho(
            f"interrupted: cases in flight were lost, the rest is recorded; finish with "
            f"harness run --resume {run_id}" + (f" --db {db}" if db else ""),
            err=True,
            fg="yellow",
        )
        raise typer.Exit(130) from None


def _report(result: Any, db: Path | None, as_json: bool) -> None:
    from harness.reports import open_results
    from harness.runner.summary import metrics_json, summary_table

    with open_results(db, read_only=False) as results:
        run = results.get_run(result.run_id)
        records = results.case_results(result.run_id)
    assert run is not None
    errors = sum(1 for r in records if r.status != "ok")
    payload = {
        "run_id": run.run_id,
        "name": run.name,
        "status": run.status,
        "model": run.model,
        "template": run.template_name,
        "template_hash": run.template_hash,
        "dataset": run.dataset_name,
        "dataset_hash": run.dataset_hash,
        "state": run.state_mode,
        "matcher": run.matcher,
        "cases": run.n_cases,
        "repeats": run.repeats,
        "case_repeats": len(records),
        "errors": errors,
        "metrics": metrics_json(result.metrics.values()),
    }
    if as_json:
        typer.echo(json.dumps(payload, allow_nan=False))
        return
    from rich.console import Console

    title = (
        f"run {run.run_id}: {run.model}, template {run.template_name}, "
        f"{run.dataset_name} ({len(records)} case x repeat, {errors} errors)"
    )
    Console().print(summary_table(title, result.metrics))
    _print_errors(records)


def _print_errors(records: list[Any], shown: int = 5) -> None:
    failed = [r for r in records if r.status != "ok"]
    for record in failed[:shown]:
        typer.echo(f"error in {record.case_id} (repeat {record.repeat}): {record.error}", err=True)
    if len(failed) > shown:
        typer.echo(f"... and {len(failed) - shown} more errors (table case_results)", err=True)
