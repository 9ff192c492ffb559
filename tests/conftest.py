"""Shared test set-up: user-level paths point into a temp dir, and nothing reaches a network."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


_SCRATCH = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """Give this test process a temporary directory of its own (inherited by subprocesses), so
    folders the harness leaves behind are noticed, even with other test sessions beside it."""
    scratch = tempfile.mkdtemp(prefix="harness-tests-")
    os.environ["TMPDIR"] = tempfile.tempdir = scratch
    config.stash[_SCRATCH] = scratch


def pytest_unconfigure(config: pytest.Config) -> None:
    scratch = config.stash.get(_SCRATCH, None)
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _no_temporary_folders_left_behind():
    """Fail the session if the harness left any of its temporary folders behind."""
    yield
    left = sorted(p.name for p in Path(tempfile.gettempdir()).glob("harness-*"))
    if left:
        pytest.fail(f"temporary folders left behind: {', '.join(left)}", pytrace=False)


@pytest.fixture(autouse=True)
def _stores_idle_after_each_test():
    """Every test ends with no LanceDB commit running (an in-memory store commits in the
    background too): a commit left running beside the next test's LanceDB calls once crashed
    a worker process."""
    yield
    lance = sys.modules.get("harness.memory.store.lance")  # no store made yet: nothing to wait
    if lance is not None:
        busy = lance.wait_all_idle(timeout=120)
        assert not busy, f"stores still committing 120 s after the test: {busy}"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path_factory.mktemp("harness-home")
    monkeypatch.setenv("HARNESS_HOME", str(home))
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("HARNESS_RETRY_BASE_DELAY", "0")
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    yield home


@pytest.fixture(params=["inmemory", "lance"])
def store(request: pytest.FixtureRequest, tmp_path):
    """Each store test runs against both stores (LanceStore imported only when used)."""
    from harness.memory.store import InMemoryStore

    if request.param == "inmemory":
        return InMemoryStore()
    from harness.memory.store import LanceStore

    return LanceStore(tmp_path / "lance")


@pytest.fixture
def scripted():
    """A scripted model with a unique name, so tests never share a queue."""
    from harness.models.scripted import scripted_model

    return scripted_model(f"test-{uuid.uuid4().hex[:8]}").reset()


@pytest.fixture
def sigint_delivered():
    """Ctrl-C reaches this process and the processes it starts.

    A shell starts ``cmd &`` with SIGINT ignored when job control is off (scripts, CI wrappers),
    and a process keeps an ignored signal ignored, so without this the Ctrl-C tests of a suite
    started that way would wait for a signal that never comes. With a handler installed here,
    the processes the test starts get the default SIGINT back.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
