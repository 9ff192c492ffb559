"""The key-term audit files of core.jsonl: in sync with the data, and blind where they must be."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AUDIT = ROOT / "datasets" / "audit"


def _builder():
    spec = importlib.util.spec_from_file_location("build_review", AUDIT / "build_review.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (AUDIT / name).read_text(encoding="utf-8").splitlines()]


def test_the_shipped_audit_files_match_the_data():
    review, verdicts = _builder().build(ROOT / "datasets" / "core.jsonl")
    assert review == _rows("keyterms_review.jsonl")
    assert verdicts == _rows("keyterms_verdicts.jsonl")


def test_the_review_file_holds_no_verdicts_or_key_terms():
    for row in _rows("keyterms_review.jsonl"):
        assert set(row) == {"item", "op", "session_date", "replaces", "gold", "candidates"}
        for candidate in row["candidates"]:
            assert set(candidate) == {"id", "text"}


def test_every_candidate_has_one_verdict():
    review = {(r["item"], c["id"]) for r in _rows("keyterms_review.jsonl") for c in r["candidates"]}
    verdicts = [(v["item"], v["candidate"]) for v in _rows("keyterms_verdicts.jsonl")]
    assert len(verdicts) == len(set(verdicts)) and set(verdicts) == review


def test_candidates_follow_their_rules():
    builder = _builder()
    found = builder._candidates("User does not eat meat", None, "insert")
    assert found == [
        ("restated", "The user does not eat meat", True),
        ("reversed", "User eats meat", False),
    ]
    found = builder._candidates("User lives in Lille", "User lives in Lyon", "update")
    assert found == [
        ("restated", "The user lives in Lille", True),
        ("history", "User lives in Lille (previously: User lives in Lyon)", True),
        ("stale", "User lives in Lyon", False),
    ]
