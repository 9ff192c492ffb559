"""The docs' matrix of this project's manager, LangMem and Mem0 on one scripted model.

The matrix file is read from ``docs/systems.md`` itself and run on the bundled dataset with the
scripted model of :mod:`.peer_model` (first 8 update cases instead of 20, to stay quick). With
the same model answers, the manager and LangMem make the same decisions; Mem0 extracts
additively, so the updates the other two make appear as inserts and its update F1 is 0.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from harness.models.scripted import scripted_model
from harness.results import open_results
from harness.runner.matrix import MatrixConfig, run_matrix
from harness.systems import langmem as langmem_adapter
from harness.systems import mem0 as mem0_adapter

from . import peer_model

ROOT = Path(__file__).resolve().parents[2]


def docs_matrix() -> dict:
    text = (ROOT / "docs" / "systems.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(name = \"peers\".*?)```", text, re.S)
    assert block is not None, "docs/systems.md lost its peers matrix"
    return tomllib.loads(block[1])


@pytest.mark.slow
@pytest.mark.skipif(
    bool(langmem_adapter.missing_packages() + mem0_adapter.missing_packages()),
    reason="needs the [langmem] and [mem0] extras: pip install 'memory-harness[langmem,mem0]'",
)
def test_the_docs_matrix_compares_the_three_systems(tmp_path, monkeypatch):
    raw = docs_matrix()
    assert raw["systems"] == ["harness", "langmem", "mem0"]
    (model,) = raw["models"]
    scripted_model(model.removeprefix("scripted/")).reset().respond_with(peer_model.reply)
    raw["run"] = {**raw["run"], "limit": 8, "n_resamples": 0, "cache": "off"}
    raw["datasets"] = [str(ROOT / "datasets" / "core.jsonl")]
    db = tmp_path / "r.duckdb"
    result = run_matrix(MatrixConfig.model_validate(raw), db=db)
    assert [e.status for e in result.entries] == ["ran", "ran", "ran"]
    with open_results(db) as store:
        metrics = [store.run_metrics(e.run_id) for e in result.entries]
        models = [store.get_run(e.run_id).model for e in result.entries]
    assert models == [model, f"langmem/{model}", f"mem0/{model}"]
    harness, langmem, mem0 = ({k: m[k].value for k in m} for m in metrics)
    assert harness["error_rate"] == langmem["error_rate"] == mem0["error_rate"] == 0.0
    assert harness["update_f1"] > 0 and langmem["update_f1"] == harness["update_f1"]
    assert langmem["micro_f1"] == harness["micro_f1"]
    assert mem0["update_f1"] == 0.0 and mem0["micro_f1"] < harness["micro_f1"]
