"""``harness datasets validate|stats|import``. Dataset code is imported inside the commands."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(help="Validate, describe and import labeled datasets.", no_args_is_help=True)

_MAX_WARNINGS_SHOWN = 20


class Source(StrEnum):
    locomo = "locomo"
    longmemeval = "longmemeval"


def _expand(paths: list[Path]) -> list[Path]:
    """Files as given; a directory stands for the ``*.jsonl`` files in it."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.jsonl")) if path.is_dir() else [path])
    return files


def _load(path: Path) -> Any:
    from harness.data import detect_kind, load_dataset, load_pairs
    from harness.data.judgements import load_judgements

    kind = detect_kind(path)
    if kind == "judgements":
        return load_judgements(path)
    return load_pairs(path) if kind == "pairs" else load_dataset(path)


def _unit(loaded: Any) -> str:
    for unit in ("pairs", "judgements"):
        if hasattr(loaded, unit):
            return unit
    return "cases"


@app.command("validate")
def validate(
    paths: list[Path] = typer.Argument(
        ..., exists=True, help="JSONL case or matcher-pair files, or folders of them."
    ),
) -> None:
    """Check every line of every file; print OK with the content hash, or every problem.

    Exits 1 when any file is invalid.
    """
    from harness.errors import DatasetError

    failed = 0
    files = _expand(paths)
    if not files:
        typer.echo("no *.jsonl files found", err=True)
        raise typer.Exit(1)
    for path in files:
        try:
            loaded = _load(path)
        except DatasetError as error:
            failed += 1
            typer.echo(f"FAIL  {error.args[0] if error.args else path}")
            for problem in error.problems:
                typer.echo(f"  {problem}")
            continue
        typer.echo(f"OK    {path}: {len(loaded)} {_unit(loaded)}, sha256 {loaded.content_hash}")
    if failed:
        typer.echo(f"{failed} of {len(files)} files invalid")
        raise typer.Exit(1)


@app.command("stats")
def stats(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A JSONL dataset."),
    as_json: bool = typer.Option(False, "--json", help="Print the numbers as JSON."),
) -> None:
    """Count cases, sessions, turns per case, languages, ops, tags, queries by category, splits."""
    from harness.data import dataset_stats, pair_stats

    loaded = _load(path)
    if _unit(loaded) == "judgements":
        from harness.errors import ConfigurationError

        raise ConfigurationError(
            f"{path} holds labelled judgements, which have no dataset stats; "
            "check a judge on them with 'harness judges agreement'"
        )
    numbers = pair_stats(loaded) if hasattr(loaded, "pairs") else dataset_stats(loaded)
    if as_json:
        typer.echo(numbers.model_dump_json(indent=2))
        return
    _print_stats(numbers.model_dump())


def _print_stats(numbers: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{numbers.pop('path')}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, value in numbers.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items()) or "-"
        elif key.endswith("_pct"):
            value = f"{value} %"
        table.add_row(key.replace("_", " "), str(value))
    Console(width=120).print(table)


@app.command("import")
def import_(
    source: Source = typer.Argument(..., help="Which benchmark the file comes from."),
    src: list[Path] = typer.Argument(
        ...,
        exists=True,
        help="The benchmark file(s). LoCoMo also takes folders of per-conversation files and the "
        "release zip.",
    ),
    out: Path = typer.Option(..., "-o", "--out", help="Where to write the JSONL cases."),
    force: bool = typer.Option(False, "--force", help="Replace OUT if it exists."),
) -> None:
    """Convert LoCoMo or LongMemEval files into validated JSONL cases."""
    from harness.data.importers import import_locomo, import_longmemeval, write_cases

    if source is Source.locomo:
        result = import_locomo(src)
    elif len(src) != 1 or src[0].is_dir():
        raise typer.BadParameter("LongMemEval takes one JSON file", param_hint="SRC")
    else:
        result = import_longmemeval(src[0])
    dataset = write_cases(result.cases, out, force=force)
    for warning in result.warnings[:_MAX_WARNINGS_SHOWN]:
        typer.echo(f"warning: {warning}", err=True)
    hidden = len(result.warnings) - _MAX_WARNINGS_SHOWN
    if hidden > 0:
        typer.echo(f"warning: ... and {hidden} more", err=True)
    typer.echo(f"wrote {len(dataset)} cases to {out}, sha256 {dataset.content_hash}")
