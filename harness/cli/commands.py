"""Where each command group plugs into the app. One module per group; each imports its heavy
dependencies inside the command body."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from harness.cli import (
        compare,
        datasets,
        gate,
        init,
        judges,
        matchers,
        matrix,
        rejudge,
        report,
        run,
        runs,
    )
    from harness.cli.optimize import optimize

    app.command(name="run")(run.run)
    app.command(name="optimize")(optimize)
    app.command(name="compare")(compare.compare)
    app.command(name="matrix")(matrix.matrix)
    app.command(name="report")(report.report)
    app.command(name="rejudge")(rejudge.rejudge)
    app.add_typer(gate.app, name="gate")
    app.add_typer(datasets.app, name="datasets")
    app.add_typer(matchers.app, name="matchers")
    app.add_typer(judges.app, name="judges")
    app.add_typer(runs.app, name="runs")
    app.command(name="init")(init.init)
