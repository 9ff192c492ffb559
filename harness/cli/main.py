"""The ``harness`` command. Heavy libraries are imported inside command bodies only, so that
``harness --help`` answers at once."""

from __future__ import annotations

import sys

import typer

from harness.cli._options import option
from harness.errors import HarnessError

app = typer.Typer(
    name="harness",
    help="Measure and improve LLM long-term memory extraction.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from harness import __version__

        typer.echo(f"memory-harness {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = option(
        "--version",
        default=False,
        callback=_version,
        is_eager=True,
        help="Print the harness version and exit.",
    ),
) -> None:
    """Measure and improve LLM long-term memory extraction."""


def _register() -> None:
    from harness.cli import commands

    commands.register(app)


def main() -> None:
    _register()
    try:
        app()
    except HarnessError as error:
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        sys.exit(error.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
