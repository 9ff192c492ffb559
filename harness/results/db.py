"""The results database: runs, case results, ops, queries and model calls in DuckDB.

:class:`ResultsStore` receives an open DuckDB connection (or use :func:`open_results`), brings its
schema up to date through recorded migrations, and serialises every use of the connection behind
one lock, so concurrent case tasks can hand it their writes from worker threads. Every statement
is parameterised; table and column names come from the record classes, never from input.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from harness.errors import ConfigurationError
from harness.results.migrations import LATEST_VERSION, RESULTS_SCHEMA, migrate, utc_now
from harness.results.records import (
    AnswerRow,
    CallRow,
    CaseRecord,
    FinalRow,
    MetricRow,
    OpRow,
    QueryRow,
    RunRecord,
)
from harness.results.tables import find_row, insert_rows, select_rows, transaction, update_row

DB_ENV = "HARNESS_DB"
DEFAULT_DB = Path("reports") / "harness.duckdb"

R = TypeVar("R")

RUN_TABLES: tuple[str, ...] = tuple(
    cls.TABLE
    for cls in (AnswerRow, CallRow, QueryRow, FinalRow, OpRow, MetricRow, CaseRecord, RunRecord)
)
"""The results schema's tables holding a run's rows (children first, the run last)."""


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
    con = None
    try:
        con = duckdb.connect(target, read_only=read_only)
        return ResultsStore(con, where=target, read_only=read_only, owns_connection=True)
    except duckdb.Error as exc:
        if con is not None:
            con.close()
        raise ConfigurationError(_unreadable(target, exc)) from None


def _unreadable(target: str, exc: Exception, verb: str = "open") -> str:
    """Why a results database cannot be opened (or read), with the likely cause: a lock held by
    another process, or a truncated or corrupt file (never a traceback)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "lock on file" in text or "conflicting lock" in text.lower():
        hint = "is another harness process using it?"
        return f"cannot {verb} results database {target}: {text} ({hint})"
    return (
        f"cannot {verb} results database {target}: it is truncated or corrupt, or not a DuckDB "
        f"file ({text}); restore it from a copy or give another --db"
    )


_DAMAGE = ("corrupt database file", "checksum", "invalidated", "could not read enough bytes")
"""What DuckDB says when a block read after opening is damaged (or the file was cut short)."""


