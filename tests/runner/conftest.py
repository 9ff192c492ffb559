"""Fixtures for the runner tests: the tiny hand-labeled dataset, a results database, and
scripted models that answer from :mod:`scripted_fixture`."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import scripted_fixture

from harness._async import run_sync
from harness.models.scripted import ScriptedModel, scripted_model
from harness.reports import ResultsStore, open_results
from harness.runner import RunConfig
from harness.runner.engine import RunResult, arun

DATA = Path(__file__).resolve().parent / "data"
TINY = DATA / "tiny.jsonl"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "results.duckdb"


@pytest.fixture
def tiny_model() -> ScriptedModel:
    """A scripted model (unique name) that answers the tiny dataset as scripted."""
    model = scripted_model(f"tiny-{uuid.uuid4().hex[:8]}").reset()
    return model.respond_with(scripted_fixture.reply)


def run(config: RunConfig, db: Path | ResultsStore, **kwargs) -> RunResult:
    return run_sync(arun(config, db=db, **kwargs))


def results(db: Path) -> ResultsStore:
    return open_results(db)
