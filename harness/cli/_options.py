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

from harness.runner.progress import ProgressKind  # stdlib-only module: --help stays fast

__all__ = ["ProgressKind"]  # the CLI commands take it from here with the other option helpers


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


def call_timeout_option(default: Any = None) -> Any:
    """``--call-timeout``: seconds one model call may take (``HARNESS_CALL_TIMEOUT``)."""
    return option(
        "--call-timeout",
        default=default,
        min=0.001,
        envvar="HARNESS_CALL_TIMEOUT",
        help="Seconds one model call may take before it is retried (default: 60).",
    )


def max_retries_option(default: Any = None) -> Any:
    """``--max-retries``: tries after the first of a failing call (``HARNESS_MAX_RETRIES``)."""
    return option(
        "--max-retries",
        default=default,
        min=0,
        envvar="HARNESS_MAX_RETRIES",
        help="Tries after the first when a call times out or fails transiently (default: 3).",
    )


CallTimeoutOpt = Annotated[float | None, call_timeout_option(...)]
MaxRetriesOpt = Annotated[int | None, max_retries_option(...)]


def set_call_limits(call_timeout: float | None, max_retries: int | None) -> None:
    """How long a model call may take and how often it is retried: settings of this process
    (the gateway reads them), not of a run, so a resumed run or optimization may change them."""
    import math
    import os

    from harness.errors import ConfigurationError

    if call_timeout is not None:
        if not math.isfinite(call_timeout):
            raise ConfigurationError(f"--call-timeout must be a finite number, not {call_timeout}")
        os.environ["HARNESS_CALL_TIMEOUT"] = repr(call_timeout)
    if max_retries is not None:
        os.environ["HARNESS_MAX_RETRIES"] = str(max_retries)


class ExecutorKind(StrEnum):
    """Where a run's (case, repeat) shards execute."""

    local = "local"
    ray = "ray"


def executor_option(default: Any = ExecutorKind.local) -> Any:
    """``--executor``: this process, or a Ray cluster (``HARNESS_EXECUTOR``)."""
    return option(
        "--executor",
        default=default,
        envvar="HARNESS_EXECUTOR",
        help="Where cases replay: local (this process) or ray (a Ray cluster; the [ray] extra).",
    )


def ray_address_option(default: Any = None) -> Any:
    """``--ray-address``: the Ray cluster to join."""
    return option(
        "--ray-address",
        default=default,
        help="With --executor ray: the cluster to join (default: RAY_ADDRESS, else a local Ray).",
    )


def rate_limit_option(default: Any = None) -> Any:
    """``--rate-limit``: requests/tokens per minute per model, shared by all workers."""
    return option(
        "--rate-limit",
        default=default,
        help="Requests/tokens per minute per model, shared by every worker: [MODEL=]Nrpm,Ntpm "
        "(e.g. 500rpm,200000tpm); repeatable.",
    )


ExecutorOpt = Annotated[ExecutorKind, executor_option(...)]
RayAddressOpt = Annotated[str | None, ray_address_option(...)]
RateLimitOpt = Annotated[list[str] | None, rate_limit_option(...)]


def executor_from(kind: ExecutorKind, address: str | None, limits: list[str] | None) -> Any:
    """The runner's ExecutorOptions (None: local, no limits) from the command-line options."""
    from harness.errors import ConfigurationError
    from harness.models.ratelimit import parse_rate_limit
    from harness.runner.executor import ExecutorOptions

    if address is not None and kind != ExecutorKind.ray:
        raise ConfigurationError("--ray-address needs --executor ray")
    rates = tuple(parse_rate_limit(text) for text in limits or ())
    if kind == ExecutorKind.local and not rates:
        return None
    return ExecutorOptions(kind=kind.value, ray_address=address, rate_limits=rates)