def _damaged(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(sign in text for sign in _DAMAGE)


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
            done = RESULTS_SCHEMA.applied_read_only(connection)
            if max(done, default=0) > LATEST_VERSION:
                raise ConfigurationError(
                    f"{where}: schema version {max(done)} is newer than this harness reads "
                    f"({LATEST_VERSION}); upgrade memory-harness to read it"
                )
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

    @contextmanager
    def _use(self) -> Iterator[Any]:
        """The connection, for one caller at a time. A file damaged past its header opens
        fine and fails at the first read of a bad block: that is a ConfigurationError naming
        the file, as at opening, not a DuckDB traceback."""
        import duckdb

        with self._lock:
            try:
                yield self._con
            except duckdb.Error as exc:
                if not _damaged(exc):
                    raise
                raise ConfigurationError(_unreadable(self.where, exc, "read")) from None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a parameterised query and return its rows as dicts."""
        with self._use() as con:
            cursor = con.execute(sql, list(params))
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._use() as con, transaction(con):
            yield con

    def _select(self, cls: type[R], where: str, params: Sequence[Any], order: str = "") -> list[R]:
        with self._use() as con:
            return select_rows(con, cls, where, params, order)

    # -- runs --------------------------------------------------------------------------------

    def create_run(self, run: RunRecord) -> None:
        with self._transaction() as con:
            insert_rows(con, RunRecord, [run])

    def get_run(self, run_id: str) -> RunRecord | None:
        found = self._select(RunRecord, "run_id = ?", [run_id])
        return found[0] if found else None

    def find_run(self, ref: str) -> RunRecord:
        """A run by id, or the latest run with that name; ConfigurationError when none."""
        with self._use() as con:
            run = find_row(con, RunRecord, "run_id", ref, newest="started_at DESC")
        if run is not None:
            return run
        raise ConfigurationError(f"{self.where}: no run with id or name {ref!r}")

    def list_runs(self, *, status: str | None = None) -> list[RunRecord]:
        """Runs, oldest first (optionally only those with ``status``)."""
        if status is None:
            return self._select(RunRecord, "true", [], order="started_at, run_id")
        return self._select(RunRecord, "status = ?", [status], order="started_at, run_id")

    def rename_run(self, run_id: str, name: str | None) -> None:
        """Give a run a new name (``None`` removes it); names need not be unique (the newest
        run of a name is the one found by it)."""
        with self._transaction() as con:
            update_row(con, RunRecord, "run_id", run_id, {"name": name})

    def delete_run(self, run_id: str) -> dict[str, int]:
        """Delete a run with all its rows in every table of the results schema, atomically;
        returns the rows deleted per table. Refused when a table outside that schema (an
        optimization's scores) refers to the run: deleting it would corrupt that record."""
        counts = {table: self._count(table, run_id) for table in self.run_tables()}
        foreign = [t for t, n in counts.items() if n and t not in RUN_TABLES]
        if foreign:
            raise ConfigurationError(
                f"{self.where}: run {run_id} is referred to by table(s) {', '.join(foreign)} "
                "(an optimization evaluated it); it is kept so that record stays whole"
            )
        with self._transaction() as con:
            for table in RUN_TABLES:  # table names come from the record classes, not input
                con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
        return {t: counts.get(t, 0) for t in RUN_TABLES if counts.get(t, 0)}

    def run_tables(self) -> list[str]:
        """Every table of the database with a ``run_id`` column (other schemas' included)."""
        rows = self.query(
            "SELECT c.table_name FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_schema, table_name) "
            "WHERE c.column_name = 'run_id' AND t.table_type = 'BASE TABLE' ORDER BY 1"
        )
        return [row["table_name"] for row in rows]

    def _count(self, table: str, run_id: str) -> int:
        sql = f'SELECT count(*) AS n FROM "{table}" WHERE run_id = ?'  # a name from the catalog
        return int(self.query(sql, [run_id])[0]["n"])

    def set_status(self, run_id: str, status: str, *, error: str | None = None) -> None:
        with self._transaction() as con:
            update_row(con, RunRecord, "run_id", run_id, {"status": status, "error": error})

    def finish_run(
        self,
        run_id: str,
        metrics: Sequence[MetricRow],
        summary: dict[str, Any],
        *,
        status: str = "finished",
        error: str | None = None,
    ) -> None:
        """Store the aggregates (replacing earlier ones) and mark the run finished (or
        ``failed``, with ``error`` saying why), atomically."""
        with self._transaction() as con:
            con.execute("DELETE FROM run_metrics WHERE run_id = ?", [run_id])
            insert_rows(con, MetricRow, list(metrics))
            values = {"status": status, "finished_at": utc_now(), "metrics": summary}
            update_row(con, RunRecord, "run_id", run_id, {**values, "error": error})

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
            insert_rows(con, CaseRecord, records)
            insert_rows(con, OpRow, [row for r in records for row in r.ops])
            insert_rows(con, FinalRow, [row for r in records for row in r.final_state])
            insert_rows(con, QueryRow, [row for r in records for row in r.queries])
            insert_rows(con, CallRow, [row for r in records for row in r.calls])
            insert_rows(con, AnswerRow, [row for r in records for row in r.answers])

    def case_results(self, run_id: str, *, status: str | None = None) -> list[CaseRecord]:
        """The case rows of a run (child rows not loaded), ordered by case id and repeat."""
        where, params = "run_id = ?", [run_id]
        if status is not None:
            where, params = where + " AND status = ?", [run_id, status]
        return self._select(CaseRecord, where, params, order="case_id, repeat")

    def ops(self, run_id: str, case_id: str | None = None) -> list[OpRow]:
        order = "case_id, repeat, session_index, side, op_index"
        return self._case_rows(OpRow, run_id, case_id, order)

    def queries(self, run_id: str, case_id: str | None = None) -> list[QueryRow]:
        return self._case_rows(
            QueryRow, run_id, case_id, "case_id, repeat, query_index, state, mode"
        )

    def calls(self, run_id: str, case_id: str | None = None) -> list[CallRow]:
        return self._case_rows(CallRow, run_id, case_id, "case_id, repeat, call_index")

    def answers(self, run_id: str, case_id: str | None = None) -> list[AnswerRow]:
        """The answer stage's rows of a run (or of one case), in question order."""
        return self._case_rows(AnswerRow, run_id, case_id, "case_id, repeat, query_index")

    def final_state(self, run_id: str, case_id: str | None = None) -> list[FinalRow]:
        return self._case_rows(FinalRow, run_id, case_id, "case_id, repeat, side, memory_id")

    def _case_rows(self, cls: type[R], run_id: str, case_id: str | None, order: str) -> list[R]:
        """Child rows of a run, or of one of its cases."""
        if case_id is None:
            return self._select(cls, "run_id = ?", [run_id], order=order)
        return self._select(cls, "run_id = ? AND case_id = ?", [run_id, case_id], order=order)
