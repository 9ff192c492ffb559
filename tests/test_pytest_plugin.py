"""The pytest integration, as a user's own test suite meets it (run with ``pytester``).

The user's suite below wraps a memory manager of its own around a scripted model that updates
a memory only when its instructions say to; the careless variant's failure must say which cases
lost points and why, op by op.
"""

from __future__ import annotations

import json
import uuid
from importlib.metadata import entry_points

import pytest

from harness.errors import ConfigurationError
from harness.results import open_results
from harness.testing import memory_eval

pytest_plugins = ["pytester"]

CASES = [
    {"id": "moved", "tags": ["update"],
     "existing": [{"id": "m1", "content": "User lives in Lyon"}],
     "sessions": [{"messages": [{"id": "a1", "role": "user", "content": "I live in Lille now."}],
                   "expected": [{"op": "update", "id": "m1", "content": "User lives in Lille",
                                 "require": ["Lille"], "forbid": ["Lyon"]}]}]},
    {"id": "theme", "tags": ["update"],
     "existing": [{"id": "m1", "content": "User prefers light mode"}],
     "sessions": [{"messages": [{"id": "b1", "role": "user", "content": "Dark mode now, please."}],
                   "expected": [{"op": "update", "id": "m1", "content": "User prefers dark mode",
                                 "require": ["dark"], "forbid": ["light"]}]}]},
    {"id": "allergy", "tags": ["insert"],
     "sessions": [{"messages": [{"id": "c1", "role": "user", "content": "I'm allergic to nuts."}],
                   "expected": [{"op": "insert", "ref": "g1", "content": "User is allergic to nuts",
                                 "require": ["nuts"]}]}]},
]  # fmt: skip

USER_TESTS = '''
import re

from harness import create_memory_manager
from harness.models.scripted import scripted_model

RULE = "update the memory that holds it"
SCRIPT = {
    "a1": ("update", "Lyon", "User lives in Lille"),
    "b1": ("update", "light", "User prefers dark mode"),
    "c1": ("insert", None, "User is allergic to nuts"),
}


def respond(request):
    system, prompt = request.messages[0]["content"], request.last_user_text
    calls = []
    for message_id, (op, old, new) in SCRIPT.items():
        if f"[{message_id}] user:" not in prompt:
            continue
        if op == "update" and RULE in system:
            handle = re.search(rf"^\\[([^\\]]+)\\] Memory .*{old}", prompt, re.M).group(1)
            calls.append({"name": "update_memory", "arguments": {"id": handle, "content": new}})
        else:
            calls.append({"name": "insert_memory", "arguments": {"content": new}})
    return {"tool_calls": calls}


scripted_model("user-suite").reset().respond_with(respond)


class MyMemory:
    """The user's own memory system: any object with an async ainvoke works."""

    def __init__(self, instructions):
        self.manager = create_memory_manager("scripted/user-suite", instructions=instructions)

    async def ainvoke(self, input):
        return await self.manager.ainvoke(input)


def test_careful_manager(memory_eval):
    result = memory_eval(MyMemory("Keep facts about the user; " + RULE + "."), "cases.jsonl")
    result.assert_min(update_f1=1.0, micro_f1=1.0).assert_max(error_rate=0.0)


def test_careless_manager(memory_eval):
    result = memory_eval(MyMemory("Keep facts about the user."), "cases.jsonl", tags=["update"])
    result.assert_min(update_f1=0.8)


def test_model_string_with_the_default_template(memory_eval):
    result = memory_eval("scripted/user-suite", "cases.jsonl", prompt="default")
    assert result["update_f1"] == 1.0
'''


def _plugin_args() -> list[str]:
    """``-p harness.pytest_plugin`` unless the installed entry point loads it already."""
    registered = any(ep.value == "harness.pytest_plugin" for ep in entry_points(group="pytest11"))
    return [] if registered else ["-p", "harness.pytest_plugin"]


@pytest.fixture
def user_suite(pytester):
    pytester.makefile(".jsonl", cases="\n".join(json.dumps(case) for case in CASES))
    pytester.makepyfile(test_user=USER_TESTS)
    return pytester


@pytest.mark.slow
def test_a_users_suite_passes_and_fails_with_reasons(user_suite):
    # A process of its own, like a user's test run (and native extensions such as DuckDB's
    # cannot be unloaded and imported again, which an in-process run would do).
    result = user_suite.runpytest_subprocess(
        *_plugin_args(), "--memory-eval-db", "results.duckdb", "-W", "ignore::UserWarning"
    )
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: memory_eval of MyMemory on cases.jsonl (tags update):"
            " 1 bound(s) not met (2 cases, run *)",
            "*  update_f1 = 0.000 [[]0.000, 0.000[]] < 0.8",
            "*cases that lost update_f1 (2 of 2), worst first:",
            "*  moved [[]update[]]: update_f1 0.000",
            '*    s1 gold update m1 "User lives in Lille" / predicted insert "User lives in Lille":'
            " duplicate_instead_of_update: a new memory was inserted instead of updating 'm1'*",
            "*  theme [[]update[]]: update_f1 0.000",
        ]
    )
    with open_results(user_suite.path / "results.duckdb", read_only=True) as store:
        names = sorted(run.name for run in store.list_runs())
    assert names == [
        "pytest::test_user.py::test_careful_manager",
        "pytest::test_user.py::test_careless_manager",
        "pytest::test_user.py::test_model_string_with_the_default_template",
    ]


def test_the_plugin_adds_its_option(pytester):
    result = pytester.runpytest(*_plugin_args(), "--help")
    result.stdout.fnmatch_lines(["*--memory-eval-db=PATH*"])


def test_an_object_that_is_no_memory_system_is_refused():
    with pytest.raises(ConfigurationError, match="is neither a memory manager"):
        memory_eval(object(), "datasets/core.jsonl", limit=1)


@pytest.mark.slow
def test_bounds_on_a_baseline_and_their_metric_names():
    result = memory_eval(
        "baseline/oracle", "datasets/core.jsonl", limit=3, n_resamples=100, search_modes=["hybrid"]
    )
    assert result["micro_f1"] == 1.0 and len(result.cases) == 3
    assert result["e2e_vector_recall@5"] is None
    with pytest.raises(AssertionError, match="e2e_vector_mrr was not measured by this run"):
        result.assert_min({"e2e_vector_mrr": 0.5})
    result.assert_min({"e2e_hybrid_recall@5": 1.0}, micro_f1=1.0).assert_max(error_rate=0)
    with pytest.raises(AssertionError, match=r"error_rate = 0\.000 .* > -1"):
        result.assert_max(error_rate=-1)
    with pytest.raises(ConfigurationError, match="unknown metric 'micro_f'"):
        result.assert_min(micro_f=0.5)


def test_a_system_that_fails_every_case_raises_instead_of_scoring():
    """Like run_dataset: error_rate 1.0 with n/a metrics is no result to assert on."""
    from harness.errors import RunFailedError

    expected = r"memory_eval of scripted/never-\w+ \(template default\): every case failed \(1 c"
    with pytest.raises(RunFailedError, match=expected):
        memory_eval(
            f"scripted/never-{uuid.uuid4().hex[:8]}", "datasets/core.jsonl", limit=1, cache="off"
        )
