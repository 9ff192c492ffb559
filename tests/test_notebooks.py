"""The analysis notebooks run headless against a small results database, so they never rot.

Each notebook is stored as a jupytext percent-format script; the test turns it into a notebook
(jupytext -> nbformat) and executes every cell in a real ``python3`` kernel (nbclient +
ipykernel), then checks what it displayed and drew.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))


def _report_cases():
    """The hand-made runs of the report tests (tests/reports/report_cases.py)."""
    path = Path(__file__).parent / "reports" / "report_cases.py"
    spec = importlib.util.spec_from_file_location("report_cases_for_notebooks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results_db(tmp_path_factory) -> Path:
    """Two hand-made runs, made to differ in model and template."""
    from harness.results import open_results

    db, _ = _report_cases().hand_made_db(tmp_path_factory.mktemp("nb"))
    with open_results(db) as store:
        store.connection.execute(
            "UPDATE runs SET model = 'scripted/other', template_name = 'explicit' "
            "WHERE run_id = 'run-b'"
        )
    return db


def _execute(path: Path, cwd: Path):
    import jupytext
    from nbclient import NotebookClient

    notebook = jupytext.read(path)
    client = NotebookClient(
        notebook, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(cwd)}}
    )
    client.execute()
    return notebook


def _outputs(notebook) -> list[dict]:
    return [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]


def test_there_is_a_notebook():
    assert [p.name for p in NOTEBOOKS] == ["compare_runs.py"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_headless(path, results_db, tmp_path, monkeypatch):
    figures = tmp_path / "figures"
    monkeypatch.setenv("HARNESS_DB", str(results_db))
    monkeypatch.setenv("HARNESS_FIGURES", str(figures))
    notebook = _execute(path, tmp_path)

    outputs = _outputs(notebook)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 5, "every plot cell shows its figure"
    text = "\n".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "scripted/m / default" in text and "scripted/other / explicit" in text
    assert "no significant change" in text  # the paired differences table
    assert sorted(p.name for p in figures.glob("*.png")) == [
        "micro_f1_intervals.png",
        "model_template.png",
        "op_outcomes.png",
        "per_tag.png",
        "quality_latency.png",
    ]
    assert all(p.stat().st_size > 5_000 for p in figures.glob("*.png"))
