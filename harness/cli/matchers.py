"""``harness matchers evaluate|calibrate``: how well content matchers judge same-fact pairs.

Scoring code is imported inside the commands, so ``harness --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

app = typer.Typer(
    help="Check and calibrate the content matchers that decide whether a memory is right.",
    no_args_is_help=True,
)

DEFAULT_PAIRS = Path("datasets/matcher_pairs.jsonl")
HISTORY_TAG = "history"
"""Pairs whose candidate states the old value as past or negated, reported on their own."""


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


@app.command("evaluate")
def evaluate(
    pairs: Path = typer.Argument(..., exists=True, dir_okay=False, help="A JSONL pair file."),
    matcher: str = typer.Option(
        "default", "--matcher", "-m", help="default, exact, token_f1, embedding or llm."
    ),
    no_key_terms: bool = typer.Option(
        False, "--no-key-terms", help="Ignore require/forbid (cosine or F1 alone)."
    ),
    threshold: float | None = typer.Option(
        None, "--threshold", help="Override the calibrated threshold."
    ),
    model: str | None = typer.Option(
        None, "--model", envvar="HARNESS_JUDGE_MODEL", help="Judge model for --matcher llm."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Accuracy, precision and recall of a matcher on labeled pairs, at its calibrated threshold."""
    from harness.data import load_pairs
    from harness.scoring import evaluate as evaluate_pairs
    from harness.scoring import get_matcher

    pair_set = load_pairs(pairs)
    chosen = get_matcher(matcher, threshold=threshold, key_terms=not no_key_terms, model=model)
    report = evaluate_pairs(chosen, pair_set.pairs)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    _print_report(report.model_dump(), pairs)


def _print_report(report: dict[str, Any], path: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=120)
    terms = "with key terms" if report["key_terms"] else "without key terms"
    console.print(f"[bold]{report['matcher']}[/bold] on {path} ({terms})", soft_wrap=True)
    summary = Table(show_header=False)
    summary.add_column(style="bold")
    summary.add_column()
    rows = [
        ("pairs", str(report["n"])),
        ("threshold", f"{report['threshold']:.4f}"),
        ("accuracy", _pct(report["accuracy"])),
        ("precision", _pct(report["precision"])),
        ("recall", _pct(report["recall"])),
        ("f1", _pct(report["f1"])),
        ("tp / fp / tn / fn", f"{report['tp']} / {report['fp']} / {report['tn']} / {report['fn']}"),
    ]
    rows += _history_rows(report)
    for name, value in rows:
        summary.add_row(name, value)
    console.print(summary)
    if report["per_tag"]:
        tags = Table(title="accuracy per tag", title_justify="left")
        tags.add_column("tag")
        tags.add_column("pairs", justify="right")
        tags.add_column("accuracy", justify="right")
        for tag, numbers in report["per_tag"].items():
            tags.add_row(tag, str(numbers["n"]), _pct(numbers["accuracy"]))
        console.print(tags)


def _history_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    """Accuracy on the history-phrasing pairs (tag ``history``) and on the rest, apart."""
    history = report["per_tag"].get(HISTORY_TAG)
    if history is None:
        return []
    rest_n = report["n"] - history["n"]
    rest = (
        (report["accuracy"] * report["n"] - history["accuracy"] * history["n"]) / rest_n
        if rest_n
        else None
    )
    return [
        (f"accuracy on {HISTORY_TAG} pairs", f"{_pct(history['accuracy'])} of {history['n']}"),
        ("accuracy on other pairs", f"{_pct(rest)} of {rest_n}"),
    ]


@app.command("calibrate")
def calibrate(
    pairs: Path | None = typer.Argument(
        None,
        dir_okay=False,
        help="The labeled pair file to calibrate on (default: the bundled matcher_pairs.jsonl).",
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        dir_okay=False,
        help="Where to write (default: calibration.json in the working directory; runs read it "
        "when HARNESS_CALIBRATION names it).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the calibration as JSON."),
) -> None:
    """Find each offline matcher's accuracy-maximising threshold and store it.

    Records, per matcher, the threshold and accuracy/precision/recall with key terms and, for
    comparison, the best the similarity does alone.
    """
    from harness._bundled import resolve_data_file
    from harness.scoring.calibration import calibrate_file, write_calibration

    data = calibrate_file(resolve_data_file(pairs or DEFAULT_PAIRS, what="pair file"))
    target = write_calibration(data, output)
    if as_json:
        typer.echo(data.model_dump_json(indent=2))
        return
    _print_calibration(data.model_dump())
    typer.echo(f"wrote {target} (use it with HARNESS_CALIBRATION={target})")


def _print_calibration(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{data['pairs_file']}: {data['n_pairs']} pairs, sha256 {data['pairs_hash'][:12]}",
        title_justify="left",
    )
    for column in ("matcher", "threshold", "accuracy", "precision", "recall"):
        table.add_column(column, justify="left" if column == "matcher" else "right")
    table.add_column("without key terms: threshold / accuracy", justify="right")
    for name, entry in data["matchers"].items():
        with_terms, alone = entry["with_key_terms"], entry["without_key_terms"]
        table.add_row(
            name,
            f"{entry['threshold']:.4f}",
            _pct(with_terms["accuracy"]),
            _pct(with_terms["precision"]),
            _pct(with_terms["recall"]),
            f"{alone['threshold']:.4f} / {_pct(alone['accuracy'])}",
        )
    Console(width=120).print(table)
