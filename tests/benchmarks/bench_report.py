"""Benchmark: ``harness report`` over a results database of 20 runs x 1,000 cases (target < 10 s).

The database is synthesised straight into the real schema (migrations applied by
:func:`~harness.results.db.open_results`), by SQL over ``range()``: per case one or two sessions
with one to three gold ops each; a share of them matched that depends on the run's quality, the
rest missed, wrongly updated, duplicated or deleted; spurious predictions; case counts
aggregated from those ops; final-state rows from the first session's ops; nine query rows per
case (three queries in hybrid mode over both states, one more in each mode) and a model call per
session. A matching 1,000-case dataset file is written so the drill-down reads real conversations.

Timed: ``harness report`` as a subprocess (the whole command: start-up, queries, rendering,
writing) and :func:`~harness.reports.html.write_report` in process; medians of ``--repeats``.

Run: ``python tests/benchmarks/bench_report.py [--runs 20] [--cases 1000] [--repeats 3]
[--max-cases N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from harness.data._lines import record_hash
from harness.results import RunRecord, open_results
from harness.scoring.catalogue import TOTALS, metric_formulas

TAGS = ["fact", "preference", "update", "delete", "nothing", "time", "multi-session",
        "third-party", "structured", "secret", "contradiction", "long"]  # fmt: skip
OUTCOMES = ["missed", "wrong_content", "duplicate_instead_of_update", "wrong_target_update",
            "delete_instead_of_update"]  # fmt: skip


def make_case(i: int) -> dict:
    sessions = []
    for s in range(1 + i % 2):
        messages = [
            {
                "id": f"s{s}m{m}",
                "role": "user" if m % 2 == 0 else "assistant",
                "content": f"Message {m} of session {s} in case {i}: "
                + "some ordinary conversation text about plans, places and people. " * 2,
            }
            for m in range(4)
        ]
        sessions.append({"messages": messages, "expected": []})
    return {
        "id": f"case-{i:04d}",
        "tags": [TAGS[i % len(TAGS)], TAGS[(i // len(TAGS)) % len(TAGS)]],
        "existing": [{"id": "m1", "content": f"User fact {i}"}],
        "sessions": sessions,
    }


def write_dataset(path: Path, n_cases: int) -> dict[str, str]:
    cases = [make_case(i) for i in range(n_cases)]
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    return {c["id"]: record_hash(c) for c in cases}


def run_record(i: int, dataset: Path, n_cases: int) -> RunRecord:
    start = datetime(2025, 1, 1) + timedelta(hours=i)
    return RunRecord(
        run_id=f"bench-run-{i:02d}", name=None, status="finished", dataset_path=str(dataset),
        dataset_name="bench", dataset_hash="d" * 64, dataset_source_hash="d" * 64, selection={},
        n_cases=n_cases, repeats=1, model=f"provider/model-{i // 2}",
        template_name="default" if i % 2 == 0 else "explicit", template_hash=f"{i:064d}",
        template_text="Remember what matters.", instructions_hash="i" * 64, matcher="default",
        matcher_threshold=0.56, state_mode="predicted", parameters={}, components={},
        harness_version="0.1.0", git_revision=None, python_version="3.11",
        package_versions={}, schema_version=1, started_at=start,
        finished_at=start + timedelta(minutes=20),
    )  # fmt: skip


_OPS_SQL = """
INSERT INTO ops
WITH sessions AS (
    SELECT r.run_id, r.quality, c.i, 'case-' || lpad(c.i::VARCHAR, 4, '0') AS case_id, s.s
    FROM bench_runs r, range(?) c(i), range(2) s(s) WHERE s.s <= c.i % 2
), gold AS (
    SELECT *, g.g AS op_index, ['insert', 'update', 'delete'][1 + (i + g.g) % 3] AS op,
           hash(run_id, i, s, g.g) % 1000 / 1000.0 AS u
    FROM sessions, range(3) g(g) WHERE g.g <= (i * 7 + s) % 3
), judged AS (
    SELECT *, CASE WHEN u < quality THEN 'matched'
                   ELSE ? [1 + (hash(u) % 5)::INTEGER] END AS outcome
    FROM gold
)
SELECT run_id, case_id, 0, s, side, op_index,
       CASE WHEN side = 'predicted' AND outcome = 'duplicate_instead_of_update' THEN 'insert'
            WHEN side = 'predicted' AND outcome = 'delete_instead_of_update' THEN 'delete'
            ELSE op END,
       CASE WHEN side = 'predicted' THEN 'mem-' || i || '-' || op_index END,
       CASE WHEN side = 'gold' THEN 'g' || op_index END,
       'Memory', 'User fact number ' || op_index || ' about case ' || i || ' and its details',
       false, outcome, true,
       CASE WHEN outcome <> 'missed' THEN op_index END,
       CASE WHEN outcome <> 'missed' THEN 'x' || op_index END,
       0.5 + u / 2, true, 'key terms ok',
       outcome || ': the reason this op was judged so, with a similarity and key terms note',
       '["s0m0"]'
