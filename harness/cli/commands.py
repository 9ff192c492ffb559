"""Where each command group plugs into the app. One module per group; each imports its heavy
dependencies inside the command body."""

from __future__ import annotations

import typer

from harness.errors import NotBuiltYetError

_PLANNED: dict[str, str] = {}


def _planned(name: str, help_text: str) -> typer.models.CommandInfo:
    def command() -> None:
        raise NotBuiltYetError(f"'harness {name}' is planned but not built yet")

    command.__doc__ = f"{help_text} (planned: not built yet)"
    return command


def register(app: typer.Typer) -> None:
    from harness.cli import run

    app.command(name="run")(run.run)
    for name, help_text in _PLANNED.items():
        app.command(name=name)(_planned(name, help_text))
    from harness.cli import datasets, judges, matchers
    from harness.cli.optimize import optimize

    app.command(name="optimize")(optimize)

    from harness.cli import compare, gate, matrix

    app.command(name="compare")(compare.compare)
    app.command(name="matrix")(matrix.matrix)
    from harness.cli import report

    app.command(name="report")(report.report)
    from harness.cli import rejudge

    app.command(name="rejudge")(rejudge.rejudge)
    app.add_typer(gate.app, name="gate")
    app.add_typer(datasets.app, name="datasets")
    app.add_typer(matchers.app, name="matchers")
    app.add_typer(judges.app, name="judges")
