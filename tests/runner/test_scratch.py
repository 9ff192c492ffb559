"""Temporary run folders left by killed processes: removed by the next run, never a live one's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from runner_helpers import TINY, run

from harness import _scratch as scratch
from harness.runner import RunConfig

LINUX = pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs /proc")


def _dead_pid() -> int:
    """The pid of a process that ran and was reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not scratch.pid_alive(child.pid)
    return child.pid


def _folder(root: Path, name: str) -> Path:
    folder = root / name
    (folder / "lance").mkdir(parents=True)
    (folder / "lance" / "data.lance").write_text("x")
    return folder


def test_a_dead_owners_folder_goes_and_a_live_owners_stays(tmp_path):
    dead = _dead_pid()
    gone = [
        _folder(tmp_path, f"harness-run-20260101-000000-aaaaaa-p{dead}.12345-abcd1234"),
        _folder(tmp_path, f"harness-run-20260101-000000-aaaaaa-w{dead}-abcd1234"),
        _folder(tmp_path, f"harness-mem0-p{dead}.1-abcd1234"),  # a Mem0 system's store
        _folder(tmp_path, f"harness-opt-20260101-000000-cafe01-p{dead}.1-abcd1234"),  # optimize
    ]
    kept = [
        _folder(tmp_path, f"harness-run-20260101-000000-bbbbbb-p{scratch.owner_tag()}-x1y2z3_4"),
        _folder(tmp_path, f"harness-run-my-run-w{os.getpid()}-x1y2z3_4"),  # no start: pid alone
        _folder(tmp_path, "harness-run-20260101-000000-cccccc-abcd1234"),  # no owner in the name
        _folder(tmp_path, "harness-tests-p1234567"),  # not named after an owner
        _folder(tmp_path, f"other-run-p{dead}.1-abcd1234"),  # not the harness's
    ]
    assert sorted(scratch.sweep(root=tmp_path)) == sorted(gone)
    assert not any(f.exists() for f in gone)
    assert all(f.exists() for f in kept)


@LINUX
def test_a_reused_pid_does_not_keep_the_folder_of_the_process_that_had_it(tmp_path):
    """Same pid, other start time: the folder's owner is gone though its pid is alive."""
    start = scratch.process_start(os.getpid())
    assert start is not None and scratch.owner_tag() == f"{os.getpid()}.{start}"
    earlier = _folder(tmp_path, f"harness-run-r1-p{os.getpid()}.{start - 1}-abcd1234")
    mine = _folder(tmp_path, f"harness-run-r1-p{os.getpid()}.{start}-efgh5678")
    assert scratch.sweep(root=tmp_path) == [earlier]
    assert mine.exists() and not earlier.exists()


@LINUX
def test_a_killed_process_not_yet_reaped_is_gone():
    """A zombie still answers ``kill(pid, 0)``; its folder is stale all the same."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, left unreaped
        assert not scratch.pid_alive(child.pid)
        assert scratch.owner_gone(f"harness-run-r1-w{child.pid}-abcd1234")
    finally:
        child.wait()


def test_a_resumed_run_also_removes_its_folders_without_an_owner(tmp_path):
    old = _folder(tmp_path, "harness-run-r1-abcd1234")  # written before owners were named
    other = _folder(tmp_path, "harness-run-r2-abcd1234")
    assert scratch.sweep("r1", root=tmp_path) == [old]
    assert other.exists()


def test_a_run_sweeps_the_temporary_folder_before_it_starts(db_path):
    root = Path(tempfile.gettempdir())
    stale = _folder(root, f"harness-run-killed-p{_dead_pid()}.1-abcd1234")
    live = _folder(root, f"harness-run-running-p{scratch.owner_tag()}-abcd1234")
    try:
        result = run(RunConfig(dataset=str(TINY), model="baseline/oracle", n_resamples=0), db_path)
        assert result.recorded == 3
        assert not stale.exists()
        assert live.exists()
        assert not list(root.glob(f"harness-run-{result.run_id}-*"))  # its own removed at the end
    finally:
        shutil.rmtree(stale, ignore_errors=True)
        shutil.rmtree(live, ignore_errors=True)
