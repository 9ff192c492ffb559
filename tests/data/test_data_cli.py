"""``harness datasets validate|stats|import``: output and exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from harness.cli.datasets import app

HERE = Path(__file__).parent
runner = CliRunner()


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real entry point, so the HarnessError -> exit 2 wrapper is exercised too."""
    code = "from harness.cli.main import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600
    )


def test_validate_prints_ok_with_count_and_hash(write_jsonl, case_factory) -> None:
    path = write_jsonl([case_factory("a"), case_factory("b")])
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    from harness.data import load_dataset

    expected_hash = load_dataset(path).content_hash
    assert result.output == f"OK    {path}: 2 cases, sha256 {expected_hash}\n"


def test_validate_lists_every_problem_and_exits_1(write_jsonl, case_factory) -> None:
    good = write_jsonl([case_factory("a")], name="good.jsonl")
    bad = HERE / "broken" / "wrong_type.jsonl"
    result = runner.invoke(app, ["validate", str(good), str(bad)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(f"OK    {good}: 1 cases")
    assert lines[1] == f"FAIL  {bad}: 5 problems; nothing was loaded"
    assert lines[2] == f"  {bad}:1: tags: should be a list, got a string"
    assert len(lines) == 2 + 5 + 1
    assert lines[-1] == "1 of 2 files invalid"


def test_validate_a_folder_covers_case_and_pair_files(tmp_path: Path, case_factory) -> None:
    (tmp_path / "cases.jsonl").write_text(json.dumps(case_factory("a")) + "\n")
    pair = {"id": "p1", "a": "User likes tea", "b": "User enjoys tea", "same": True}
    (tmp_path / "pairs.jsonl").write_text(json.dumps(pair) + "\n")
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "cases.jsonl: 1 cases" in result.output
    assert "pairs.jsonl: 1 pairs" in result.output


def test_stats_json_numbers(write_jsonl, case_factory) -> None:
    nothing = case_factory("quiet", tags=["chit-chat"], existing=[], queries=[])
    nothing["sessions"][0]["expected"] = []
    path = write_jsonl([case_factory("a"), case_factory("b"), nothing])
    result = runner.invoke(app, ["stats", str(path), "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert stats["cases"] == 3
    assert stats["sessions"] == 3
    assert stats["messages"] == 6
    assert stats["ops"] == {"insert": 2, "update": 2, "delete": 0}
    assert stats["optional_ops"] == 2
    assert stats["nothing_to_store_sessions"] == 1
    assert stats["partial_sessions"] == 0
    assert stats["queries"] == 2
    assert stats["cases_with_queries_pct"] == 66.7
    assert stats["tags"] == {"preference": 2, "update": 2, "chit-chat": 1}
    assert stats["schemas"] == {"Memory": 3}
    assert sum(stats["splits"].values()) == 3
    assert stats["turns_per_case"] == {"min": 2.0, "median": 2.0, "mean": 2.0, "max": 2.0}
    assert stats["cases_by_turns"] == {"1-4": 3, "5-19": 0, "20-80": 0, "81+": 0}
    assert stats["languages"] == {"untagged": 3}


def test_stats_count_turn_bands_and_languages(write_jsonl, case_factory) -> None:
    long = case_factory("long", tags=["lang-de"])
    long["sessions"][0]["messages"] = [
        {"id": f"t{i}", "role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i}"}
        for i in range(21)
    ]
    long["sessions"][0]["expected"] = []
    long["existing"], long["queries"] = [], []
    both = case_factory("both", tags=["lang-es", "lang-fr"])
    path = write_jsonl([long, both, case_factory("plain")])
    result = runner.invoke(app, ["stats", str(path), "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    # messages per case: 21, 2, 2
    assert stats["turns_per_case"] == {"min": 2.0, "median": 2.0, "mean": 8.3, "max": 21.0}
    assert stats["cases_by_turns"] == {"1-4": 2, "5-19": 0, "20-80": 1, "81+": 0}
    assert stats["languages"] == {"de": 1, "es": 1, "fr": 1, "untagged": 1}


def test_stats_count_queries_by_category(write_jsonl, case_factory) -> None:
    cases = [case_factory(name) for name in ("a", "b", "c", "d")]
    cases[0]["queries"][0]["category"] = "knowledge-update"
    cases[1]["queries"][0]["category"] = "knowledge-update"
    cases[2]["queries"][0]["category"] = "temporal-reasoning"
    path = write_jsonl(cases)  # the fourth query has no category and is not counted
    result = runner.invoke(app, ["stats", str(path), "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert stats["query_categories"] == {"knowledge-update": 2, "temporal-reasoning": 1}
    table = runner.invoke(app, ["stats", str(path)]).output
    assert "knowledge-update 2, temporal-reasoning 1" in table


def test_stats_table(write_jsonl, case_factory) -> None:
    path = write_jsonl([case_factory("a")])
    result = runner.invoke(app, ["stats", str(path)])
    assert result.exit_code == 0, result.output
    assert "insert 1, update 1, delete 0" in result.output
    assert "100.0 %" in result.output


def test_import_writes_a_valid_file(tmp_path: Path) -> None:
    out = tmp_path / "lme.jsonl"
    sample = HERE / "samples" / "longmemeval_sample.json"
    result = runner.invoke(app, ["import", "longmemeval", str(sample), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote 3 cases to {out}, sha256 " in result.output
    assert "warning: lme-q-91c2e4_abs: no evidence" in result.output
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0


def test_import_locomo_takes_a_folder_and_a_file_together(tmp_path: Path) -> None:
    out = tmp_path / "locomo.jsonl"
    folder = HERE / "samples" / "locomo_v2"
    flat = HERE / "samples" / "locomo_flat.json"
    result = runner.invoke(app, ["import", "locomo", str(folder), str(flat), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote 3 cases to {out}" in result.output
    refused = runner.invoke(app, ["import", "longmemeval", str(folder), "-o", str(out), "--force"])
    assert refused.exit_code == 2
    assert "LongMemEval takes one JSON file" in refused.output


def test_entry_point_exit_codes(tmp_path: Path) -> None:
    broken = HERE / "broken" / "duplicate_case_id.jsonl"
    failed = _harness("datasets", "validate", str(broken))
    assert failed.returncode == 1
    assert f"{broken}:4: id: duplicate case id 'same' (first at line 1)" in failed.stdout

    # stats on an invalid file is an error (HarnessError -> exit 2, message on stderr)
    errored = _harness("datasets", "stats", str(broken))
    assert errored.returncode == 2
    assert "duplicate case id 'same'" in errored.stderr

    out = tmp_path / "x.jsonl"
    out.write_text("keep me\n")
    sample = HERE / "samples" / "locomo_flat.json"
    refused = _harness("datasets", "import", "locomo", str(sample), "-o", str(out))
    assert refused.returncode == 2
    assert "already exists" in refused.stderr
    assert out.read_text() == "keep me\n"

    missing = _harness("datasets", "validate", str(tmp_path / "absent.jsonl"))
    assert missing.returncode == 2


def test_bundled_datasets_validate() -> None:
    bundled = sorted((HERE.parent.parent / "datasets").glob("*.jsonl"))
    assert bundled, "datasets/*.jsonl should ship with the project"
    result = runner.invoke(app, ["validate", *map(str, bundled)])
    assert result.exit_code == 0, result.output


def test_a_judgement_file_is_recognised_and_validated(write_jsonl) -> None:
    record = {"id": "j-1", "question": "Q?", "gold_answer": "a", "response": "a",
              "human": "correct", "protocol": "locomo"}  # fmt: skip
    path = write_jsonl([record], name="judgements.jsonl")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "judgements.jsonl: 1 judgements" in result.output
    refused = _harness("datasets", "stats", str(path))
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr == (
        f"error: {path} holds labelled judgements, which have no dataset stats; "
        "check a judge on them with 'harness judges agreement'\n"
    )
