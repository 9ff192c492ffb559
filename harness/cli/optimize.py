"""``harness optimize``: improve an instruction template against the harness metric.

Only typer is imported at module level; the optimizer (runner, DuckDB, litellm) loads inside the
command. Exit codes: 0 finished (a winner written, or none when no candidate beat the start);
1 no proposal produced a template (nothing written); 2 bad usage, data, budget or an output
path that cannot be written (the message says what); 130 interrupted (the message says how to
resume).
"""

from __future__ import annotations

import json
from enum import StrEnum
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
    max_retries_option,
    option,
    progress_option,
    rate_limit_option,
    ray_address_option,
    set_call_limits,
)


class Metric(StrEnum):
    micro_f1 = "micro_f1"
    exact_session_accuracy = "exact_session_accuracy"
    final_f1 = "final_f1"
    qa_f1 = "qa_f1"
    qa_j = "qa_j"
    qa_bleu1 = "qa_bleu1"
    qa_em = "qa_em"


_RESUME_MAY_CHANGE = {
    "max_calls",
    "max_cost",
    "max_iterations",
    "db",
    "as_json",
    "progress",
    "resume",
    "call_timeout",
    "max_retries",
    "out",
    "executor",
    "ray_address",
    "rate_limit",
}


def optimize(
    ctx: typer.Context,
    prompt: str = option(
        "--prompt",
        "-p",
        default="default",
        help="Start template: a name in prompts/ or a file path.",
    ),
    dataset: str = option(
        "--dataset",
        "-d",
        default="datasets/core.jsonl",
        envvar="HARNESS_DATASET",
        help="JSONL cases: a path or a bundled dataset's name (core, long, social).",
    ),
    model: str | None = option(
        "--model",
        "-m",
        default=None,
        envvar="HARNESS_MODEL",
        help="Extraction model (litellm string).",
    ),
    proposer: str | None = option(
        "--proposer",
        default=None,
        envvar="HARNESS_PROPOSER",
        help="Model that reflects on failures and writes templates (litellm string).",
    ),
    max_calls: int | None = option(
        "--max-calls",
        default=None,
        min=0,
        help="Ceiling on model calls (extraction, judge, proposer).",
    ),
    max_cost: float | None = option("--max-cost", default=None, min=0.0, help="Ceiling in USD."),
    max_iterations: int | None = option(
        "--max-iterations", default=None, min=0, help="Ceiling on proposals (default: 10)."
    ),
    minibatch: int = option(
        "--minibatch", "-k", default=3, min=1, help="Failing cases per reflection."
    ),
    seed: int = option("--seed", default=0, help="Seed of every random choice."),
    metric: Metric = option(
        "--metric",
        default=Metric.micro_f1,
        help="The objective; qa_* score the answer stage (needs --run-option answer_model=...; "
        "qa_j also judge_model=...).",
    ),
    tags: list[str] | None = option(
        "--tags", "-t", default=None, help="Only cases with any of these tags."
    ),
    run_options: list[str] | None = option(
        "--run-option",
        default=None,
        help="A further run option for every evaluation, KEY=VALUE (e.g. max_steps=2, "
        "matcher=token_f1, concurrency=4); repeatable.",
    ),
    name: str | None = option(
        "--name", default=None, help="A name for the optimization (resume by it)."
    ),
    db: Path | None = db_option(),
    out: Path | None = option(
        "--out",
        "-o",
        default=None,
        help="Winner file (default: prompts/<start>-opt-<id>.j2 under the working directory); "
        "checked before the search, and may change on --resume.",
    ),
    resume: str | None = option(
        "--resume",
        default=None,
        help="Continue optimization OPT_ID (or name); budget options may be raised.",
    ),
    as_json: bool = option(
        "--json", default=False, help="Print the result as one JSON object only."
    ),
    progress: ProgressKind = progress_option(),
    call_timeout: float | None = call_timeout_option(),
    max_retries: int | None = max_retries_option(),
    executor: ExecutorKind = executor_option(),
    ray_address: str | None = ray_address_option(),
    rate_limit: list[str] | None = rate_limit_option(),
) -> None:
    """Improve an instruction template: reflect on failures, screen, select on dev, test."""
    from harness.cli._interrupt import Interrupted, run_interruptible
    from harness.optimize import aoptimize, make_progress

    set_call_limits(call_timeout, max_retries)
    budget = {"max_calls": max_calls, "max_cost": max_cost, "max_iterations": max_iterations}
    shards = executor_from(executor, ray_address, rate_limit)
    config = None
    if resume is None:
        config = _config(locals(), budget)
    else:
        _check_resume_options(ctx)
    try:
        result = run_interruptible(
            aoptimize(
                config,
                db=db,
                resume=resume,
                budget=budget if resume is not None else None,
                progress=make_progress("none" if as_json else progress.value),
                out=str(out) if resume is not None and out is not None else None,
                executor=shards,
            )
        )
    except Interrupted as stop:
        which = resume or (config.name if config is not None else None) or "ID"
        where = f" --db {db}" if db else ""
        typer.secho(
            f"interrupted ({stop}): continue with `harness optimize --resume {which}{where}`",
            err=True,
        )
        raise typer.Exit(stop.exit_code) from None
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    _print_result(result.model_dump(mode="json"))


