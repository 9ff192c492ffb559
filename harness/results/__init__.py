"""Results: the DuckDB record of every run (records, tables, migrations, queries) and the run's
aggregates rebuilt from its case rows.

Names load on first use, so importing :mod:`harness.results` does not import DuckDB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "DB_ENV": "harness.results.db",
    "ResultsStore": "harness.results.db",
    "default_db_path": "harness.results.db",
    "open_results": "harness.results.db",
    "LATEST_VERSION": "harness.results.migrations",
    "MIGRATIONS": "harness.results.migrations",
    "CallRow": "harness.results.records",
    "CaseRecord": "harness.results.records",
    "FinalRow": "harness.results.records",
    "MetricRow": "harness.results.records",
    "OpRow": "harness.results.records",
    "QueryRow": "harness.results.records",
    "RunRecord": "harness.results.records",
    "metrics_json": "harness.results.summary",
    "per_case_rows": "harness.results.summary",
    "summarise": "harness.results.summary",
}

__all__ = [
    "DB_ENV",
    "LATEST_VERSION",
    "MIGRATIONS",
    "CallRow",
    "CaseRecord",
    "FinalRow",
    "MetricRow",
    "OpRow",
    "QueryRow",
    "ResultsStore",
    "RunRecord",
    "default_db_path",
    "metrics_json",
    "open_results",
    "per_case_rows",
    "summarise",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from harness.results.db import DB_ENV, ResultsStore, default_db_path, open_results
    from harness.results.migrations import LATEST_VERSION, MIGRATIONS
    from harness.results.records import (
        CallRow,
        CaseRecord,
        FinalRow,
        MetricRow,
        OpRow,
        QueryRow,
        RunRecord,
    )
    from harness.results.summary import metrics_json, per_case_rows, summarise
