"""``harness compare``: runs side by side, per-tag breakdowns and paired differences.

Only typer is imported at module level; DuckDB, numpy and rich load inside the command.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from harness.cli._options import db_option, markdown_option, stats_options


class Adjust(StrEnum):
    none = "none"
    holm = "holm"


_STATS = stats_options()


def check_outputs(*targets: str | Path | None) -> None:
    """Refuse an output file that cannot be written before the work that fills it."""
    from harness._files import check_writable

    for target in targets:
        if target is not None and str(target) != "-":
            check_writable(target)


def write_text(text: str, target: str) -> None:
    """Write ``text`` to a file, or to stdout for ``-``."""
    if target == "-":
        typer.echo(text, nl=False)
        return
    from harness._files import write_file

    write_file(target, text)


def compare_options(**values: Any) -> Any:
    """CompareOptions from CLI values; pydantic problems become a ConfigurationError."""
    from pydantic import ValidationError

    from harness.errors import ConfigurationError
    from harness.reports.compare import CompareOptions

    given = {k: v for k, v in values.items() if v is not None}
    try:
        return CompareOptions.model_validate(given)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError(f"invalid options: {problems}") from None


def print_comparison(comparison: Any) -> None:
    from rich.console import Console

    from harness.reports._console import comparison_renderables

    console = Console(width=max(Console().width, 120))
    for renderable in comparison_renderables(comparison):
        console.print(renderable)


def compare(
    runs: list[str] = typer.Argument(None, help="Run ids or names (see also --latest)."),
    latest: bool = typer.Option(
        False, "--latest", help="Add the newest finished run of every model/template."
    ),
    dataset: str | None = typer.Option(
        None, "--dataset", "-d", help="With --latest: only runs on this dataset (name or path)."
    ),
    model: str | None = typer.Option(None, "--model", "-m", help="With --latest: only this model."),
    prompt: str | None = typer.Option(
        None, "--prompt", "-p", help="With --latest: only this template."
    ),
    db: Path | None = db_option(),
    metrics: list[str] = typer.Option(
        None, "--metric", help="Metric to show (repeatable; default: the headline metrics)."
    ),
    by_tag: bool = typer.Option(False, "--by-tag", help="Add a per-tag breakdown."),
    tag_metrics: list[str] = typer.Option(
        None, "--tag-metric", help="Metric of the per-tag breakdown (default: micro_f1)."
    ),
    tags: list[str] = typer.Option(None, "--tag", help="Only these tags in the breakdown."),
    category_metrics: list[str] = typer.Option(
        None,
        "--category-metric",
        help="Answer metric of the per-category table (repeatable; default: qa_j and qa_f1).",
    ),
    reference: str | None = typer.Option(
        None, "--reference", help="Compare every run against this one only (id or name)."
    ),
    adjust: Adjust = typer.Option(
        Adjust.none, "--adjust", help="Multiple-comparison adjustment of the p-values."
    ),
    resamples: int = _STATS["resamples"],
    permutations: int = _STATS["permutations"],
    seed: int = _STATS["seed"],
    confidence: float = _STATS["confidence"],
    alpha: float = _STATS["alpha"],
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
    markdown: str | None = markdown_option("the comparison"),
) -> None:
    """Compare runs side by side, with paired confidence intervals and p-values.

    Metrics are recomputed on the cases every run shares; a paired bootstrap interval and a
    paired permutation test tell a real change from noise (marked when both agree).
    """
    import json

    from harness.reports._markdown import comparison_markdown
    from harness.reports.compare import compare_runs
    from harness.results import open_results

    options = compare_options(
        metrics=metrics or None,
        by_tag=by_tag,
        tag_metrics=tag_metrics or None,
        tags=tags or None,
        category_metrics=category_metrics or None,
        reference=reference,
        n_resamples=resamples,
        n_permutations=permutations,
        seed=seed,
        confidence=confidence,
        alpha=alpha,
        adjust=adjust.value,
    )
    check_outputs(markdown)
    with open_results(db, read_only=True) as store:
        comparison = compare_runs(
            store, runs or [], options, latest=latest, dataset=dataset, model=model, prompt=prompt
        )
    if markdown:
        write_text(comparison_markdown(comparison), markdown)
    if as_json:
        typer.echo(json.dumps(comparison.as_dict(), allow_nan=False))
    elif markdown != "-":
        print_comparison(comparison)
