"""The results database: runs, case results, ops, queries and model calls in DuckDB.

:class:`ResultsStore` receives an open DuckDB connection (or use :func:`open_results`), brings its
schema up to date through recorded migrations, and serialises every use of the connection behind
one lock, so concurrent case tasks can hand it their writes from worker threads. Every statement
is parameterised; table and column names come from the record classes, never from input.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from harness.errors import ConfigurationError
from harness.reports._migrations import LATEST_VERSION, migrate, utc_now
from harness.reports._records import (
    CallRow,
    CaseRecord,
    FinalRow,
    MetricRow,
    OpRow,
    QueryRow,
    RunRecord,
    columns,
)

DB_ENV = "HARNESS_DB"
DEFAULT_DB = Path("reports") / "harness.duckdb"
_CHUNK_ROWS = 250  # rows per multi-row INSERT statement

R = TypeVar("R")


def default_db_path() -> Path:
    """``$HARNESS_DB``, else ``reports/harness.duckdb`` under the working directory."""
    value = os.environ.get(DB_ENV, "").strip()
    return Path(value).expanduser() if value else DEFAULT_DB


def open_results(path: str | Path | None = None, *, read_only: bool = False) -> ResultsStore:
    """Open (creating it and its folder if needed) the results database at ``path``.

    ``":memory:"`` gives a throw-away database. A file another process is writing to cannot be
    opened; the error says which file.
    """
    import duckdb

    target = str(path) if path is not None else str(default_db_path())
    if target != ":memory:":
        if read_only and not Path(target).exists():
            raise ConfigurationError(f"results database {target} does not exist")
        Path(target).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(target, read_only=read_only)
    except duckdb.IOException as exc:
        raise ConfigurationError(
            f"cannot open results database {target}: {exc} (is another harness process using it?)"
        ) from exc
    return ResultsStore(con, where=target, read_only=read_only, owns_connection=True)


class ResultsStore:
    """Read and write run records over one DuckDB connection."""

    def __init__(
        self,
        connection: Any,
        *,
        where: str = "results database",
        read_only: bool = False,
        owns_connection: bool = False,
    ) -> None:
        self._con = connection
        self._lock = threading.RLock()
        self._owns = owns_connection
        self.where = where
        if read_only:
            done = applied_versions_readonly(connection)
            if max(done, default=0) != LATEST_VERSION:
                raise ConfigurationError(
                    f"{where}: schema version {max(done, default=0)}, this harness reads "
                    f"{LATEST_VERSION}; open it once without read-only to migrate"
                )
            self.schema_version = LATEST_VERSION
        else:
            self.schema_version = migrate(connection, where=where)

    def __repr__(self) -> str:
        return f"ResultsStore({self.where!r}, schema_version={self.schema_version})"

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connection(self) -> Any:
        """The DuckDB connection, for ad-hoc SQL (hold no reference across threads)."""
        return self._con

    def close(self) -> None:
        with self._lock:
            if self._owns:
                self._con.close()

    # -- low level ---------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a parameterised query and return its rows as dicts."""
        with self._lock:
            cursor = self._con.execute(sql, list(params))
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._lock:
            self._con.execute("BEGIN TRANSACTION")
            try:
                yield self._con
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")

    def _insert(self, con: Any, cls: type, records: Sequence[Any]) -> None:
        if not records:
            return
        names = columns(cls)
        json_fields = cls.JSON_FIELDS
        row_marks = "(" + ", ".join("?" * len(names)) + ")"
        for start in range(0, len(records), _CHUNK_ROWS):
            chunk = records[start : start + _CHUNK_ROWS]
            params: list[Any] = []
            for record in chunk:
                for name in names:
                    value = getattr(record, name)
                    params.append(_dumps(value) if name in json_fields else value)
            sql = f"INSERT INTO {cls.TABLE} ({', '.join(names)}) VALUES " + ", ".join(
                [row_marks] * len(chunk)
            )
            con.execute(sql, params)

    def _select(self, cls: type[R], where: str, params: Sequence[Any], order: str = "") -> list[R]:
        names = columns(cls)
        sql = f"SELECT {', '.join(names)} FROM {cls.TABLE} WHERE {where}"  # type: ignore[attr-defined]
        rows = self.query(sql + (f" ORDER BY {order}" if order else ""), params)
        json_fields = cls.JSON_FIELDS  # type: ignore[attr-defined]
        return [
            cls(**{k: (_loads(v) if k in json_fields else v) for k, v in row.items()})
            for row in rows
        ]

    # -- runs --------------------------------------------------------------------------------

    def create_run(self, run: RunRecord) -> None:
        with self._transaction() as con:
            self._insert(con, RunRecord, [run])

    def get_run(self, run_id: str) -> RunRecord | None:
        found = self._select(RunRecord, "run_id = ?", [run_id])
        return found[0] if found else None

    def find_run(self, ref: str) -> RunRecord:
        """A run by id, or the latest run with that name; ConfigurationError when none."""
        run = self.get_run(ref)
        if run is not None:
            return run
        named = self._select(RunRecord, "name = ?", [ref], order="started_at DESC")
        if named:
            return named[0]
        raise ConfigurationError(f"{self.where}: no run with id or name {ref!r}")

    def list_runs(self, *, status: str | None = None) -> list[RunRecord]:
        """Runs, oldest first (optionally only those with ``status``)."""
        if status is None:
            return self._select(RunRecord, "true", [], order="started_at, run_id")
        return self._select(RunRecord, "status = ?", [status], order="started_at, run_id")

    def set_status(self, run_id: str, status: str, *, error: str | None = None) -> None:
        with self._transaction() as con:
            con.execute(
                "UPDATE runs SET status = ?, error = ? WHERE run_id = ?", [status, error, run_id]
            )

    def finish_run(
        self,
        run_id: str,
        metrics: Sequence[MetricRow],
        summary: dict[str, Any],
        *,
        status: str = "finished",
    ) -> None:
        """Store the aggregates (replacing earlier ones) and mark the run finished, atomically."""
        with self._transaction() as con:
            con.execute("DELETE FROM run_metrics WHERE run_id = ?", [run_id])
            self._insert(con, MetricRow, list(metrics))
            con.execute(
                "UPDATE runs SET status = ?, finished_at = ?, metrics = ?, error = NULL "
                "WHERE run_id = ?",
                [status, utc_now(), _dumps(summary), run_id],
            )

    def run_metrics(self, run_id: str) -> dict[str, MetricRow]:
        rows = self._select(MetricRow, "run_id = ?", [run_id], order="metric")
        return {row.metric: row for row in rows}

    # -- cases -------------------------------------------------------------------------------

    def completed(self, run_id: str) -> set[tuple[str, int]]:
        """The (case id, repeat) pairs already recorded for the run."""
        rows = self.query("SELECT case_id, repeat FROM case_results WHERE run_id = ?", [run_id])
        return {(row["case_id"], row["repeat"]) for row in rows}

    def write_cases(self, records: Sequence[CaseRecord]) -> None:
        """Write case results with all their rows in one transaction (all or nothing)."""
        if not records:
            return
        with self._transaction() as con:
            self._insert(con, CaseRecord, records)
            self._insert(con, OpRow, [row for r in records for row in r.ops])
            self._insert(con, FinalRow, [row for r in records for row in r.final_state])
            self._insert(con, QueryRow, [row for r in records for row in r.queries])
            self._insert(con, CallRow, [row for r in records for row in r.calls])

    def case_results(self, run_id: str, *, status: str | None = None) -> list[CaseRecord]:
        """The case rows of a run (child rows not loaded), ordered by case id and repeat."""
        where, params = "run_id = ?", [run_id]
        if status is not None:
            where, params = where + " AND status = ?", [run_id, status]
        return self._select(CaseRecord, where, params, order="case_id, repeat")

    def ops(self, run_id: str, case_id: str | None = None) -> list[OpRow]:
        where, params = "run_id = ?", [run_id]
        if case_id is not None:
            where, params = where + " AND case_id = ?", [run_id, case_id]
        order = "case_id, repeat, session_index, side, op_index"
        return self._select(OpRow, where, params, order=order)

    def queries(self, run_id: str, case_id: str | None = None) -> list[QueryRow]:
        where, params = "run_id = ?", [run_id]
        if case_id is not None:
            where, params = where + " AND case_id = ?", [run_id, case_id]
        order = "case_id, repeat, query_index, state, mode"
        return self._select(QueryRow, where, params, order=order)

    def calls(self, run_id: str, case_id: str | None = None) -> list[CallRow]:
        where, params = "run_id = ?", [run_id]
        if case_id is not None:
            where, params = where + " AND case_id = ?", [run_id, case_id]
        return self._select(CallRow, where, params, order="case_id, repeat, call_index")

    def final_state(self, run_id: str, case_id: str | None = None) -> list[FinalRow]:
        where, params = "run_id = ?", [run_id]
        if case_id is not None:
            where, params = where + " AND case_id = ?", [run_id, case_id]
        return self._select(FinalRow, where, params, order="case_id, repeat, side, memory_id")


def applied_versions_readonly(con: Any) -> list[int]:
    found = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    tables = {row[0] for row in found}
    if "schema_migrations" not in tables:
        return []
    return [row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()]


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, allow_nan=False)


def _loads(value: Any) -> Any:
    return None if value is None else json.loads(value)