def _check_resume_options(ctx: typer.Context) -> None:
    from harness.errors import ConfigurationError

    given = []
    for name in ctx.params:
        source = ctx.get_parameter_source(name)
        if name in _RESUME_MAY_CHANGE or source is None:
            continue
        if source.name not in ("DEFAULT", "DEFAULT_MAP", "ENVIRONMENT"):
            given.append(name)
    if given:
        opts = {param.name: param.opts[0] for param in ctx.command.params if param.opts}
        flags = ", ".join(sorted(opts.get(name, name) for name in given))
        raise ConfigurationError(
            f"--resume continues with the recorded options; only --max-calls, --max-cost, "
            f"--max-iterations, --out, --call-timeout and --max-retries may change "
            f"(got {flags})"
        )


def _config(values: dict[str, Any], budget: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    from harness.errors import ConfigurationError
    from harness.optimize import OptimizeConfig

    missing = [flag for flag, key in (("--model", "model"), ("--proposer", "proposer"))
               if not values[key]]  # fmt: skip
    if missing:
        raise ConfigurationError(f"{' and '.join(missing)} required to start an optimization")
    options = {
        "prompt": values["prompt"],
        "dataset": values["dataset"],
        "model": values["model"],
        "proposer": values["proposer"],
        "minibatch": values["minibatch"],
        "seed": values["seed"],
        "metric": values["metric"].value,
        "tags": _split(values["tags"]),
        "run": parse_run_options(values["run_options"] or []),
        "name": values["name"],
        "out": str(values["out"]) if values["out"] else None,
        **{key: value for key, value in budget.items() if value is not None},
    }
    try:
        return OptimizeConfig(**options)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}" for e in error.errors()
        )
        raise ConfigurationError(f"invalid optimize options: {problems}") from None


def parse_run_options(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; values are read as JSON when they parse (numbers, true, lists)."""
    from harness.errors import ConfigurationError

    options: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigurationError(f"--run-option {item!r}: expected KEY=VALUE")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        options[key.strip().replace("-", "_")] = value
    return options


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _print_result(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=120)
    console.print(
        f"[bold]optimization {result['opt_id']}[/bold]: {result['status']}; "
        f"stopped: {result['stop_reason']}"
    )
    spent = result["spent"]
    console.print(
        f"{result['iterations']} iterations, {result['candidates']} candidates, proposals: "
        f"{', '.join(f'{n} {k}' for k, n in result['proposals'].items()) or 'none'}; "
        f"{spent['calls']} calls ({spent['cached_calls']} cached), "
        f"${spent['cost_usd']:.4f}"
        + (f" ({spent['unpriced_calls']} calls unpriced)" if spent["unpriced_calls"] else "")
    )
    table = Table(title=f"{result['metric']} per candidate", title_justify="left")
    for column in ("candidate", "train", "dev"):
        table.add_column(column, justify="right" if column != "candidate" else "left")
    for candidate, value in result["train"].items():
        mark = " (winner)" if candidate == result["winner_id"] else ""
        table.add_row(candidate + mark, _num(value), _num(result["dev"].get(candidate)))
    console.print(table)
    _print_test(console, result)
    if result["winner_path"]:
        console.print(f"winner written to {result['winner_path']}", soft_wrap=True)
    elif result["status"] == "finished":
        console.print("no candidate beat the start template: no winner written")


def _print_test(console: Any, result: dict[str, Any]) -> None:
    from rich.table import Table

    test = result["test"]
    if test is None:
        console.print("no test report (the dataset has no test cases, or the budget ran out)")
        return
    pct = round(test["confidence"] * 100)
    table = Table(
        title=f"held-out test split ({len(test['case_ids'])} cases): "
        f"{test['winner_id']} vs start {test['start_id']}",
        title_justify="left",
    )
    for column in ("metric", "start", "winner", "diff", f"{pct}% CI", "p"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for metric, row in test["metrics"].items():
        interval = "-" if row["low"] is None else f"[{row['low']:+.4f}, {row['high']:+.4f}]"
        diff = "-" if row["diff"] is None else f"{row['diff']:+.4f}"
        p = "-" if row["p_value"] is None else f"{row['p_value']:.3f}"
        table.add_row(metric, _num(row["start"]), _num(row["winner"]), diff, interval, p)
    console.print(table)
