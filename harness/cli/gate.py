"""``harness gate``: fail a CI job when memory quality is below a floor or regressed.

``harness gate [RUN] --min ... --baseline ...`` checks a run (the ``check`` command, the
default); ``harness gate export RUN -o baseline.json`` writes a baseline file to commit.
Exit codes: 0 every check passed; 1 a check failed; 2 bad usage or data (unknown run or metric,
unfinished run, unreadable baseline file).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from harness.cli._options import db_option, stats_options
from harness.cli.compare import check_outputs, write_text


class _DefaultCheck(TyperGroup):
    """A group whose default command is ``check``: ``harness gate --min ...`` needs no verb."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or args[0] not in self.commands:
            args = ["check", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_DefaultCheck,
    help="Fail a CI job when memory quality regresses (default command: check).",
)


class Rule(StrEnum):
    p = "p"
    ci = "ci"


_STATS = stats_options()


def _max_drops(values: list[str]) -> tuple[dict[str, float], float | None]:
    """``--max-drop micro_f1=0.02`` per metric; a bare ``--max-drop 0.03`` sets the default."""
    from harness.errors import ConfigurationError
    from harness.scoring.catalogue import parse_assignments

    named, default = [], None
    for value in values:
        if "=" in value:
            named.append(value)
            continue
        try:
            default = float(value)
        except ValueError:
            raise ConfigurationError(
                f"--max-drop {value!r}: expected METRIC=TOLERANCE or a bare default tolerance"
            ) from None
    return parse_assignments(named, option="--max-drop"), default


def _options(values: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    from harness.errors import ConfigurationError
    from harness.reports.gate import GateOptions

    try:
        return GateOptions.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError(f"invalid gate options: {problems}") from None


@app.command("check")
def check(
    run: str | None = typer.Argument(
        None, help="Run id or name to check (default: the newest finished run)."
    ),
    db: Path | None = db_option(),
    floors: list[str] = typer.Option(
        None, "--min", help="Floor METRIC=VALUE, e.g. update_f1=0.8 (repeatable)."
    ),
    ceilings: list[str] = typer.Option(
        None, "--max", help="Ceiling METRIC=VALUE, e.g. error_rate=0.05 (repeatable)."
    ),
    baseline: str | None = typer.Option(
        None, "--baseline", help="Baseline run (id or name) in the same database."
    ),
    baseline_file: Path | None = typer.Option(
        None,
        "--baseline-file",
        dir_okay=False,
        help="Baseline file written by `harness gate export` (e.g. committed in the repo).",
    ),
    max_drop: list[str] = typer.Option(
        None,
        "--max-drop",
        help="Allowed drop METRIC=TOLERANCE (repeatable); a bare number sets the tolerance "
        "of every other headline metric (default 0.02).",
    ),
    metrics: list[str] = typer.Option(
        None,
        "--metric",
        help="Metric checked against the baseline (repeatable; default: micro/insert/update/"
        "delete/final F1, error_rate and any metric in --max-drop; only those named when "
        "--max-drop gives no bare default).",
    ),
    require_significance: bool = typer.Option(
        True,
        "--require-significance/--no-require-significance",
        help="Fail a drop beyond the tolerance only when it is statistically credible.",
    ),
    rule: Rule = typer.Option(
        Rule.p,
        "--rule",
        help="Credible drop: p (paired permutation p < alpha) or ci (the whole interval lies "
        "beyond the tolerance).",
    ),
    worst: int = typer.Option(5, "--worst", min=0, help="Worst cases listed in the summary."),
    resamples: int = _STATS["resamples"],
    permutations: int = _STATS["permutations"],
    seed: int = _STATS["seed"],
    confidence: float = _STATS["confidence"],
    alpha: float = _STATS["alpha"],
    markdown: str | None = typer.Option(
        None, "--markdown", help="Write the Markdown summary (for a PR comment) here ('-': stdout)."
    ),
    junit: Path | None = typer.Option(None, "--junit", help="Write JUnit XML here."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Check a run against floors and a baseline; exit 1 when a check fails.

    A regression fails only when the drop exceeds its tolerance and, unless
    --no-require-significance, is credible by the chosen --rule. Export a baseline to commit
    with `harness gate export RUN -o baseline.json`.
    """
    from harness.errors import ConfigurationError
    from harness.reports.gate import run_gate
    from harness.results import open_results
    from harness.scoring.catalogue import parse_assignments

    named_drops, default_drop = _max_drops(max_drop or [])
    options = _options(
        {
            "floors": parse_assignments(floors or [], option="--min"),
            "ceilings": parse_assignments(ceilings or [], option="--max"),
            "max_drop": named_drops,
            "default_max_drop": default_drop,
            "regression_metrics": metrics or None,
            "alpha": alpha,
            "require_significance": require_significance,
            "rule": rule.value,
            "n_resamples": resamples,
            "n_permutations": permutations,
            "seed": seed,
            "confidence": confidence,
            "worst_cases": worst,
        }
    )
    if not (options.floors or options.ceilings or baseline or baseline_file):
        raise ConfigurationError(
            "nothing to check: give floors (--min/--max) and/or a baseline "
            "(--baseline RUN or --baseline-file FILE)"
        )
    check_outputs(markdown, junit)
    with open_results(db, read_only=True) as store:
        result = run_gate(store, run, options, baseline=baseline, baseline_file=baseline_file)
    _write_outputs(result, markdown, junit, as_json)
    raise typer.Exit(result.exit_code)


def _write_outputs(result: Any, markdown: str | None, junit: Path | None, as_json: bool) -> None:
    import json

    from harness.reports._junit import gate_junit
    from harness.reports._markdown import gate_markdown

    if markdown:
        write_text(gate_markdown(result), markdown)
    if junit is not None:
        write_text(gate_junit(result), str(junit))
    if as_json:
        typer.echo(json.dumps(result.as_dict(), allow_nan=False))
    elif markdown != "-":
        from rich.console import Console

        from harness.reports._console import gate_renderables

        console = Console(width=max(Console().width, 120))
        for renderable in gate_renderables(result):
            console.print(renderable)


@app.command("export")
def export(
    run: str = typer.Argument(..., help="Finished run id or name to export."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Baseline file to write (default: stdout)."
    ),
    db: Path | None = db_option(),
) -> None:
    """Export a finished run as a baseline file (per-case rows, so gates can run paired tests)."""
    from harness.reports._baseline import dumps
    from harness.reports.gate import export_baseline
    from harness.results import open_results

    check_outputs(output)
    with open_results(db, read_only=True) as store:
        data = export_baseline(store, run, output)
    if output is None:
        typer.echo(dumps(data), nl=False)
    else:
        typer.echo(f"wrote {output}: run {data.run.run_id}, {len(data.cases)} cases", err=True)
