"""A case's retrieval does not depend on the other cases of its run.

The run's store ranks full-text matches by the statistics of the searched namespace alone
(``bm25_scope="search"``). The probe case holds, in both store states, "tea tea tea" (a), "green"
(b) and a filler; the query "green tea" shares one term with each. On the probe's own three
memories both terms are equally rare, so a (three matches) ranks first. The flood case writes
twelve memories saying "tea" in twelve sessions: twelve commits, so the run's table is compacted
and its full-text index brought up to date before the probe runs. Ranked by the table's
statistics, "tea" would then be common and b would rank first in the probe: the case would
score differently in this run than alone (it did, before the store's searches were scoped).
"""

from __future__ import annotations

from runner_helpers import results, run, write_cases

from harness.runner import RunConfig

FLOOD = {
    "id": "a-flood",
    "sessions": [
        {
            "messages": [{"id": f"f{i}", "role": "user", "content": f"Tea note {i}."}],
            "expected": [{"op": "insert", "ref": f"t{i}", "content": f"User drinks tea {i}"}],
        }
        for i in range(12)
    ],
}
PROBE = {
    "id": "b-probe",
    "sessions": [
        {
            "messages": [{"id": "p1", "role": "user", "content": "Some notes."}],
            "expected": [
                {"op": "insert", "ref": "a", "content": "tea tea tea"},
                {"op": "insert", "ref": "b", "content": "green"},
                {"op": "insert", "ref": "c", "content": "a filler without the words"},
            ],
        }
    ],
    "queries": [{"query": "green tea", "relevant": ["b"]}],
}


def _probe_rankings(tmp_path, cases: list[dict]) -> dict[tuple[str, str], list[str]]:
    dataset = write_cases(tmp_path / f"{len(cases)}.jsonl", cases)
    db = tmp_path / f"{len(cases)}.duckdb"
    config = RunConfig(dataset=str(dataset), model="baseline/oracle", concurrency=1, n_resamples=0)
    result = run(config, db)
    assert result.errors == 0
    with results(db) as store:
        rows = store.queries(result.run_id, "b-probe")
    return {(row.state, row.mode): row.retrieved for row in rows}


def test_a_case_ranks_the_same_alone_and_after_a_case_sharing_its_terms(tmp_path):
    alone = _probe_rankings(tmp_path, [PROBE])
    after_flood = _probe_rankings(tmp_path, [FLOOD, PROBE])
    assert alone[("gold", "fts")] == ["a", "b"]  # equally rare terms: three matches win
    assert alone[("end_to_end", "fts")] == ["a", "b"]
    assert after_flood == alone
