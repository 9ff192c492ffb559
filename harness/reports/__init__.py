"""Results: the DuckDB record of every run, and what is built from it.

Names load on first use, so importing :mod:`harness.reports` does not import DuckDB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "DB_ENV": "harness.reports.db",
    "ResultsStore": "harness.reports.db",
    "default_db_path": "harness.reports.db",
    "open_results": "harness.reports.db",
    "LATEST_VERSION": "harness.reports._migrations",
    "MIGRATIONS": "harness.reports._migrations",
    "CallRow": "harness.reports._records",
    "CaseRecord": "harness.reports._records",
    "FinalRow": "harness.reports._records",
    "MetricRow": "harness.reports._records",
    "OpRow": "harness.reports._records",
    "QueryRow": "harness.reports._records",
    "RunRecord": "harness.reports._records",
    "ReportOptions": "harness.reports.html",
    "ReportResult": "harness.reports.html",
    "render_report": "harness.reports.html",
    "write_report": "harness.reports.html",
    "CompareOptions": "harness.reports.compare",
    "Comparison": "harness.reports.compare",
    "compare_runs": "harness.reports.compare",
    "GateOptions": "harness.reports.gate",
    "GateResult": "harness.reports.gate",
    "export_baseline": "harness.reports.gate",
    "read_baseline": "harness.reports.gate",
    "run_gate": "harness.reports.gate",
}

__all__ = [
    "DB_ENV",
    "LATEST_VERSION",
    "MIGRATIONS",
    "CallRow",
    "CaseRecord",
    "CompareOptions",
    "Comparison",
    "FinalRow",
    "GateOptions",
    "GateResult",
    "MetricRow",
    "OpRow",
    "QueryRow",
    "ReportOptions",
    "ReportResult",
    "ResultsStore",
    "RunRecord",
    "compare_runs",
    "default_db_path",
    "export_baseline",
    "open_results",
    "read_baseline",
    "render_report",
    "run_gate",
    "write_report",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from harness.reports._migrations import LATEST_VERSION, MIGRATIONS
    from harness.reports._records import (
        CallRow,
        CaseRecord,
        FinalRow,
        MetricRow,
        OpRow,
        QueryRow,
        RunRecord,
    )
    from harness.reports.compare import CompareOptions, Comparison, compare_runs
    from harness.reports.db import DB_ENV, ResultsStore, default_db_path, open_results
    from harness.reports.gate import (
        GateOptions,
        GateResult,
        export_baseline,
        read_baseline,
        run_gate,
    )
    from harness.reports.html import ReportOptions, ReportResult, render_report, write_report
