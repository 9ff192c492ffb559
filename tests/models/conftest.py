"""Fixtures for the model-gateway tests: a fresh scripted model per test."""

from __future__ import annotations

import uuid

import pytest

from harness.models.scripted import ScriptedModel, scripted_model


@pytest.fixture
def scripted() -> ScriptedModel:
    """A scripted model with a unique name, so tests never share a queue."""
    return scripted_model(f"test-{uuid.uuid4().hex[:8]}").reset()
