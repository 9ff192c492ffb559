"""``harness run``: replay a dataset through a memory system and record the results in DuckDB.

Only typer is imported at module level; the runner (LanceDB, DuckDB, litellm) loads inside the
command. Exit codes: 0 finished; 1 every case failed (the run is recorded with status
``failed``) or a case met an unexpected error (a bug: see the log); 2 bad usage or data (the
message names the file, model or template); 130 interrupted (the message says how to resume).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from harness.cli._options import (
    CallTimeoutOpt,
    DbOpt,
    ExecutorKind,
    ExecutorOpt,
    MaxRetriesOpt,
    ProgressKind,
    RateLimitOpt,
    RayAddressOpt,
    executor_from,
    option,
    progress_option,
    set_call_limits,
)

_RESUME_MAY_CHANGE = {
    "concurrency",
    "db",
    "as_json",
    "progress",
    "resume",
    "call_timeout",
    "max_retries",
    "executor",
    "ray_address",
    "rate_limit",
}


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


class Protocol(StrEnum):
    locomo = "locomo"
    longmemeval = "longmemeval"


class Split(StrEnum):
    train = "train"
    dev = "dev"
    test = "test"


# One alias per option, so the command signature stays one line per option.
DatasetOpt = Annotated[
    Path | None,
    option("--dataset", "-d", envvar="HARNESS_DATASET", help="JSONL case file (default: "
         "datasets/core.jsonl)."),
]  # fmt: skip
ModelOpt = Annotated[
    str | None,
    option("--model", "-m", envvar="HARNESS_MODEL", help="litellm model string, scripted/NAME, "
         "local/NAME or baseline/heuristic|oracle|noop (default: baseline/heuristic)."),
]  # fmt: skip
SystemOpt = Annotated[
    str | None,
    option("--system", "-s", envvar="HARNESS_SYSTEM", help="System under test: harness (this "
         "project's, for --model) or module:attr naming your own: a memory manager object or a "
         "function fn(session, memories) (default: harness)."),
]  # fmt: skip
PromptOpt = Annotated[
    str | None,
    option("--prompt", "-p", envvar="HARNESS_PROMPT", help="Instruction template: a name in "
         "prompts/ or a file path (default: default)."),
]  # fmt: skip
NameOpt = Annotated[str | None, option("--name", help="A name to find the run by.")]
RepeatsOpt = Annotated[int | None, option("--repeats", "-r", min=1, help="Runs per case (1).")]
ConcurrencyOpt = Annotated[
    int | None,
    option("--concurrency", "-c", min=1, envvar="HARNESS_CONCURRENCY",
         help="Model calls at once, run-wide (default: 8)."),
]  # fmt: skip
LimitOpt = Annotated[int | None, option("--limit", "-n", min=0, help="Only the first N cases.")]
TagsOpt = Annotated[
    list[str] | None,
    option("--tags", "-t", help="Only cases with any of these tags (repeat or comma-separate)."),
]
CaseOpt = Annotated[list[str] | None, option("--case", help="Only this case id (repeatable).")]
SplitOpt = Annotated[Split | None, option("--split", help="Only the train, dev or test split.")]
StateOpt = Annotated[
    State | None,
    option("--state", help="predicted: sessions build on the system's own memories; gold: reset "
         "the store to the gold state before each session (default: predicted)."),
]  # fmt: skip
CacheOpt = Annotated[
    CacheMode | None,
    option("--cache", envvar="HARNESS_CACHE", help="Response cache mode (default: read-write)."),
]
ResumeOpt = Annotated[
    str | None, option("--resume", help="Finish run RUN_ID (or name): replay only what is missing.")
]
JsonOpt = Annotated[
    bool, option("--json", help="Print one JSON object (run id, every metric with its CI) only.")
]
MatcherOpt = Annotated[
    str | None,
    option("--matcher", envvar="HARNESS_MATCHER", help="default, exact, token_f1, embedding or "
         "llm (default: default)."),
]  # fmt: skip
ThresholdOpt = Annotated[
    float | None, option("--matcher-threshold", help="Override the matcher's calibrated threshold.")
]
JudgeOpt = Annotated[
    str | None,
    option(
        "--judge-model",
        envvar="HARNESS_JUDGE_MODEL",
        help="Judge model: grades answers (with --answer-model) and serves --matcher llm.",
    ),
]
AnswerModelOpt = Annotated[
    str | None,
    option(
        "--answer-model",
        envvar="HARNESS_ANSWER_MODEL",
        help="Answer queries that have a reference answer with this model "
        "(baseline/extractive works offline).",
    ),
]
AnswerTemplateOpt = Annotated[
    str | None,
    option(
        "--answer-template",
        help="Answer template in prompts/answer/ or a path "
        "(default: locomo for LoCoMo imports, else default).",
    ),
]
AnswerModeOpt = Annotated[
    Mode | None,
    option("--answer-search-mode", help="How answers find memories (default: --retrieval-mode)."),
]
AnswerTopKOpt = Annotated[
    int | None, option("--answer-top-k", min=1, help="Memories shown to the answer model (10).")
]
JudgeProtocolOpt = Annotated[
    Protocol | None,
    option("--judge-protocol", help="locomo or longmemeval (default: by the dataset's origin)."),
]
SearchModeOpt = Annotated[
    list[Mode] | None,
    option("--search-mode", help="Retrieval mode(s) to score queries in (default: all three)."),
]
TopKOpt = Annotated[int | None, option("--top-k", min=1, help="Memories per query (default: 10).")]
PooledOpt = Annotated[
    bool | None,
    option("--pooled/--no-pooled", help="Also search every query in one pool of all cases' gold "
         "memories plus >= 500 near-duplicates (pooled_* metrics; off)."),
]  # fmt: skip
RetrievalModeOpt = Annotated[
    Mode | None,
    option("--retrieval-mode", help="How the store manager finds related memories (vector)."),
]
QueryLimitOpt = Annotated[
    int | None, option("--query-limit", min=1, help="Memories the store manager shows (5).")
]
InsertsOpt = Annotated[
    bool | None, option("--enable-inserts/--no-enable-inserts", help="Allow inserts (on).")
]
UpdatesOpt = Annotated[
    bool | None, option("--enable-updates/--no-enable-updates", help="Allow updates (on).")
]
DeletesOpt = Annotated[
    bool | None, option("--enable-deletes/--no-enable-deletes", help="Allow deletes (on).")
]
MaxStepsOpt = Annotated[int | None, option("--max-steps", min=1, help="Steps per call (1).")]
TemperatureOpt = Annotated[float | None, option("--temperature", help="Sampling temperature (0).")]
TodayOpt = Annotated[str | None, option("--today", help="Date templates resolve dates by.")]
EmbedderOpt = Annotated[str | None, option("--embedder", help="Embedding model (minilm).")]
ResamplesOpt = Annotated[
    int | None, option("--resamples", min=0, help="Bootstrap resamples for the CIs (1000).")
]
SeedOpt = Annotated[int | None, option("--seed", help="Bootstrap seed (0).")]
ProgressOpt = Annotated[ProgressKind, progress_option(...)]

_NOT_CONFIG = {
    "resume",
    "db",
    "as_json",
    "progress",
    "call_timeout",
    "max_retries",
    "executor",
    "ray_address",
    "rate_limit",
}
_RENAMED = {"resamples": "n_resamples"}


def run(
    ctx: typer.Context,
    dataset: DatasetOpt = None,
    model: ModelOpt = None,
    system: SystemOpt = None,
    prompt: PromptOpt = None,
    name: NameOpt = None,
    repeats: RepeatsOpt = None,
    concurrency: ConcurrencyOpt = None,
    limit: LimitOpt = None,
    tags: TagsOpt = None,
    case_ids: CaseOpt = None,
    split: SplitOpt = None,
    state: StateOpt = None,
    cache: CacheOpt = None,
    resume: ResumeOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    matcher: MatcherOpt = None,
    matcher_threshold: ThresholdOpt = None,
    judge_model: JudgeOpt = None,
    answer_model: AnswerModelOpt = None,
    answer_template: AnswerTemplateOpt = None,
    answer_search_mode: AnswerModeOpt = None,
    answer_top_k: AnswerTopKOpt = None,
    judge_protocol: JudgeProtocolOpt = None,
    search_modes: SearchModeOpt = None,
    top_k: TopKOpt = None,
    pooled: PooledOpt = None,
    retrieval_mode: RetrievalModeOpt = None,
    query_limit: QueryLimitOpt = None,
    enable_inserts: InsertsOpt = None,
    enable_updates: UpdatesOpt = None,
    enable_deletes: DeletesOpt = None,
    max_steps: MaxStepsOpt = None,
    temperature: TemperatureOpt = None,
    today: TodayOpt = None,
    embedder: EmbedderOpt = None,
    call_timeout: CallTimeoutOpt = None,
    max_retries: MaxRetriesOpt = None,
    resamples: ResamplesOpt = None,
    seed: SeedOpt = None,
    progress: ProgressOpt = ProgressKind.auto,
    executor: ExecutorOpt = ExecutorKind.local,
    ray_address: RayAddressOpt = None,
    rate_limit: RateLimitOpt = None,
) -> None:
    """Replay a dataset through a memory manager and record every result in DuckDB."""
    if resume is not None:
        _check_resume_options(ctx)
    set_call_limits(call_timeout, max_retries)
    shards = executor_from(executor, ray_address, rate_limit)
    _execute(_config_options(ctx.params), resume, db, as_json, progress.value, shards)


def _config_options(params: dict[str, Any]) -> dict[str, Any]:
    """The RunConfig fields given on the command line or by environment variables."""
    options: dict[str, Any] = {}
    for name, value in params.items():
        if name in _NOT_CONFIG or value is None or value in ([], ()):
            continue
        if name in ("tags", "case_ids"):
            value = _split_list(value)
        options[_RENAMED.get(name, name)] = _plain(value)
    return options


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value


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
            "configuration it started with (only --concurrency, --db, --json, --progress, "
            "--call-timeout, --max-retries, --executor, --ray-address and --rate-limit may be "
            "given)"
        )


def _execute(
    options: dict[str, Any],
    resume: str | None,
    db: Path | None,
    as_json: bool,
    progress: str,
    executor: Any = None,
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
    if config is not None:
        for model in (config.model, config.answer_model, config.judge_model):
            if model is not None:
                _check_credentials(model)
    run_id = resume or new_run_id()
    result = _run_with_interrupt(
        config, run_id, resume, db, options.get("concurrency"), progress, executor
    )
    _report(result, db, as_json)
    if not result.ok:
        typer.secho(
            f"every case of run {result.run_id} failed: the run is recorded with status failed",
            err=True,
            fg="red",
        )
        raise typer.Exit(1)
    if result.bugs:
        typer.secho(
            f"{result.bugs} case(s) of run {result.run_id} met an unexpected error "
            "(a bug; the traceback is in the log)",
            err=True,
            fg="red",
        )
        raise typer.Exit(1)


def _check_credentials(model: str) -> None:
    """Fail before the run starts when a hosted model's key is not set, instead of per case."""
    from harness.errors import ConfigurationError

    if "/" not in model or model.split("/", 1)[0] in {
        "baseline",
        "reference",
        "scripted",
        "local",
        "custom",
    }:
        return
    from harness.models._litellm import missing_credentials

    missing = missing_credentials(model)
    if missing:
        raise ConfigurationError(
            f"model {model!r} needs {', '.join(missing)} in the environment; set it, or pick an "
            "offline model: baseline/heuristic, local/smollm2-135m, or scripted/<name> in tests"
        )


