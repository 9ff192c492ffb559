"""Interrupting a run and finishing it with resume: nothing lost, nothing written twice."""

from __future__ import annotations

import asyncio
import shutil
import uuid

import pytest
import scripted_fixture
from runner_helpers import TINY, results, synthetic_cases, write_cases

from harness._async import run_sync
from harness.errors import ConfigurationError
from harness.models.scripted import scripted_model
from harness.runner import RunConfig
from harness.runner.engine import arun, new_run_id
from harness.runner.progress import NoProgress


class CancelAfter(NoProgress):
    """Cancels the run once ``n`` case x repeat pairs are recorded (what Ctrl-C does)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.done = 0
        self.task: asyncio.Task | None = None

    def case_done(self, **_: object) -> None:
        self.done += 1
        if self.done == self.n and self.task is not None:
            self.task.cancel()


async def _interrupted(config: RunConfig, db, run_id: str, after: int) -> None:
    progress = CancelAfter(after)
    task = asyncio.ensure_future(arun(config, db=db, run_id=run_id, progress=progress))
    progress.task = task
    with pytest.raises(asyncio.CancelledError):
        await task


def _slow_model():
    model = scripted_model(f"slow-{uuid.uuid4().hex[:8]}").reset()
    model.delay = 0.05
    return model.respond_with(scripted_fixture.reply)


def test_interrupt_then_resume_records_each_pair_once(tmp_path, db_path):
    dataset = write_cases(tmp_path / "syn.jsonl", synthetic_cases(8))
    config = RunConfig(
        dataset=str(dataset), model=_slow_model().model, repeats=2, concurrency=2,
        matcher="exact", n_resamples=0,
    )  # fmt: skip
    run_id = new_run_id()
    run_sync(_interrupted(config, db_path, run_id, after=5))
    with results(db_path) as store:
        assert store.get_run(run_id).status == "interrupted"
        before = store.completed(run_id)
    assert 5 <= len(before) < 16

    resumed = run_sync(arun(db=db_path, resume=run_id))
    assert resumed.status == "finished"
    assert resumed.recorded == 16 - len(before)
    with results(db_path) as store:
        pairs = store.query(
            "SELECT case_id, repeat, count(*) AS n FROM case_results WHERE run_id = ? GROUP BY ALL",
            [run_id],
        )
        ops = store.query(
            "SELECT count(*) AS n, count(DISTINCT (case_id, repeat, session_index, side, op_index))"
            " AS d FROM ops WHERE run_id = ?",
            [run_id],
        )[0]
        calls = store.query("SELECT count(*) AS n FROM llm_calls WHERE run_id = ?", [run_id])[0]
        run = store.get_run(run_id)
        metrics = store.run_metrics(run_id)
    assert sorted((p["case_id"], p["repeat"]) for p in pairs) == sorted(
        (f"syn-{i:04d}", r) for i in range(8) for r in range(2)
    )
    assert {p["n"] for p in pairs} == {1}
    assert ops["n"] == ops["d"] == 16 * 2  # one gold and one predicted insert per case x repeat
    assert calls["n"] == 16
    assert run.status == "finished" and run.parameters == config.model_dump(mode="json")
    assert metrics["micro_f1"].value == 1.0 and metrics["micro_f1"].n == 8


def test_resuming_a_finished_run_adds_nothing(db_path, tiny_model):
    config = RunConfig(dataset=str(TINY), model=tiny_model.model, matcher="exact", n_resamples=0)
    first = run_sync(arun(config, db=db_path))
    calls = len(tiny_model.requests)
    again = run_sync(arun(db=db_path, resume=first.run_id))
    assert again.recorded == 0 and len(tiny_model.requests) == calls
    assert again.metrics["micro_f1"].value == pytest.approx(4 / 7)


def test_resume_refuses_a_changed_dataset(tmp_path, db_path, tiny_model):
    dataset = tmp_path / "tiny.jsonl"
    shutil.copy(TINY, dataset)
    config = RunConfig(dataset=str(dataset), model=tiny_model.model, matcher="exact")
    first = run_sync(arun(config, db=db_path))
    recorded = results(db_path)
    old_hash = recorded.get_run(first.run_id).dataset_hash
    recorded.close()
    dataset.write_text(
        dataset.read_text().replace("User has a cat", "User has a dog"), encoding="utf-8"
    )
    with pytest.raises(ConfigurationError) as info:
        run_sync(arun(db=db_path, resume=first.run_id))
    message = str(info.value)
    assert old_hash in message and str(dataset) in message and "changed" in message


def test_resume_of_an_unknown_run_is_a_clear_error(db_path):
    with pytest.raises(ConfigurationError, match="no run with id or name 'nope'"):
        run_sync(arun(db=db_path, resume="nope"))


def test_resume_by_name_and_new_concurrency(db_path, tiny_model):
    config = RunConfig(dataset=str(TINY), model=tiny_model.model, name="nightly", n_resamples=0)
    first = run_sync(arun(config, db=db_path, progress=CancelAfter(1)))  # finishes: no task set
    again = run_sync(arun(db=db_path, resume="nightly", concurrency=1))
    assert again.run_id == first.run_id


def test_an_interrupt_during_a_background_commit_still_removes_the_temporary_store(
    tmp_path, db_path, monkeypatch
):
    """The commit handed to LanceDB goes on after the cancel; the folder goes only after it."""
    import tempfile
    import threading
    from pathlib import Path

    from harness.runner import engine

    held, release, stores = threading.Event(), threading.Event(), []
    make_store = engine._private_store

    def slow_store(folder, config):
        store = make_store(folder, config)
        write_rows = store._write_rows

        def held_write(rows):
            held.set()
            release.wait(timeout=60)
            return write_rows(rows)

        store._write_rows = held_write
        stores.append(store)
        return store

    monkeypatch.setattr(engine, "_private_store", slow_store)
    dataset = write_cases(tmp_path / "syn.jsonl", synthetic_cases(4))
    config = RunConfig(
        dataset=str(dataset), model=_slow_model().model, concurrency=2, matcher="exact",
        n_resamples=0,
    )  # fmt: skip
    run_id = new_run_id()

    async def interrupt_during_a_commit() -> None:
        task = asyncio.ensure_future(arun(config, db=db_path, run_id=run_id))
        await asyncio.to_thread(held.wait, 60)
        task.cancel()
        await asyncio.sleep(0.2)
        assert not task.done()  # waiting for the commit, not removing the folder under it
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task

    run_sync(interrupt_during_a_commit())
    [store] = stores
    assert store.wait_idle(0)
    assert not list(Path(tempfile.gettempdir()).glob(f"harness-run-{run_id}-*"))
    with results(db_path) as db:
        assert db.get_run(run_id).status == "interrupted"
