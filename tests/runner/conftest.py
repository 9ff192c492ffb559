"""Fixtures of the runner tests; shared helpers live in ``runner_helpers``."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import scripted_fixture

from harness.models.scripted import ScriptedModel, scripted_model


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "results.duckdb"


@pytest.fixture
def tiny_model() -> ScriptedModel:
    """A scripted model (unique name) that answers the tiny dataset as scripted."""
    model = scripted_model(f"tiny-{uuid.uuid4().hex[:8]}").reset()
    return model.respond_with(scripted_fixture.reply)
