"""Reports: comparisons, the HTML report, the CI gate and their renderings of stored results.

They only read and render: the results database is :mod:`harness.results`. Names load on first
use, so importing :mod:`harness.reports` does not import DuckDB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "ReportOptions": "harness.reports.html",
    "ReportResult": "harness.reports.html",
    "render_report": "harness.reports.html",
    "write_report": "harness.reports.html",
    "CompareOptions": "harness.reports.compare",
    "Comparison": "harness.reports.compare",
    "compare_runs": "harness.reports.compare",
    "compare_matrix": "harness.reports.matrix",
    "GateOptions": "harness.reports.gate",
    "GateResult": "harness.reports.gate",
    "export_baseline": "harness.reports.gate",
    "read_baseline": "harness.reports.gate",
    "run_gate": "harness.reports.gate",
}

__all__ = [
    "CompareOptions",
    "Comparison",
    "GateOptions",
    "GateResult",
    "ReportOptions",
    "ReportResult",
    "compare_matrix",
    "compare_runs",
    "export_baseline",
    "read_baseline",
    "render_report",
    "run_gate",
    "write_report",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from harness.reports.compare import CompareOptions, Comparison, compare_runs
    from harness.reports.gate import (
        GateOptions,
        GateResult,
        export_baseline,
        read_baseline,
        run_gate,
    )
    from harness.reports.html import ReportOptions, ReportResult, render_report, write_report
    from harness.reports.matrix import compare_matrix
