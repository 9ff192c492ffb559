"""Fixtures for the optimizer tests: the planted problem of ``planted.py``, fresh per test."""

from __future__ import annotations

import uuid

import pytest
from planted import PLANTED, START, Planted, extract, write_cases

from harness.models.scripted import scripted_model


@pytest.fixture
def planted(tmp_path) -> Planted:
    tag = uuid.uuid4().hex[:8]
    extractor = scripted_model(f"opt-extract-{tag}").reset().respond_with(extract)
    proposer = scripted_model(f"opt-propose-{tag}").reset()
    prompt = tmp_path / "start.j2"
    prompt.write_text(START, encoding="utf-8")
    return Planted(
        dataset=write_cases(tmp_path / "planted.jsonl", PLANTED),
        prompt=prompt,
        db=tmp_path / "results.duckdb",
        extractor=extractor,
        proposer=proposer,
        folder=tmp_path,
    )
