"""The store's pure helpers, with hand-computed expectations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from harness.errors import StoreError
from harness.memory.store._filters import compile_filter, kind_pushdown, matches, sql_str
from harness.memory.store._namespaces import from_path, select_namespaces, to_path
from harness.memory.store._ranking import rrf
from harness.memory.store._versions import PreparedWrite, index_text, plan_commit


def test_rrf_sums_reciprocal_ranks():
    fused = rrf([["a", "b", "c"], ["c", "a"]], k=60)
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["b"] == pytest.approx(1 / 62)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert sorted(fused, key=fused.get, reverse=True) == ["a", "c", "b"]


def test_filters_compile_and_match():
    value = {"kind": "Pref", "content": {"category": "ui", "n": 3}}
    assert matches(value, compile_filter({"kind": "Pref", "content.category": "ui"}))
    assert not matches(value, compile_filter({"content.category": "food"}))
    assert matches(value, compile_filter({"content.n": {"$gt": 2, "$lte": 3}}))
    assert not matches(value, compile_filter({"content.n": {"$gt": "2"}}))  # incomparable: false
    assert matches(value, compile_filter({"content.missing": None}))
    assert matches(value, compile_filter({"content": {"category": "ui", "n": 3}}))  # exact dict
    with pytest.raises(StoreError, match="not a dotted field path"):
        compile_filter({"content..x": 1})
    assert (
        kind_pushdown(compile_filter({"kind": {"$in": ["b", "a"]}, "x": 1})) == "kind IN ('a', 'b')"
    )
    assert kind_pushdown(compile_filter({"kind": {"$ne": "a"}})) is None
    assert sql_str("it's") == "'it''s'"


def test_namespace_paths_and_selection():
    assert to_path(("a", "b")) == "a\x1fb\x1f" and from_path("a\x1fb\x1f") == ("a", "b")
    assert to_path(()) == "" and not to_path(("ab",)).startswith(to_path(("a",)))
    spaces = [("a", "x", "1"), ("a", "y"), ("b",), ("a", "x", "2")]
    assert select_namespaces(spaces, prefix=("a",), max_depth=2) == [("a", "x"), ("a", "y")]
    assert select_namespaces(spaces, suffix=("2",)) == [("a", "x", "2")]
    assert select_namespaces(spaces, limit=1, offset=3) == [("b",)]


def test_index_text_default_and_fields():
    value = {"kind": "P", "content": {"category": "ui", "tags": ["a", "b"], "value": "dark"}}
    assert index_text({"content": {"content": "User likes tea"}}, None) == "User likes tea"
    assert index_text(value, None) == "category: ui; tags: a, b; value: dark"
    assert index_text(value, ["content.value", "content.tags", "nope"]) == "dark; a, b"


def test_plan_commit_versions_tombstones_and_created_at():
    times = iter(datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=s) for s in range(10))
    ns = ("m",)
    writes = [
        PreparedWrite(ns, "k", '{"v": 1}', "one"),
        PreparedWrite(ns, "k", '{"v": 2}', "two"),
        PreparedWrite(ns, "k", None),
        PreparedWrite(ns, "gone", None),  # never existed: no row
        PreparedWrite(ns, "k", '{"v": 3}', "three"),
    ]
    rows = plan_commit({}, writes, lambda: next(times))
    summary = [(r.version, r.value_json, r.current, r.deleted, r.text) for r in rows]
    assert summary == [
        (1, '{"v": 1}', False, False, ""),
        (2, '{"v": 2}', False, False, ""),
        (3, "{}", False, True, ""),
        (4, '{"v": 3}', True, False, "three"),
    ]
    assert rows[1].created_at == rows[0].created_at  # update keeps it
    assert rows[3].created_at == rows[3].updated_at > rows[0].created_at  # new life after delete
