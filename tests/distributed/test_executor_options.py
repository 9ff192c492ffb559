"""Executor options without Ray: clear errors for a missing extra and for bad options, each
naming what is wrong (exit 2, nothing recorded)."""

from __future__ import annotations

import sys

import pytest
from cli_in_process import cli

from harness.errors import ConfigurationError
from harness.models.ratelimit import RateLimit
from harness.results import open_results
from harness.runner import RunConfig
from harness.runner.engine import arun
from harness.runner.executor import ExecutorOptions


def test_a_missing_ray_extra_is_named_before_anything_is_recorded(tmp_path, monkeypatch):
    import asyncio

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails as without the extra
    db = tmp_path / "results.duckdb"
    config = RunConfig(limit=1, n_resamples=0)
    with pytest.raises(ConfigurationError, match=r"memory-harness\[ray\]"):
        asyncio.run(arun(config, db=db, executor=ExecutorOptions(kind="ray")))
    with open_results(db) as results:
        assert results.list_runs() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ray-address", "ray://head:10001"], "--ray-address needs --executor ray"),
        (["--rate-limit", "fast"], "--rate-limit 'fast'"),
    ],
)
def test_bad_executor_options_exit_2_naming_them(tmp_path, capsys, args, message):
    code = cli("run", "--limit", "1", "--db", str(tmp_path / "r.duckdb"), *args)
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r.duckdb").exists()


def test_a_rate_limit_applies_to_the_local_executor_too(tmp_path, scripted):
    import asyncio

    scripted.respond_with(lambda request: {"text": None, "tool_calls": []})
    db = tmp_path / "results.duckdb"
    config = RunConfig(model=scripted.model, limit=2, n_resamples=0, cache="off")
    limit = RateLimit(60)
    result = asyncio.run(arun(config, db=db, executor=ExecutorOptions(rate_limits=(limit,))))
    assert result.errors == 0 and scripted.requests
    assert all(request.grant is not None for request in scripted.requests)
