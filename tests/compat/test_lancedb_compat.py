"""LanceDB behind one door: the internals and the assumption harness/_compat/lancedb.py relies
on still hold for the installed release.

If a test here fails after a LanceDB upgrade, update harness/_compat/lancedb.py, not its callers.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace

import lancedb
import pyarrow as pa
import pytest

from harness._compat import lancedb as compat


@pytest.fixture
def table(tmp_path):
    db = lancedb.connect(str(tmp_path), read_consistency_interval=timedelta(0))
    schema = pa.schema([pa.field("id", pa.string()), pa.field("n", pa.int64())])
    return db.create_table("t", schema=schema)


def test_latest_version_is_the_tables_version_also_after_another_handle_commits(tmp_path, table):
    assert asyncio.run(compat.latest_version(table)) == table.version
    other = lancedb.connect(str(tmp_path), read_consistency_interval=timedelta(0)).open_table("t")
    other.add([{"id": "a", "n": 1}])
    assert asyncio.run(compat.latest_version(table)) == other.version == table.version


def test_each_commit_makes_exactly_one_table_version(table):
    before = table.version
    table.add([{"id": "a", "n": 1}, {"id": "b", "n": 2}])
    assert table.version == compat.next_version(before)
    before = table.version
    merge = table.merge_insert("id").when_matched_update_all().when_not_matched_insert_all()
    merge.execute([{"id": "a", "n": 3}, {"id": "c", "n": 4}])
    assert table.version == compat.next_version(before)


def test_a_missing_internal_fails_naming_it():
    with pytest.raises(compat.LanceDBChanged, match=r"LanceTable\._table"):
        asyncio.run(compat.latest_version(SimpleNamespace()))


def test_query_arrow_runs_an_async_query_built_on_the_table(table):
    table.add([{"id": "a", "n": 1}, {"id": "b", "n": 2}, {"id": "c", "n": 3}])
    found = compat.query_arrow(table, lambda t: t.query().where("n >= 2").select(["id"]))
    assert sorted(found.column("id").to_pylist()) == ["b", "c"]


def test_rows_outside_the_full_text_index_are_scored_by_the_rows_the_filter_keeps():
    """What :mod:`harness.memory.store._lance_scoped` relies on: in a table whose full-text
    index was created empty, a filtered search scores with the statistics of the rows the filter
    keeps, exactly as an index built on those rows alone."""
    from lancedb.index import FTS

    mine = ["user drinks tea tea tea", "green", "green tea house", "a filler"]
    others = [f"tea and more tea number {i}" for i in range(40)]
    db = lancedb.connect("memory://")
    alone = db.create_table("alone", data=[{"text": t} for t in mine])
    alone.create_index("text", config=FTS())
    shared = db.create_table(
        "shared", schema=pa.schema([("scope", pa.int32()), ("text", pa.string())])
    )
    shared.create_index("text", config=FTS())  # while empty: nothing is ever indexed
    shared.add([{"scope": 1, "text": t} for t in others[:20]])
    shared.add([{"scope": 0, "text": t} for t in mine])
    shared.add([{"scope": 1, "text": t} for t in others[20:]])

    def scores(table, where=None):
        def build(t):
            query = (
                t.query().nearest_to_text("green tea", columns="text").select(["text", "_score"])
            )
            return (query.where(where) if where else query).limit(50)

        found = compat.query_arrow(table, build)
        texts, found_scores = found.column("text").to_pylist(), found.column("_score").to_pylist()
        return {text: round(score, 5) for text, score in zip(texts, found_scores, strict=True)}

    expected = scores(alone)
    assert sorted(expected) == sorted(mine[:3])
    assert scores(shared, "scope = 0") == expected
    unfiltered = scores(shared)  # the other rows count: "tea" is common among them
    assert {text: unfiltered[text] for text in expected} != expected
