"""A ``harness run`` killed with SIGKILL mid-way, then ``--resume``: one row per case x repeat."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from runner_helpers import results, synthetic_cases, write_cases

HERE = Path(__file__).resolve().parent
N_CASES, REPEATS = 12, 2

pytestmark = pytest.mark.slow


def _env(log: Path) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
    return {
        **os.environ,
        "PYTHONPATH": path,
        "HARNESS_SCRIPTED_RESPONDER": "slow_plugin",
        "SLOW_DELAY": "0.3",
        "SLOW_CALL_LOG": str(log),
    }


def _scratch(run_id: str) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"harness-run-{run_id}-*"))


def _harness(*args: str) -> list[str]:
    return [sys.executable, "-m", "harness.cli.main", "run", *args]


def _wait_for_calls(log: Path, n: int, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and len(log.read_text().splitlines()) >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before it was killed: {proc.stderr.read()}")
        time.sleep(0.05)
    raise AssertionError(f"fewer than {n} model calls within {timeout} s")


def test_sigkill_then_resume_leaves_exactly_one_row_per_case_and_repeat(tmp_path):
    dataset = write_cases(tmp_path / "syn.jsonl", synthetic_cases(N_CASES))
    db, log = tmp_path / "results.duckdb", tmp_path / "calls.log"
    env = _env(log)
    common = ["--db", str(db), "--progress", "none"]
    proc = subprocess.Popen(
        _harness(
            "--dataset", str(dataset), "--model", "scripted/slow", "--name", "killed",
            "--repeats", str(REPEATS), "--concurrency", "2", "--matcher", "exact", *common,
        ),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _wait_for_calls(log, 12, proc)  # about half the calls: some cases recorded, some not
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL

    with results(db) as store:
        [run] = store.list_runs()
        recorded = store.completed(run.run_id)
    assert run.status == "running"  # nobody got the chance to say otherwise
    assert _scratch(run.run_id)  # the killed process could not remove its temporary store
    assert 0 < len(recorded) < N_CASES * REPEATS

    # Nothing is interrupted from here on: the rest of the run may go at full speed.
    resumed = subprocess.run(
        _harness("--resume", "killed", "--json", "--concurrency", "8", *common),
        env={**env, "SLOW_DELAY": "0"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    payload = json.loads(resumed.stdout)
    assert payload["run_id"] == run.run_id and payload["case_repeats"] == N_CASES * REPEATS

    with results(db) as store:
        rows = store.query(
            "SELECT case_id, repeat, count(*) AS n FROM case_results WHERE run_id = ? GROUP BY ALL",
            [run.run_id],
        )
        [ops] = store.query(
            "SELECT count(*) AS n, count(DISTINCT (case_id, repeat, session_index, side, op_index))"
            " AS d FROM ops WHERE run_id = ?",
            [run.run_id],
        )
        [calls] = store.query(
            "SELECT count(*) AS n, count(DISTINCT (case_id, repeat, call_index)) AS d "
            "FROM llm_calls WHERE run_id = ?",
            [run.run_id],
        )
        finished = store.get_run(run.run_id)
    pairs = sorted((row["case_id"], row["repeat"]) for row in rows)
    assert pairs == sorted((f"syn-{i:04d}", r) for i in range(N_CASES) for r in range(REPEATS))
    assert {row["n"] for row in rows} == {1}
    assert ops["n"] == ops["d"] == 2 * N_CASES * REPEATS
    assert calls["n"] == calls["d"] == N_CASES * REPEATS
    assert finished.status == "finished" and finished.finished_at is not None
    assert not _scratch(run.run_id)  # resume removed the killed attempt's store, then its own
    assert payload["metrics"]["micro_f1"]["value"] == 1.0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_ctrl_c_marks_the_run_interrupted_and_says_how_to_resume(
    tmp_path, signum, sigint_delivered
):
    """Ctrl-C, and what ``timeout``, CI cancellation or a closed terminal send instead."""
    dataset = write_cases(tmp_path / "syn.jsonl", synthetic_cases(N_CASES))
    db, log = tmp_path / "results.duckdb", tmp_path / "calls.log"
    proc = subprocess.Popen(
        _harness(
            "--dataset", str(dataset), "--model", "scripted/slow", "--concurrency", "2",
            "--db", str(db), "--progress", "none",
        ),
        env=_env(log), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _wait_for_calls(log, 6, proc)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err
    with results(db) as store:
        [run] = store.list_runs()
        recorded = len(store.completed(run.run_id))
    assert run.status == "interrupted"
    assert f"harness run --resume {run.run_id} --db {db}" in err
    # Stopped part way; whether a case was committed before the signal depends on the load.
    assert recorded < N_CASES
    assert not _scratch(run.run_id)
