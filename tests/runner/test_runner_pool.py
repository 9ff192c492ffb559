"""Pooled retrieval: the pool's content and size (pure), and a pooled run end to end."""

from __future__ import annotations

import pytest
from runner_helpers import TINY, results, run

from harness.data import load_dataset
from harness.data.models import Case
from harness.runner import RunConfig
from harness.runner._gold_state import applied_states
from harness.runner.pool import MIN_DISTRACTORS, build_pool, near_duplicates, pool_key


def _case(case_id: str, contents: list[str], sources: list[list[str]] | None = None) -> Case:
    sources = sources or [[] for _ in contents]
    expected = [
        {"op": "insert", "ref": f"g{i}", "content": text, "source": src}
        for i, (text, src) in enumerate(zip(contents, sources, strict=True))
    ]
    messages = [{"id": "m1", "role": "user", "content": "hello"}]
    return Case.model_validate(
        {"id": case_id, "sessions": [{"messages": messages, "expected": expected}]}
    )


def _finals(cases: list[Case]) -> dict:
    return {case.id: applied_states(case)[-1] for case in cases}


def test_near_duplicates_change_the_subject_and_frame_deterministically():
    variants = near_duplicates("User prefers dark mode.", 20)
    assert variants == near_duplicates("User prefers dark mode.", 20)
    assert len(set(variants)) == 20
    for text in variants:
        assert not text.startswith("User prefers")
        assert text.startswith("User's ") and "prefers dark mode" in text
    other = near_duplicates("category: food; preference: no cilantro", 3)
    assert all(" says: category: food; preference: no cilantro" in text for text in other)


def test_near_duplicates_are_bounded():
    assert len(set(near_duplicates("User swims", 576))) == 576
    with pytest.raises(ValueError, match="at most 576"):
        near_duplicates("User swims", 577)


def test_a_small_pool_is_filled_with_near_duplicates_up_to_the_minimum():
    cases = [_case("a", ["User swims"]), _case("b", ["User likes tea", "User has a cat"])]
    pool = build_pool(cases, _finals(cases))
    # 3 gold memories, the largest case owns 2: v = ceil((500 + 2) / 3) - 1 = 167 each.
    assert pool.variants_per_memory == 167
    assert len(pool) == 3 * 168
    assert (pool.distractors("a"), pool.distractors("b")) == (503, 502)
    assert pool.min_distractors == 502 >= MIN_DISTRACTORS
    keys = [memory.key for memory in pool.memories]
    assert len(set(keys)) == len(keys)
    assert keys[:2] == [pool_key("a", "g0"), pool_key("a", "g0", 0)]


def test_a_case_sees_only_its_own_gold_memories_as_relevant():
    cases = [_case("a", ["User swims"], [["m1"]]), _case("b", ["User likes tea"], [["m1"]])]
    pool = build_pool(cases, _finals(cases), variants=2)
    assert len(pool) == 6
    sources, relevant = pool.space_for("a")
    assert relevant == {"g0": "a::g0"}
    # message ids are unique within a case only: b's "m1" must not count for a.
    assert sources == {"a::g0": ["m1"], "a::g0::nd0": [], "a::g0::nd1": [], "b::g0": [],
                       "b::g0::nd0": [], "b::g0::nd1": []}  # fmt: skip


def test_the_bundled_data_needs_only_two_near_duplicates_per_memory():
    from pathlib import Path

    core = Path(__file__).resolve().parents[2] / "datasets" / "core.jsonl"
    cases = list(load_dataset(core))
    pool = build_pool(cases, _finals(cases))
    assert pool.variants_per_memory == 2
    assert pool.min_distractors is not None and pool.min_distractors >= MIN_DISTRACTORS


def test_a_pooled_run_scores_pooled_metrics_beside_the_per_case_ones(tmp_path):
    db = tmp_path / "results.duckdb"
    config = RunConfig(dataset=str(TINY), model="baseline/oracle", pooled=True, n_resamples=50)
    result = run(config, db)
    assert result.errors == 0
    with results(db) as store:
        queries = store.queries(result.run_id)
    pooled = [q for q in queries if q.state == "pooled"]
    gold = [q for q in queries if q.state == "gold"]
    assert len(pooled) == len(gold) > 0
    for q in pooled:
        assert len(q.retrieved) == 10  # the pool is far larger than top_k
        for key, ref in zip(q.retrieved, q.retrieved_refs, strict=True):
            own_gold = key.startswith(f"{q.case_id}::") and "::nd" not in key
            assert ref == (key.split("::")[1] if own_gold else None), key
    for mode in ("vector", "fts", "hybrid"):
        metric = result.metrics[f"pooled_{mode}_recall@5"]
        assert metric.value is not None and metric.n == result.metrics[f"gold_{mode}_mrr"].n
        assert metric.ci_low is not None and metric.ci_low <= metric.value <= metric.ci_high
    plain = run(RunConfig(dataset=str(TINY), model="baseline/oracle", n_resamples=0), db)
    assert plain.metrics["pooled_hybrid_recall@5"].value is None  # no pool, no denominator
