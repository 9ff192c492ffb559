"""Option definitions shared by several commands (no heavy imports: ``--help`` must stay fast).

Every option goes through :func:`option`, so an option read from an environment variable always
shows it in ``--help``; an option several commands take (``--db``, ``--markdown``, the
statistics options, ``--progress``) is defined here once.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer


class ProgressKind(StrEnum):
    """How a long command shows progress on stderr."""

    auto = "auto"
    rich = "rich"
    plain = "plain"
    none = "none"


def option(*names: str, help: str, default: Any = ..., envvar: str | None = None, **kw: Any) -> Any:
    """A ``typer.Option``; the default stays ``...`` for an option declared with ``Annotated``."""
    return typer.Option(default, *names, help=help, envvar=envvar, show_envvar=bool(envvar), **kw)


def db_option(default: Any = None) -> Any:
    """``--db``: the results database (``HARNESS_DB``)."""
    return option(
        "--db",
        default=default,
        envvar="HARNESS_DB",
        help="Results database (default: reports/harness.duckdb).",
    )


DbOpt = Annotated[Path | None, db_option(...)]
"""``--db`` for a command that declares its options with ``Annotated``."""


def progress_option(default: Any = ProgressKind.auto) -> Any:
    """``--progress``: how live progress shows on stderr (``HARNESS_PROGRESS``)."""
    return option(
        "--progress",
        default=default,
        envvar="HARNESS_PROGRESS",
        help="Progress on stderr: rich, plain or none (auto: rich on a terminal).",
    )


def markdown_option(what: str) -> Any:
    """``--markdown``: also write ``what`` as Markdown to a file (``-``: stdout)."""
    return option(
        "--markdown",
        default=None,
        help=f"Also write {what} as Markdown to this file ('-': stdout).",
    )


def stats_options() -> dict[str, Any]:
    """Shared by compare, matrix and gate: bootstrap/permutation sizes, seed, levels."""
    return {
        "resamples": option("--resamples", default=1000, min=1, help="Bootstrap resamples."),
        "permutations": option(
            "--permutations",
            default=2000,
            min=1,
            help="Permutations of the paired permutation test.",
        ),
        "seed": option("--seed", default=0, help="Seed of the resampling."),
        "confidence": option("--confidence", default=0.95, help="Interval confidence level."),
        "alpha": option("--alpha", default=0.05, help="Significance level of paired tests."),
    }