def _problems(exc: Any) -> str:
    """``field: reason`` per problem; a problem of the whole configuration has no field."""
    problems = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)


def _run_with_interrupt(config, run_id, resume, db, concurrency, progress, executor) -> Any:
    """Run on the harness event loop; Ctrl-C, SIGTERM or SIGHUP stop it cleanly and say how to
    resume (exit 128 + the signal number: 130 for Ctrl-C)."""
    from harness.cli._interrupt import Interrupted, run_interruptible
    from harness.runner.engine import arun
    from harness.runner.progress import make_progress

    coro = arun(
        config,
        db=db,
        resume=resume,
        run_id=None if resume else run_id,
        concurrency=concurrency if resume else None,
        progress=make_progress(progress),
        executor=executor,
    )
    try:
        return run_interruptible(coro)
    except Interrupted as stop:
        typer.secho(
            f"interrupted ({stop}): cases in flight were lost, the rest is recorded; finish with "
            f"harness run --resume {run_id}" + (f" --db {db}" if db else ""),
            err=True,
            fg="yellow",
        )
        raise typer.Exit(stop.exit_code) from None


def _report(result: Any, db: Path | None, as_json: bool) -> None:
    from harness.reports._console import summary_table
    from harness.results import open_results
    from harness.results.summary import metrics_json

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
