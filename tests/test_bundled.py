"""Bundled data is found by name from any directory; outputs go to the working directory.

``.ci/wheel-check`` proves the same of an installed wheel in an empty folder; these tests pin
the lookup rules, including the wheel's layout (``harness/_data``), without building one.
"""

from __future__ import annotations

import json

import pytest

import harness._bundled as bundled
from harness.errors import ConfigurationError
from harness.runner.config import resolve_dataset_path
from harness.scoring.calibration import load_calibration, write_calibration
from harness.templates import list_templates, load_prompt, load_template, output_prompts_dir


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """An empty working directory, with no prompts folder configured."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HARNESS_PROMPTS_DIR", raising=False)
    return tmp_path


@pytest.mark.parametrize("ref", ["core", "core.jsonl", "datasets/core.jsonl"])
def test_a_bundled_dataset_is_found_by_name_from_an_empty_folder(elsewhere, ref):
    assert resolve_dataset_path(ref) == bundled.bundled_path("datasets", "core.jsonl").resolve()


def test_the_working_directory_wins_over_the_bundled_copy(elsewhere):
    (elsewhere / "datasets").mkdir()
    own = elsewhere / "datasets" / "core.jsonl"
    own.write_text("", encoding="utf-8")
    assert resolve_dataset_path("core") == own.resolve()
    assert resolve_dataset_path("datasets/core.jsonl") == own.resolve()


def test_an_unknown_dataset_names_the_bundled_ones(elsewhere):
    with pytest.raises(ConfigurationError) as error:
        resolve_dataset_path("nope")
    assert str(error.value).startswith("dataset file nope does not exist")
    assert "core, judgements, long, matcher_pairs, social" in str(error.value)


def test_an_installed_package_reads_its_own_data_folder(tmp_path, monkeypatch, elsewhere):
    """The wheel's layout: harness/_data/{datasets,prompts} beside the code."""
    package = tmp_path / "site" / "harness"
    (package / "_data" / "datasets").mkdir(parents=True)
    (package / "_data" / "prompts").mkdir()
    shipped = package / "_data" / "datasets" / "only.jsonl"
    shipped.write_text("", encoding="utf-8")
    (package / "_data" / "prompts" / "shipped.j2").write_text("Remember.", encoding="utf-8")
    monkeypatch.setattr(bundled, "PACKAGE", package)
    assert bundled.bundled_root() == package / "_data"
    assert resolve_dataset_path("only") == shipped.resolve()
    assert bundled.bundled_datasets() == ["only"]
    assert load_template("shipped").source == "Remember."


def test_templates_by_name_from_an_empty_folder(elsewhere):
    assert load_template("concise").name == "concise"
    assert load_prompt("answer", "default").name == "answer/default"
    assert {"default", "concise", "explicit"} <= set(list_templates())


def test_a_local_prompts_folder_adds_to_the_bundled_templates(elsewhere):
    (elsewhere / "prompts").mkdir()
    (elsewhere / "prompts" / "mine.j2").write_text("Mine.", encoding="utf-8")
    assert load_template("mine").source == "Mine."
    assert load_template("default").name == "default"  # still found, from the bundle
    assert {"mine", "default"} <= set(list_templates())


def test_new_templates_and_calibrations_are_written_to_the_working_directory(elsewhere):
    assert output_prompts_dir() == elsewhere / "prompts"
    shipped = bundled.PACKAGE / "scoring" / "calibration.json"
    before = shipped.read_bytes()
    data = load_calibration(shipped)
    assert data is not None
    target = write_calibration(data)
    assert target.resolve() == (elsewhere / "calibration.json").resolve()
    assert json.loads(target.read_text(encoding="utf-8"))["n_pairs"] == data.n_pairs
    assert shipped.read_bytes() == before
