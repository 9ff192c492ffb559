"""``harness judges agreement``: check a judge model against hand-labelled verdicts before its
J is trusted. Heavy imports stay inside the command, so ``harness --help`` stays fast."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(
    help="Check answer judges against hand-labelled judgements.",
    no_args_is_help=True,
)


@app.callback()
def judges() -> None:
    """Check answer judges against hand-labelled judgements."""


@app.command("agreement")
def agreement_command(
    judgements: Path = typer.Argument(
        ..., dir_okay=False, help="A JSONL file of hand-labelled judgements."
    ),
    judge_model: str = typer.Option(
        ..., "--judge-model", "-m", envvar="HARNESS_JUDGE_MODEL", help="The judge to check."
    ),
    concurrency: int = typer.Option(8, "--concurrency", "-c", min=1, help="Parallel judge calls."),
    cache: str = typer.Option(
        "read-write", "--cache", envvar="HARNESS_CACHE", help="Response cache mode."
    ),
    show: int = typer.Option(20, "--show", min=0, help="How many disagreements to list."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Accuracy, Cohen's kappa and the confusion matrix of a judge against human verdicts."""
    from harness._async import run_sync
    from harness.cli.run import _check_credentials
    from harness.data.judgements import load_judgements
    from harness.models.cache import ResponseCache
    from harness.models.gateway import get_model
    from harness.scoring.judge_agreement import agreement, ajudge_items

    labelled = load_judgements(judgements)
    _check_credentials(judge_model)
    model = get_model(judge_model, cache=ResponseCache(mode=cache))  # type: ignore[arg-type]
    items = run_sync(ajudge_items(model, labelled.judgements, concurrency=concurrency))
    report = agreement(items)
    if as_json:
        data = {"judgements": str(judgements), "judge_model": judge_model, **report.as_dict()}
        typer.echo(json.dumps(data, indent=2))
        return
    _print(report, judgements, judge_model, show)


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _print(report: Any, path: Path, judge_model: str, show: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=120)
    overall = report.overall
    typer.echo(
        f"{judge_model} against {overall.n} human verdicts in {path}"
        f" ({overall.judge_errors} judge errors, left out)"
    )
    typer.echo(f"accuracy {_fmt(overall.accuracy)}   Cohen's kappa {_fmt(overall.kappa)}")
    confusion = Table(title="confusion (rows: human, columns: judge)", title_justify="left")
    confusion.add_column("")
    confusion.add_column("judge correct", justify="right")
    confusion.add_column("judge wrong", justify="right")
    confusion.add_row(
        "human correct",
        str(overall.human_correct_judge_correct),
        str(overall.human_correct_judge_wrong),
    )
    confusion.add_row(
        "human wrong",
        str(overall.human_wrong_judge_correct),
        str(overall.human_wrong_judge_wrong),
    )
    console.print(confusion)
    for title, groups in (
        ("per protocol", report.per_protocol),
        ("per question type", report.per_type),
        ("per tag", report.per_tag),
    ):
        table = Table(title=title, title_justify="left")
        for column in ("", "n", "accuracy", "kappa", "judge errors"):
            table.add_column(column, justify="left" if not column else "right")
        for name, counts in groups.items():
            table.add_row(
                name,
                str(counts.n),
                _fmt(counts.accuracy),
                _fmt(counts.kappa),
                str(counts.judge_errors),
            )
        console.print(table)
    if report.disagreements and show:
        table = Table(title="disagreements", title_justify="left")
        for column in ("id", "human", "judge", "judge's reason"):
            table.add_column(column)
        for item in report.disagreements[:show]:
            human = "correct" if item.human else "wrong"
            table.add_row(item.id, human, item.verdict.label, item.verdict.reason or "")
        console.print(table)
    for item in report.errors[:show]:
        typer.echo(f"judge error on {item.id}: {item.verdict.error}")