FROM judged, (VALUES ('gold'), ('predicted')) sides(side)
WHERE side = 'gold' OR outcome <> 'missed'
UNION ALL
SELECT run_id, case_id, 0, s, 'predicted', 9, 'insert', 'spur-' || i, NULL, 'Memory',
       'User said something that is not worth remembering ' || i, false, 'spurious', true,
       NULL, NULL, 0.3, NULL, NULL, 'no gold op matches it', '["s0m1"]'
FROM sessions WHERE hash(run_id, i, s, 'spurious') % 1000 / 1000.0 > 0.4 + quality / 2
"""

_CASES_SQL = """
INSERT INTO case_results
WITH per_session AS (
    SELECT run_id, case_id, session_index,
           count(*) FILTER (WHERE side = 'gold' AND op = 'insert' AND outcome = 'matched') AS itp,
           count(*) FILTER (WHERE side = 'gold' AND op = 'insert' AND outcome <> 'matched') AS ifn,
           count(*) FILTER (WHERE side = 'gold' AND op = 'update' AND outcome = 'matched') AS utp,
           count(*) FILTER (WHERE side = 'gold' AND op = 'update' AND outcome <> 'matched') AS ufn,
           count(*) FILTER (WHERE side = 'gold' AND op = 'delete' AND outcome = 'matched') AS dtp,
           count(*) FILTER (WHERE side = 'gold' AND op = 'delete' AND outcome <> 'matched') AS dfn,
           count(*) FILTER (WHERE side = 'predicted' AND outcome <> 'matched') AS fp
    FROM ops GROUP BY ALL
), per_case AS (
    SELECT run_id, case_id, sum(itp) itp, sum(ifn) ifn, sum(utp) utp, sum(ufn) ufn,
           sum(dtp) dtp, sum(dfn) dfn, sum(fp) fp, count(*) AS sessions,
           count(*) FILTER (WHERE ifn + ufn + dfn + fp = 0) AS exact
    FROM per_session GROUP BY ALL
)
SELECT p.run_id, p.case_id, 0, 'test', [t.tag1, t.tag2], t.case_hash,
       CASE WHEN hash(p.run_id, p.case_id) % 100 = 0 THEN 'error' ELSE 'ok' END,
       CASE WHEN hash(p.run_id, p.case_id) % 100 = 0 THEN 'ModelError' END,
       CASE WHEN hash(p.run_id, p.case_id) % 100 = 0 THEN 'rate limited after 3 retries' END,
       p.sessions, 0.4 + (hash(p.case_id, p.run_id) % 1000) / 500.0,
       900 * p.sessions, 120 * p.sessions, 0.0004 * p.sessions, p.sessions, 0, 0,
       json_object('insert_tp', p.itp, 'insert_fp', 0, 'insert_fn', p.ifn,
                   'update_tp', p.utp, 'update_fp', 0, 'update_fn', p.ufn,
                   'delete_tp', p.dtp, 'delete_fp', 0, 'delete_fn', p.dfn,
                   'sessions', p.sessions, 'exact_sessions', p.exact, 'empty_sessions', 0,
                   'empty_sessions_fp', 0, 'final_tp', p.itp, 'final_fp', p.fp,
                   'final_fn', p.ifn, 'spurious', p.fp),
       json_object('e2e_hybrid_queries', 3, 'e2e_hybrid_recall@5', 2),
       json_object('total_s', 1.0), TIMESTAMP '2025-01-01 00:00:00'
FROM per_case p JOIN bench_cases t USING (case_id)
"""

_FINAL_SQL = """
INSERT INTO final_state
SELECT o.run_id, o.case_id, 0, o.side, coalesce(o.memory_id, o.ref, 'm') || '-' || o.op_index,
       o.content, CASE WHEN o.outcome = 'matched' THEN 'matched'
                       WHEN o.side = 'gold' THEN 'missed' ELSE 'spurious' END,
       NULL, NULL, NULL
FROM ops o WHERE o.session_index = 0
"""

_QUERIES_SQL = """
INSERT INTO queries
SELECT c.run_id, c.case_id, 0, q.q, NULL, 'Where does the user live? ' || q.q, st.state, 'hybrid',
       'ids', '["g0"]', 1, '["mem-1", "mem-2", "mem-3"]', '["g0", null, null]',
       r1, r1, 1, 1, r1, r1, r1, r1, r1, NULL
