"""Row classes <-> DuckDB tables: the one insert/select/transaction path of every store.

A row class is a dataclass with ``TABLE`` (its table) and ``JSON_FIELDS`` (fields stored as JSON
text); its fields are the columns (see :func:`~harness.results.records.columns`). Table and
column names come from these classes, never from input; values are always parameters.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from harness.results.records import columns

R = TypeVar("R")

CHUNK_ROWS = 250  # rows per multi-row INSERT statement


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
    """Insert ``records`` (all of class ``cls``) in multi-row statements."""
    if not records:
        return
    names = columns(cls)
    json_fields = cls.JSON_FIELDS  # type: ignore[attr-defined]
    row_marks = "(" + ", ".join("?" * len(names)) + ")"
    for start in range(0, len(records), CHUNK_ROWS):
        chunk = records[start : start + CHUNK_ROWS]
        params: list[Any] = []
        for record in chunk:
            for name in names:
                value = getattr(record, name)
                params.append(dump_json(value) if name in json_fields else value)
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
