"""Full-text ranking whose BM25 statistics come from the searched items alone.

LanceDB's full-text index keeps one set of statistics (how many documents, how many contain each
term, their mean length) for the whole table. In a table shared by many namespaces, the ranking
of one namespace's items then moves whenever items elsewhere are written, or when the index is
brought up to date: two identical replay runs ranked some full-text queries differently, and a
case ranked differently when run alone. Rows the index does not cover are scored by a flat
search whose statistics are those of the rows the search's filter lets through (checked against
each LanceDB release in ``tests/compat/test_lancedb_compat.py``). So a scratch table whose index
was created while it was empty ranks each scope by that scope's statistics alone: the same
scores as an index built on the scope's texts only.

Each call copies the scopes' texts into a fresh in-memory table and drops it afterwards: about
3 ms of set-up on the 2-core machine of ``docs/benchmarks.md``, plus one query per query and scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import lancedb
import pyarrow as pa
from lancedb.index import FTS

from harness._compat.lancedb import query_arrow

_SCHEMA = pa.schema(
    [
        pa.field("scope", pa.int32(), nullable=False),
        pa.field("position", pa.int32(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
    ]
)


def fts_config() -> FTS:
    """The full-text index configuration of every store table and scratch table alike."""
    return FTS()


def scoped_scores(
    scopes: Sequence[Sequence[str]], queries: Sequence[str]
) -> list[list[dict[int, float]]]:
    """Per query, per scope: ``{position of the text in the scope: BM25 score}`` for every text
    of the scope that matches the query, scored with that scope's statistics alone.

    A fresh in-memory connection each time: one kept open grew by about 45 KB per dropped table
    (36 MB after 800 calls), a fresh one (0.5 ms to open) not at all. Blocks: call it from a
    worker thread."""
    out: list[list[dict[int, float]]] = [[{} for _ in scopes] for _ in queries]
    if not queries or not any(scopes):
        return out
    db = lancedb.connect("memory://")
    table = db.create_table("scope", schema=_SCHEMA)
    try:
        table.create_index("text", config=fts_config())  # empty: every row is scored flat
        table.add(_rows(scopes))
        for q, query in enumerate(queries):
            for s, texts in enumerate(scopes):
                if texts:
                    out[q][s] = _search(table, query, s, len(texts))
    finally:
        db.drop_table("scope")
    return out


def _rows(scopes: Sequence[Sequence[str]]) -> pa.Table:
    scope = [s for s, texts in enumerate(scopes) for _ in texts]
    position = [p for texts in scopes for p in range(len(texts))]
    text = [t for texts in scopes for t in texts]
    return pa.Table.from_arrays(
        [pa.array(scope, pa.int32()), pa.array(position, pa.int32()), pa.array(text)],
        schema=_SCHEMA,
    )


def _search(table: Any, query: str, scope: int, size: int) -> dict[int, float]:
    """Every match in ``scope`` (``size`` texts), so ties are cut by the caller, not here."""
    found = query_arrow(
        table,
        lambda t: (
            t.query()
            .nearest_to_text(query, columns="text")
            .where(f"scope = {scope}")
            .select(["position", "_score"])
            .limit(size)
        ),
    )
    return dict(
        zip(found.column("position").to_pylist(), found.column("_score").to_pylist(), strict=True)
    )