FROM case_results c, range(3) q(q), (VALUES ('end_to_end'), ('gold')) st(state),
     LATERAL (SELECT (hash(c.case_id, q.q) % 2)::DOUBLE AS r1)
UNION ALL
SELECT c.run_id, c.case_id, 0, q.q, NULL, 'Where does the user live? ' || q.q, 'end_to_end',
       m.mode, 'ids', '["g0"]', 1, '["mem-1"]', '["g0"]', 1, 1, 1, 1, 1, 1, 1, 1, 1, NULL
FROM case_results c, range(1) q(q), (VALUES ('vector'), ('fts'), ('hybrid')) m(mode)
"""

_CALLS_SQL = """
INSERT INTO llm_calls
SELECT run_id, case_id, 0, s.s, s.s, 'provider/model', 'extract', 900, 120, 0.0004, 0.8, 0,
       false, NULL, NULL
FROM case_results, range(2) s(s) WHERE s.s < n_sessions
"""


def build(folder: Path, n_runs: int, n_cases: int) -> Path:
    dataset = folder / "bench.jsonl"
    hashes = write_dataset(dataset, n_cases)
    db = folder / "bench.duckdb"
    with open_results(db) as store:
        con = store.connection
        con.execute("CREATE TEMP TABLE bench_runs (run_id VARCHAR, quality DOUBLE)")
        con.executemany(
            "INSERT INTO bench_runs VALUES (?, ?)",
            [[f"bench-run-{i:02d}", 0.35 + 0.6 * i / max(n_runs - 1, 1)] for i in range(n_runs)],
        )
        con.execute("CREATE TEMP TABLE bench_cases (case_id VARCHAR, case_hash VARCHAR, "
                    "tag1 VARCHAR, tag2 VARCHAR)")  # fmt: skip
        con.executemany(
            "INSERT INTO bench_cases VALUES (?, ?, ?, ?)",
            [[cid, h, *make_case(int(cid[5:]))["tags"]] for cid, h in hashes.items()],
        )
        for i in range(n_runs):
            store.create_run(run_record(i, dataset, n_cases))
        con.execute(_OPS_SQL, [n_cases, OUTCOMES])
        for sql in (_CASES_SQL, _FINAL_SQL, _QUERIES_SQL, _CALLS_SQL):
            con.execute(sql)
        _metrics(con)
        counts = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("case_results", "ops", "final_state", "queries", "llm_calls", "run_metrics")
        }
    print(f"database: {db.stat().st_size / 1e6:.1f} MB; rows: {counts}")
    return db


def _metrics(con) -> None:
    names = [*metric_formulas(), *TOTALS]
    con.execute("CREATE TEMP TABLE bench_metrics (metric VARCHAR)")
    con.executemany("INSERT INTO bench_metrics VALUES (?)", [[n] for n in names])
    con.execute(
        """
        INSERT INTO run_metrics
        SELECT r.run_id, m.metric, v, greatest(v - 0.04, 0), least(v + 0.04, 1), 1000
        FROM bench_runs r, bench_metrics m,
             LATERAL (SELECT least(1.0, r.quality * (0.8 + (hash(m.metric) % 40) / 100.0)) AS v)
        """
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--max-cases", type=int, default=None, help="drill-down cap (default: auto)"
    )
    args = parser.parse_args()
    cap = [] if args.max_cases is None else ["--max-cases", str(args.max_cases)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        db = build(folder, args.runs, args.cases)
        print(f"synthesised {args.runs} runs x {args.cases} cases in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        out = folder / "report.html"
        command = [sys.executable, "-m", "harness.cli.main", "report", "--db", str(db),
                   "--latest", str(args.runs), "-o", str(out), *cap]  # fmt: skip
        cli = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            cli.append(time.perf_counter() - started)
        from harness.reports.html import ReportOptions, write_report

        inproc = []
        options = ReportOptions(max_cases=args.max_cases)
        for _ in range(args.repeats):
            result = write_report(db, latest=args.runs, output=out, options=options)
            inproc.append(result.seconds)
        print(f"harness report (CLI, whole command): median {statistics.median(cli):.2f} s "
              f"(runs: {', '.join(f'{t:.2f}' for t in cli)})")  # fmt: skip
        print(f"write_report (in process): median {statistics.median(inproc):.2f} s "
              f"(runs: {', '.join(f'{t:.2f}' for t in inproc)})")  # fmt: skip
        print(f"report: {result.n_runs} runs, {result.n_cases} drill-down cases, "
              f"{result.n_bytes / 1e6:.2f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
