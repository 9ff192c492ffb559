"""The results database: migrations, the reference v1 file, transactions and parameterised SQL."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from harness.errors import ConfigurationError
from harness.results import (
    LATEST_VERSION,
    MIGRATIONS,
    CallRow,
    CaseRecord,
    MetricRow,
    OpRow,
    ResultsStore,
    RunRecord,
    open_results,
)
from harness.results.migrations import V1_SUMMARY_METRICS

REFERENCE_V1 = Path(__file__).resolve().parent / "data" / "results_v1.sql"
T0 = datetime(2025, 1, 1, 12, 0, 0)


def _run(run_id: str = "r1", **fields) -> RunRecord:
    values = dict(
        run_id=run_id, name=None, status="running", dataset_path="d.jsonl", dataset_name="d",
        dataset_hash="h" * 64, dataset_source_hash="h" * 64, selection={}, n_cases=2, repeats=1,
        model="scripted/x", template_name="default", template_hash="t" * 64,
        template_text="Remember.", instructions_hash="i" * 64, matcher="exact",
        matcher_threshold=1.0, state_mode="predicted", parameters={"model": "scripted/x"},
        components={}, harness_version="0.1.0", git_revision=None, python_version="CPython",
        package_versions={}, schema_version=LATEST_VERSION, started_at=T0,
    )  # fmt: skip
    values.update(fields)
    return RunRecord(**values)


def _case(run_id: str, case_id: str, repeat: int = 0, **fields) -> CaseRecord:
    values = dict(
        run_id=run_id, case_id=case_id, repeat=repeat, split="test", tags=["a", "b"],
        case_hash="c" * 64, status="ok", error_type=None, error=None, n_sessions=1,
        latency_s=0.5, input_tokens=10, output_tokens=2, cost_usd=None, n_calls=1, retries=0,
        cached_calls=0, counts={"insert_tp": 1}, retrieval={}, timings={"total_s": 0.5},
        finished_at=T0,
    )  # fmt: skip
    values.update(fields)
    return CaseRecord(**values)


def _op(run_id: str, case_id: str, **fields) -> OpRow:
    values = dict(
        run_id=run_id, case_id=case_id, repeat=0, session_index=0, side="gold", op_index=0,
        op="insert", memory_id="p1", ref="g1", kind="Memory", content="User likes tea",
        optional=False, outcome="matched", counted=True, partner_index=0, partner_id="p1",
        similarity=1.0, key_terms_ok=True, key_terms="key terms ok", reason="matched",
    )  # fmt: skip
    values.update(fields)
    return OpRow(**values)


@pytest.fixture
def store() -> ResultsStore:
    return open_results(":memory:")


def test_a_new_database_is_migrated_and_records_each_migration(tmp_path):
    path = tmp_path / "sub" / "results.duckdb"
    with open_results(path) as store:
        rows = store.query("SELECT version, name FROM schema_migrations ORDER BY version")
        assert store.schema_version == LATEST_VERSION
    assert [row["version"] for row in rows] == [m.version for m in MIGRATIONS]
    with open_results(path) as store:  # reopening applies nothing twice
        assert len(store.query("SELECT * FROM schema_migrations")) == len(MIGRATIONS)


def test_the_reference_v1_database_still_reads():
    con = duckdb.connect(":memory:")
    con.execute(REFERENCE_V1.read_text(encoding="utf-8"))
    store = ResultsStore(con)
    run = store.find_run("reference-v1")
    assert (run.run_id, run.status) == ("20250101-000000-ref001", "finished")
    assert run.dataset_name == "tiny"
    assert run.parameters["matcher"] == "exact" and run.schema_version == 1
    cases = {c.case_id: c for c in store.case_results(run.run_id)}
    assert set(cases) == {"tiny-update", "tiny-forget", "tiny-chat"}
    assert cases["tiny-update"].counts["update_tp"] == 1 and cases["tiny-update"].tags
    ops = store.ops(run.run_id, "tiny-update")
    assert sorted(o.outcome for o in ops) == ["matched", "matched", "missed", "spurious"]
    assert {q.state for q in store.queries(run.run_id)} == {"end_to_end", "gold"}
    assert store.run_metrics(run.run_id)["micro_f1"].value == pytest.approx(4 / 7)
    [summary] = store.query("SELECT * FROM run_summary")
    assert summary["micro_f1"] == pytest.approx(4 / 7) and summary["n_calls"] == 4
    assert store.query("SELECT count(*) AS n FROM op_outcomes")[0]["n"] == 4


def test_a_newer_schema_is_refused_with_a_clear_message():
    con = duckdb.connect(":memory:")
    ResultsStore(con)
    con.execute("INSERT INTO schema_migrations VALUES (?, 'from the future', ?)", [99, T0])
    with pytest.raises(ConfigurationError, match="schema version 99 is newer"):
        ResultsStore(con, where="future.duckdb")
    # a reader is told to upgrade the harness, not to migrate the database by writing to it
    with pytest.raises(ConfigurationError, match="is newer than this harness reads") as info:
        ResultsStore(con, where="future.duckdb", read_only=True)
    assert "migrate" not in str(info.value)


def test_read_only_needs_an_existing_migrated_database(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        open_results(tmp_path / "missing.duckdb", read_only=True)
    path = tmp_path / "r.duckdb"
    open_results(path).close()
    with open_results(path, read_only=True) as store:
        assert store.list_runs() == []


def test_a_database_in_use_by_another_process_is_a_clear_error(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "busy.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys, time; c = duckdb.connect({str(path)!r}); print('ready', flush=True);"
         " time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(ConfigurationError, match=str(path)) as refused:
            open_results(path)
        assert "is another harness process using it?" in str(refused.value)
    finally:
        holder.kill()
        holder.wait()


def _damaged(tmp_path: Path, how: str) -> Path:
    """A results database with runs, then damaged the way a full disk or a bad copy does."""
    good = tmp_path / "good.duckdb"
    with open_results(good) as results:
        results.create_run(_run())
    data = bytearray(good.read_bytes())
    if how == "truncated":
        data = data[: len(data) // 3]
    elif how == "corrupt":
        for at in range(5000, len(data), 7):
            data[at] ^= 0xFF
    else:
        data = bytearray(b"not a database\n" * 64)
    damaged = tmp_path / f"{how}.duckdb"
    damaged.write_bytes(bytes(data))
    return damaged


@pytest.mark.parametrize("how", ["truncated", "corrupt", "not duckdb"])
@pytest.mark.parametrize("command", [["report", "-o", "REPORT"], ["run", "-n", "1"]])
def test_a_damaged_database_exits_2_naming_the_file(tmp_path, capsys, how, command):
    """A corrupt file ended in a traceback (duckdb.Error: checksum mismatch); others blamed
    another process."""
    import sys
    from unittest.mock import patch

    from harness.cli.main import main

    path = _damaged(tmp_path, how)
    args = [str(tmp_path / "r.html") if a == "REPORT" else a for a in command]
    argv = ["harness", *args, "--db", str(path), "--progress", "none"][: len(args) + 3]
    with patch.object(sys, "argv", argv), pytest.raises(SystemExit) as stopped:
        main()
    err = capsys.readouterr().err
    assert stopped.value.code == 2, err
    assert err.startswith(f"error: cannot open results database {path}: it is truncated or ")
    assert err.count("\n") == 1 and "another harness process" not in err
    with pytest.raises(ConfigurationError, match="truncated or corrupt"):
        open_results(path, read_only=True)


def test_case_rows_round_trip_with_children(store):
    store.create_run(_run())
    record = _case(
        "r1", "it's a case", ops=[_op("r1", "it's a case", content="O'Brien; DROP TABLE runs")]
    )
    record.calls = [
        CallRow("r1", "it's a case", 0, 0, 0, "scripted/x", "extract", 10, 2, None, 0.1, 1, False)
    ]
    store.write_cases([record])
    [back] = store.case_results("r1")
    assert (back.case_id, back.tags, back.counts) == ("it's a case", ["a", "b"], {"insert_tp": 1})
    [op] = store.ops("r1", "it's a case")
    assert op.content == "O'Brien; DROP TABLE runs" and op.source is None
    [call] = store.calls("r1")
    assert call.retries == 1 and call.session_index == 0
    assert store.completed("r1") == {("it's a case", 0)}


def test_a_failed_write_leaves_nothing_behind(store):
    store.create_run(_run())
    good = _case("r1", "c1", ops=[_op("r1", "c1")])
    store.write_cases([good])
    duplicate = _case("r1", "c1", ops=[_op("r1", "c1", op_index=5)])
    other = _case("r1", "c2", ops=[_op("r1", "c2")])
    with pytest.raises(duckdb.ConstraintException):
        store.write_cases([other, duplicate])  # one transaction: c2 must not survive either
    assert store.completed("r1") == {("c1", 0)}
    assert len(store.ops("r1")) == 1


def test_finish_run_replaces_metrics_and_marks_the_run(store):
    store.create_run(_run())
    store.finish_run("r1", [MetricRow("r1", "micro_f1", 0.5, 0.4, 0.6, 2)], {"errors": 0})
    store.finish_run("r1", [MetricRow("r1", "micro_f1", 0.7, 0.6, 0.8, 2)], {"errors": 1})
    run = store.get_run("r1")
    assert (run.status, run.metrics) == ("finished", {"errors": 1})
    assert store.run_metrics("r1")["micro_f1"].value == 0.7
    [summary] = store.query("SELECT micro_f1, micro_f1_low FROM run_summary")
    assert summary == {"micro_f1": 0.7, "micro_f1_low": 0.6}


def test_find_run_by_name_takes_the_latest(store):
    store.create_run(_run("a", name="nightly", started_at=T0))
    store.create_run(_run("b", name="nightly", started_at=T0.replace(hour=13)))
    assert store.find_run("nightly").run_id == "b"
    assert store.find_run("a").run_id == "a"
    with pytest.raises(ConfigurationError, match="no run with id or name 'zzz'"):
        store.find_run("zzz")


def test_concurrent_writers_are_serialised(store):
    store.create_run(_run())
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            store.write_cases([_case("r1", f"c{i}", ops=[_op("r1", f"c{i}")])])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.completed("r1")) == 16 and len(store.ops("r1")) == 16


def test_run_summary_has_a_column_per_headline_metric(store):
    columns = {row["column_name"] for row in store.query("DESCRIBE run_summary")}
    for metric in V1_SUMMARY_METRICS:
        name = metric.replace("@", "_at_")
        assert {name, f"{name}_low", f"{name}_high"} <= columns
