"""The harness's temporary folders, named after their owner, and the sweep of stale ones.

A folder the harness keeps only while a process works (a run's private LanceDB store, a Mem0
system's local store, an in-memory optimization's candidate files) is named
``harness-<label>-<kind><pid>.<start>-<random>`` in the system temporary folder: ``kind`` is
``p`` for a process that drives the work, ``w`` for a Ray worker; ``pid`` and ``start`` (the
process's start time, in clock ticks since boot) name the owner. The owner removes its folder
when it is done, even on Ctrl-C or SIGTERM; a process killed with SIGKILL (or a Ray worker lost
with its node's memory) cannot. So every run, and every Ray worker preparing a run, first
removes the folders whose owner is gone: no process with that pid, or one that is a zombie, or
one with another start time (the pid was reused). A folder whose owner may be alive is never
touched: without a start time (a system that does not say) a live pid keeps its folder. Names
in another form are left, except a resumed run's own folders written by an older harness
(``harness-run-<run id>-<random>``), which only that run could have written.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

PREFIX = "harness-"
RUN_PREFIX = "harness-run-"

_OWNED = re.compile(r"^harness-(?P<label>.+)-[pw](?P<pid>\d+)(?:\.(?P<start>\d+))?-[^-]+$")


def process_start(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot), or None when unknown or gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()  # the command name may hold spaces and ")"
    try:
        return int(fields[19])  # field 22 of proc(5), counted from field 3
    except (IndexError, ValueError):
        return None


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read().decode("ascii", "replace")
    except OSError:
        return False
    return text[text.rfind(")") + 2 : text.rfind(")") + 3] == "Z"


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists and is not a zombie (killed, not yet reaped)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except OverflowError:
        return False
    return not _zombie(pid)


def owner_tag(pid: int | None = None) -> str:
    """``<pid>.<start>`` of this process (or ``pid``); ``<pid>`` alone when the start is unknown."""
    pid = os.getpid() if pid is None else pid
    start = process_start(pid)
    return str(pid) if start is None else f"{pid}.{start}"


def owned_folder(label: str, *, worker: bool = False) -> Path:
    """A new temporary folder ``harness-<label>-...`` named after this process."""
    kind = "w" if worker else "p"
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{label}-{kind}{owner_tag()}-"))


def make_folder(run_id: str, *, worker: bool = False) -> Path:
    """A new temporary folder for run ``run_id``'s store, named after this process."""
    return owned_folder(f"run-{run_id}", worker=worker)


def owner_gone(name: str) -> bool:
    """Whether the folder ``name`` was made by a process that no longer runs (False when the
    name does not say who made it)."""
    found = _OWNED.match(name)
    if found is None:
        return False
    pid, start = int(found["pid"]), found["start"]
    if not pid_alive(pid):
        return True
    if start is None:
        return False  # a live pid, and no start time to tell a reused pid apart
    now = process_start(pid)
    return now is not None and now != int(start)


def sweep(resumed: str | None = None, root: Path | None = None) -> list[Path]:
    """Remove the harness folders under ``root`` (default: the temporary folder) whose owner is
    gone, and, when run ``resumed`` is about to go on, its folders without an owner in their
    name; returns the folders removed."""
    root = Path(tempfile.gettempdir()) if root is None else root
    removed = []
    for folder in root.glob(f"{PREFIX}*"):
        name = folder.name
        legacy = (
            resumed is not None
            and name.startswith(f"{RUN_PREFIX}{resumed}-")
            and _OWNED.match(name) is None
        )
        if not (owner_gone(name) or legacy) or not folder.is_dir():
            continue
        logger.info("removing the temporary folder of a process that is gone: %s", folder)
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed
