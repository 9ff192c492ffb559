"""A matrix run's comparison: every finished combination, with paired differences between
combinations that differ in one factor only (dataset, model or prompt)."""

from __future__ import annotations

from harness.errors import ConfigurationError
from harness.reports.compare import CompareOptions, Comparison, compare_runs
from harness.results.db import ResultsStore
from harness.runner.matrix import MatrixResult, one_factor_pairs

__all__ = ["compare_matrix"]


def compare_matrix(
    store: ResultsStore, result: MatrixResult, options: CompareOptions | None = None
) -> Comparison:
    """One :class:`~harness.reports.compare.Comparison` of the matrix's runs, in file order,
    with paired differences between combinations that differ in one factor only."""
    done = [e for e in result.entries if e.run_id and e.status != "failed"]
    if not done:
        raise ConfigurationError("no combination of the matrix has a finished run to compare")
    pairs = one_factor_pairs([e.combination for e in done])
    return compare_runs(store, [e.run_id for e in done], options, pairs=pairs)  # type: ignore[misc]
