"""ReflectionExecutor scheduling: debounce, concurrency, ordering, shutdown and races.

The manager here is a recording stand-in for the scheduling contract (anything with ``ainvoke``);
a real store manager runs through the executor in the store-manager tests.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import CancelledError

import pytest

from harness.errors import ConfigurationError
from harness.memory.reflection import ManualClock, ReflectionExecutor


class RecordingManager:
    def __init__(self, gate: threading.Event | None = None) -> None:
        self.calls: list[object] = []
        self.running = 0
        self.max_running = 0
        self.gate = gate
        self._lock = threading.Lock()

    async def ainvoke(self, payload, config=None, **kwargs):
        with self._lock:
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            if self.gate is not None:
                while not self.gate.is_set():
                    await asyncio.sleep(0.001)
            if payload == "boom":
                raise ValueError("manager failed")
            with self._lock:
                self.calls.append((payload, config, kwargs))
            return f"done:{payload}"
        finally:
            with self._lock:
                self.running -= 1


def wait_until(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.001)


def test_immediate_submit_returns_result():
    manager = RecordingManager()
    with ReflectionExecutor(manager) as executor:
        future = executor.submit({"messages": []}, thread_id="t1")
        assert future.result(timeout=60) == "done:{'messages': []}"
    assert manager.calls == [({"messages": []}, None, {})]


def test_newer_submit_for_same_thread_replaces_pending_one():
    clock = ManualClock()
    manager = RecordingManager()
    executor = ReflectionExecutor(manager, clock=clock)
    first = executor.submit("first", after_seconds=10, thread_id="t1")
    second = executor.submit("second", after_seconds=10, thread_id="t1")
    other = executor.submit("other", after_seconds=10, thread_id="t2")
    assert first.cancelled()
    clock.advance(9.9)
    time.sleep(0.05)
    assert not second.done()
    clock.advance(0.1)
    assert second.result(timeout=60) == "done:second"
    assert other.result(timeout=60) == "done:other"
    assert sorted(call[0] for call in manager.calls) == ["other", "second"]
    executor.shutdown()


def test_independent_threads_run_concurrently_up_to_max_workers():
    gate = threading.Event()
    manager = RecordingManager(gate)
    executor = ReflectionExecutor(manager, max_workers=2)
    futures = [executor.submit(i, thread_id=f"t{i}") for i in range(4)]
    wait_until(lambda: manager.running == 2)
    time.sleep(0.05)
    assert manager.running == 2  # the other two wait for a worker
    gate.set()
    assert [f.result(timeout=60) for f in futures] == [f"done:{i}" for i in range(4)]
    assert manager.max_running == 2
    executor.shutdown()


def test_one_thread_never_runs_twice_at_once():
    gate = threading.Event()
    manager = RecordingManager(gate)
    executor = ReflectionExecutor(manager, max_workers=4)
    first = executor.submit("a", thread_id="same")
    wait_until(lambda: manager.running == 1)
    second = executor.submit("b", thread_id="same")  # first already started: not cancelled
    time.sleep(0.05)
    assert manager.running == 1
    gate.set()
    assert first.result(timeout=60) == "done:a"
    assert second.result(timeout=60) == "done:b"
    assert manager.max_running == 1
    assert [call[0] for call in manager.calls] == ["a", "b"]
    executor.shutdown()


def test_shutdown_flushes_pending_work_without_waiting_for_the_delay():
    clock = ManualClock()
    manager = RecordingManager()
    executor = ReflectionExecutor(manager, clock=clock)
    future = executor.submit("later", after_seconds=3600, thread_id="t1")
    executor.shutdown(wait=True)
    assert future.result(timeout=0) == "done:later"
    with pytest.raises(RuntimeError, match="shut down"):
        executor.submit("too late")


def test_shutdown_can_cancel_pending_work():
    clock = ManualClock()
    manager = RecordingManager()
    executor = ReflectionExecutor(manager, clock=clock)
    future = executor.submit("later", after_seconds=60, thread_id="t1")
    executor.shutdown(wait=True, cancel_pending=True)
    assert future.cancelled()
    with pytest.raises(CancelledError):
        future.result(timeout=0)
    assert manager.calls == []


def test_manager_errors_reach_the_future_and_executor_keeps_working():
    manager = RecordingManager()
    with ReflectionExecutor(manager) as executor:
        failing = executor.submit("boom", thread_id="t1")
        with pytest.raises(ValueError, match="manager failed"):
            failing.result(timeout=60)
        assert executor.submit("fine", thread_id="t1").result(timeout=60) == "done:fine"


def test_config_thread_id_and_store_are_passed_through():
    manager = RecordingManager()
    store = object()
    clock = ManualClock()
    executor = ReflectionExecutor(manager, store=store, clock=clock)
    config = {"configurable": {"thread_id": "conv-9", "user_id": "u1"}}
    first = executor.submit("x", config, after_seconds=5)
    second = executor.submit("y", config, after_seconds=5)
    assert first.cancelled()  # same thread id taken from the config
    clock.advance(5)
    assert second.result(timeout=60) == "done:y"
    assert manager.calls == [("y", config, {"store": store})]
    executor.shutdown()


def test_racing_submits_never_lose_the_latest_payload():
    manager = RecordingManager()
    executor = ReflectionExecutor(manager, max_workers=4)
    futures: list = []
    lock = threading.Lock()

    def hammer(worker: int) -> None:
        for i in range(50):
            future = executor.submit((worker, i), thread_id="hot")
            with lock:
                futures.append(future)

    threads = [threading.Thread(target=hammer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    last = futures[-1]
    executor.shutdown(wait=True)
    assert last.result(timeout=0) == f"done:{(last_payload := manager.calls[-1][0])}"
    assert all(f.done() for f in futures)
    completed = [f for f in futures if not f.cancelled()]
    assert len(completed) == len(manager.calls)  # every non-cancelled job ran exactly once
    assert last_payload in {call[0] for call in manager.calls}


def test_invalid_arguments_are_rejected():
    with pytest.raises(ConfigurationError):
        ReflectionExecutor(RecordingManager(), max_workers=0)
    executor = ReflectionExecutor(RecordingManager())
    with pytest.raises(ConfigurationError):
        executor.submit("x", after_seconds=-1)
    executor.shutdown()
