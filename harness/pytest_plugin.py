"""pytest plugin: the ``memory_eval`` fixture for testing your own memory manager.

Installed with the package (entry point ``pytest11``), so any test suite can use it::

    def test_updates(memory_eval):
        result = memory_eval(my_manager, "datasets/core.jsonl", tags=["update"])
        result.assert_min(update_f1=0.8)

The fixture is :func:`harness.testing.memory_eval` with the session's options applied:
``--memory-eval-db PATH`` (or ini ``memory_eval_db``) records every evaluation in that results
database, so a failing test can be examined with ``harness compare`` or ``harness report``.
Importing this module costs nothing: the harness loads when the fixture is first called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.testing import memory_eval as evaluate

DB_OPTION = "--memory-eval-db"
DB_INI = "memory_eval_db"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("memory-harness")
    group.addoption(
        DB_OPTION,
        action="store",
        default=None,
        metavar="PATH",
        help="Record every memory_eval run in this results database (default: in memory only).",
    )
    parser.addini(DB_INI, "Results database memory_eval records runs in.", default=None)


def _db_path(config: pytest.Config) -> str | None:
    value = config.getoption(DB_OPTION) or config.getini(DB_INI)
    return str(value) if value else None


@pytest.fixture
def memory_eval(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """``memory_eval(system, dataset, **options) -> MemoryEval`` (see :mod:`harness.testing`).

    Runs are named after the test (``pytest::<node id>``) and, with ``--memory-eval-db``,
    recorded there.
    """
    db = _db_path(request.config)

    def run(system: Any, dataset: Any = "datasets/core.jsonl", **options: Any) -> Any:
        options.setdefault("name", f"pytest::{request.node.nodeid}")
        if db is not None:
            options.setdefault("db", db)
        return evaluate(system, dataset, **options)

    return run
