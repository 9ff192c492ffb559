"""The replay runner: a dataset through a memory system, every result recorded in DuckDB.

Names load on first use, so importing :mod:`harness.runner` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "RunConfig": "harness.runner.config",
    "RunResult": "harness.runner.engine",
    "arun": "harness.runner.engine",
    "resume_run": "harness.runner.engine",
    "run_dataset": "harness.runner.engine",
    "Progress": "harness.runner.progress",
    "make_progress": "harness.runner.progress",
    "MatrixConfig": "harness.runner.matrix",
    "MatrixResult": "harness.runner.matrix",
    "arun_matrix": "harness.runner.matrix",
    "load_matrix": "harness.runner.matrix",
    "run_matrix": "harness.runner.matrix",
}

__all__ = [
    "MatrixConfig",
    "MatrixResult",
    "Progress",
    "RunConfig",
    "RunResult",
    "arun",
    "arun_matrix",
    "load_matrix",
    "make_progress",
    "resume_run",
    "run_dataset",
    "run_matrix",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from harness.runner.config import RunConfig
    from harness.runner.engine import RunResult, arun, resume_run, run_dataset
    from harness.runner.matrix import (
        MatrixConfig,
        MatrixResult,
        arun_matrix,
        load_matrix,
        run_matrix,
    )
    from harness.runner.progress import Progress, make_progress
