"""Repeats ask the model again (distinct cache keys); a re-run is served from the cache."""

from __future__ import annotations

from runner_helpers import TINY, results, run

from harness.runner import RunConfig


def test_repeats_miss_the_cache_and_a_rerun_makes_no_model_call(db_path, tiny_model):
    config = RunConfig(
        dataset=str(TINY), model=tiny_model.model, repeats=2, matcher="exact", n_resamples=0
    )
    first = run(config, db_path)
    assert len(tiny_model.requests) == 8  # 4 sessions x 2 repeats, none served twice
    second = run(config, db_path)
    assert len(tiny_model.requests) == 8  # everything came from the cache
    with results(db_path) as store:
        calls = store.calls(second.run_id)
        [cached] = store.query(
            "SELECT sum(cached_calls) AS n FROM case_results WHERE run_id = ?", [second.run_id]
        )
    assert len(calls) == 8 and all(call.cached for call in calls)
    assert cached["n"] == 8
    for name in ("micro_f1", "final_f1", "e2e_hybrid_mrr"):
        assert second.metrics[name].value == first.metrics[name].value


def test_cache_off_asks_the_model_every_time(db_path, tiny_model):
    config = RunConfig(dataset=str(TINY), model=tiny_model.model, cache="off", n_resamples=0)
    run(config, db_path)
    run(config, db_path)
    assert len(tiny_model.requests) == 8
