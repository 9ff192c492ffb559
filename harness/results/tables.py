"""Row classes <-> DuckDB tables: the one insert/select/transaction path of every store.

A row class is a dataclass with ``TABLE`` (its table) and ``JSON_FIELDS`` (fields stored as JSON
text); its fields are the columns (see :func:`~harness.results.records.columns`). Table and
column names come from these classes, never from input; values are always parameters.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from harness.results.records import columns

R = TypeVar("R")

CHUNK_ROWS = 250  # rows per multi-row INSERT statement
ARROW_MIN_VALUES = 200
"""From this many values on, an insert goes through Arrow. Measured on the rows of a 200-case
run inside one transaction: a parameter insert costs about 1.5 ms plus 25-60 us a value, an
Arrow one 3-5 ms; 200 gave the least insert CPU (about a third less than 2,000)."""
_ARROW_VIEW = "harness_rows_to_insert"
_schemas: dict[tuple[str, tuple[str, ...]], Any] = {}
"""Arrow schema of (table, columns), from the table itself (the same for every database at
the current schema version: older ones are migrated when opened)."""


def dump_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, allow_nan=False)


def load_json(value: Any) -> Any:
    return None if value is None else json.loads(value)


@contextmanager
def transaction(con: Any) -> Iterator[Any]:
    """``BEGIN`` ... ``COMMIT``, rolled back when the block raises."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def insert_rows(con: Any, cls: type, records: Sequence[Any]) -> None:
    """Insert ``records`` (all of class ``cls``): many values as one Arrow table, a few (or
    values Arrow cannot hold in the column's type) as parameters of multi-row statements.

    DuckDB binds each parameter on its own, so a batch of a few dozen cases' rows costs tens of
    milliseconds that way, an Arrow table a few; for a handful of rows the parameters are
    cheaper (:data:`ARROW_MIN_VALUES`). Both paths store the same values.
    """
    if not records:
        return
    names = columns(cls)
    if len(records) * len(names) >= ARROW_MIN_VALUES and _insert_arrow(con, cls, names, records):
        return
    _insert_params(con, cls, names, records)


def _values(cls: type, names: list[str], record: Any) -> list[Any]:
    json_fields = cls.JSON_FIELDS  # type: ignore[attr-defined]
    return [
        dump_json(getattr(record, name)) if name in json_fields else getattr(record, name)
        for name in names
    ]


def _insert_arrow(con: Any, cls: type, names: list[str], records: Sequence[Any]) -> bool:
    """Insert through an Arrow table typed like the table's columns; False if a value does not
    convert (the caller then lets DuckDB cast the parameters, as it always did)."""
    import pyarrow as pa

    table_name = cls.TABLE  # type: ignore[attr-defined]
    key = (table_name, tuple(names))
    schema = _schemas.get(key)
    if schema is None:
        sql = f"SELECT {', '.join(names)} FROM {table_name} LIMIT 0"
        schema = _schemas[key] = con.sql(sql).to_arrow_table().schema
    rows = [_values(cls, names, record) for record in records]
    try:  # typed as Python sees the values, then cast safely: 2.7 never becomes an integer 2
        data = pa.Table.from_arrays(
            [
                pa.array([row[i] for row in rows]).cast(f.type, safe=True)
                for i, f in enumerate(schema)
            ],
            schema=schema,
        )
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return False
    con.register(_ARROW_VIEW, data)
    try:
        con.execute(f"INSERT INTO {table_name} ({', '.join(names)}) SELECT * FROM {_ARROW_VIEW}")
    finally:
        con.unregister(_ARROW_VIEW)
    return True


def _insert_params(con: Any, cls: type, names: list[str], records: Sequence[Any]) -> None:
    row_marks = "(" + ", ".join("?" * len(names)) + ")"
    for start in range(0, len(records), CHUNK_ROWS):
        chunk = records[start : start + CHUNK_ROWS]
        params: list[Any] = []
        for record in chunk:
            params += _values(cls, names, record)
        sql = f"INSERT INTO {cls.TABLE} ({', '.join(names)}) VALUES " + ", ".join(  # type: ignore[attr-defined]
            [row_marks] * len(chunk)
        )
        con.execute(sql, params)


def select_rows(
    con: Any, cls: type[R], where: str, params: Sequence[Any], order: str = ""
) -> list[R]:
    """Rows of ``cls``'s table matching ``where`` (a parameterised condition), as ``cls``."""
    names = columns(cls)
    sql = f"SELECT {', '.join(names)} FROM {cls.TABLE} WHERE {where}"  # type: ignore[attr-defined]
    if order:
        sql += f" ORDER BY {order}"
    json_fields = cls.JSON_FIELDS  # type: ignore[attr-defined]
    return [
        cls(
            **{
                n: (load_json(v) if n in json_fields else v)
                for n, v in zip(names, row, strict=True)
            }
        )
        for row in con.execute(sql, list(params)).fetchall()
    ]


def find_row(con: Any, cls: type[R], key: str, ref: str, *, newest: str) -> R | None:
    """The row whose ``key`` column is ``ref``, else the first by ``newest`` (an ORDER BY) whose
    ``name`` is ``ref``: how runs and optimizations are found by id or name."""
    found = select_rows(con, cls, f"{key} = ?", [ref])
    if not found:
        found = select_rows(con, cls, "name = ?", [ref], newest)
    return found[0] if found else None


def update_row(con: Any, cls: type, key: str, ref: Any, values: Mapping[str, Any]) -> None:
    """Set columns of the row of ``cls``'s table whose ``key`` column is ``ref``; the names are
    checked against ``cls`` (the key itself cannot change), ``JSON_FIELDS`` stored as JSON."""
    unknown = set(values) - (set(columns(cls)) - {key})
    if unknown:
        raise ValueError(f"{cls.TABLE}: unknown columns {sorted(unknown)}")  # type: ignore[attr-defined]
    names = sorted(values)
    json_fields = cls.JSON_FIELDS  # type: ignore[attr-defined]
    params = [dump_json(values[n]) if n in json_fields else values[n] for n in names]
    assignments = ", ".join(f"{n} = ?" for n in names)
    sql = f"UPDATE {cls.TABLE} SET {assignments} WHERE {key} = ?"  # type: ignore[attr-defined]
    con.execute(sql, [*params, ref])
