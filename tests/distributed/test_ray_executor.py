"""The Ray executor on a local 2-CPU Ray: the same numbers as the local executor, a killed
worker's shards retried with no duplicate or missing row, and one rate-limit bucket per model
that all workers share (checked on the scripted provider's request log, on a frozen clock)."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path

import pytest

from harness.models.ratelimit import RateLimit
from harness.results import open_results
from harness.runner import RunConfig
from harness.runner.engine import arun
from harness.runner.executor import ExecutorOptions

pytest.importorskip("ray", reason="the [ray] extra is not installed (pip install -e '.[ray]')")

pytestmark = pytest.mark.slow
RAY = ExecutorOptions(kind="ray")
# Wall-clock, cache and retry figures differ by design: under heavy load a call may time out
# and be retried on one executor and not the other.
TIMED = ("latency", "_s", "cached", "retries")


def _config(model: str, **extra) -> RunConfig:
    return RunConfig(model=model, limit=6, n_resamples=200, search_modes=["fts"], **extra)


def _run(config: RunConfig, db: Path, executor: ExecutorOptions | None = None):
    return asyncio.run(arun(config, db=db, executor=executor))


def _numbers(result) -> dict[str, tuple]:
    return {
        name: (row.value, row.ci_low, row.ci_high, row.n)
        for name, row in result.metrics.items()
        if not any(part in name for part in TIMED)
    }


def _rows(db: Path, run_id: str) -> list[tuple]:
    with open_results(db) as results:
        return sorted(
            (r.case_id, r.repeat, r.status, r.error, json.dumps(r.counts, sort_keys=True))
            for r in results.case_results(run_id)
        )


@pytest.fixture(scope="module")
def shared_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("ray-shared")


@pytest.fixture
def ray_env(ray_cluster, shared_dir, monkeypatch) -> Path:
    """One environment for every test here, so Ray starts the module's workers once."""
    monkeypatch.setenv("HARNESS_HOME", str(shared_dir / "home"))
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(shared_dir / "cache"))
    monkeypatch.setenv("HARNESS_SCRIPTED_RESPONDER", "ray_responder:dispatch")
    monkeypatch.setenv("HARNESS_TEST_DIR", str(shared_dir))
    return shared_dir


def _model(kind: str) -> str:
    return f"scripted/{kind}-{uuid.uuid4().hex[:8]}"  # a fresh cache and files per test


@pytest.mark.parametrize("model", ["baseline/oracle", "baseline/heuristic", "echo", "faulty"])
def test_ray_gives_the_local_numbers(ray_env, tmp_path, model):
    model = model if model.startswith("baseline/") else _model(model)
    config = _config(model, repeats=2)
    on_ray = _run(config, tmp_path / "ray.duckdb", RAY)  # first: the workers fill the cache
    local = _run(config, tmp_path / "local.duckdb")
    assert on_ray.recorded == local.recorded == 12
    # a case failing for its own reason is that case's error on either executor, alike
    assert on_ray.errors == local.errors and (on_ray.errors > 0) == ("faulty" in model)
    assert _numbers(on_ray) == _numbers(local)
    assert _numbers(local)["micro_f1"][0] is not None
    assert _rows(tmp_path / "ray.duckdb", on_ray.run_id) == _rows(
        tmp_path / "local.duckdb", local.run_id
    )
    if "echo" in model:  # the workers wrote the shared response cache
        with open_results(tmp_path / "ray.duckdb") as results:
            ray_calls = results.case_results(on_ray.run_id)
        with open_results(tmp_path / "local.duckdb") as results:
            local_calls = results.case_results(local.run_id)
        assert sum(r.n_calls for r in ray_calls) > 0 == sum(r.cached_calls for r in ray_calls)
        assert sum(r.cached_calls for r in local_calls) == sum(r.n_calls for r in ray_calls)


def test_a_killed_worker_is_retried_with_nothing_lost_or_doubled(ray_env, tmp_path):
    from ray_responder import path_for

    model = _model("kill")
    config = _config(model, repeats=2, cache="off")
    result = _run(config, tmp_path / "ray.duckdb", RAY)
    marker = Path(path_for(model, ".killed"))
    assert marker.is_file()  # a worker really was killed mid-shard
    with pytest.raises(ProcessLookupError):
        os.kill(int(marker.read_text()), 0)
    rows = _rows(tmp_path / "ray.duckdb", result.run_id)
    pairs = [(case, repeat) for case, repeat, *_ in rows]
    assert len(pairs) == len(set(pairs)) == 12  # nothing doubled, nothing missing
    assert {status for _, _, status, *_ in rows} == {"ok"}
    local = _run(config, tmp_path / "local.duckdb")  # the marker exists: no kill here
    assert _numbers(result) == _numbers(local)
    assert rows == _rows(tmp_path / "local.duckdb", local.run_id)


def test_every_worker_draws_from_one_bucket_per_model(ray_env, tmp_path):
    from ray_responder import frozen_clock, path_for

    from harness.runner.ray_executor import bucket_actor

    model = _model("limited")
    rpm, tpm = 4, 3000
    limit = RateLimit(requests=rpm, tokens=tpm, model=model)
    # The run finds this bucket by name. Keep the handle: Ray ends an actor whose last handle
    # is dropped, and the run would then make its own bucket on the real clock and wait.
    bucket = bucket_actor(model, limit, clock=frozen_clock)
    options = ExecutorOptions(kind="ray", rate_limits=(limit,))
    result = _run(_config(model, concurrency=4, cache="off"), tmp_path / "ray.duckdb", options)
    assert result.errors == 0
    log = Path(path_for(model, ".jsonl"))
    requests = [json.loads(line) for line in log.read_text().splitlines()]
    assert len({r["pid"] for r in requests}) == 2  # both workers sent requests
    assert all(r["grant"] is not None for r in requests)  # none went around the bucket
    assert all(r["grant"]["tokens"] == r["tokens"] for r in requests)  # as the provider counts
    granted = sorted((r["grant"]["at"], r["tokens"]) for r in requests)
    for i in range(len(granted)):
        for j in range(i, len(granted)):
            span = granted[j][0] - granted[i][0]
            window = granted[i : j + 1]
            assert len(window) <= rpm + rpm / 60 * span + 1e-9
            assert sum(tokens for _, tokens in window) <= tpm + tpm / 60 * span + 1e-6
    # and the bucket did space them: n requests at 4 per minute take (n - 4) x 15 s
    assert granted[-1][0] >= (len(granted) - rpm) * 15 - 1e-9
    assert granted[0][0] == 0.0  # stamped on the frozen clock, so nobody really waited
    del bucket


def test_an_unknown_model_on_a_worker_is_the_local_one_line_error(ray_env, tmp_path, capsys):
    """ModelUnavailableError raised in a Ray worker stops the run as it does here: exit 2 with
    the same one line, no traceback."""
    import sys
    from unittest.mock import patch

    from harness.cli.main import main

    model = _model("unknown")
    errors = {}
    for executor in ("local", "ray"):
        db = tmp_path / f"{executor}.duckdb"
        argv = ["harness", "run", "-m", model, "--limit", "2", "--cache", "off"]
        argv += ["--db", str(db), "--executor", executor, "--progress", "none"]
        with patch.object(sys, "argv", argv), pytest.raises(SystemExit) as stopped:
            main()
        err = capsys.readouterr().err
        assert stopped.value.code == 2, err
        assert "Traceback" not in err and err.count("\n") == 1, err
        errors[executor] = err
    assert errors["ray"] == errors["local"]
    assert f"model {model!r} cannot be used (not retryable)" in errors["ray"]
