"""Your own memory system under test: ``--system module:attr``, matrix files, the Python API.

The systems below answer the tiny dataset (``tests/runner/data/tiny.jsonl``) by rule, with the
``exact`` matcher, so every number is worked out by hand:

- ``gold_ops`` returns exactly the gold operations: every extraction metric is 1.0;
- ``as_state`` returns the new state: m1 updated (TP), "User drinks tea" inserted where the
  gold says "User drinks green tea" (insert FN + FP), m1 of tiny-forget deleted (TP), nothing
  for "Thanks!" and "hi there". Micro TP 2 / FP 1 / FN 1: F1 2/3; exact sessions 3 of 4.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

import pytest
from cli_in_process import cli

from harness.errors import ConfigurationError
from harness.memory.schemas import Memory, RemoveDoc
from harness.results import open_results
from harness.runner import RunConfig
from harness.runner.matrix import MatrixConfig, combinations, one_factor_pairs
from harness.testing import memory_eval

TINY = Path(__file__).resolve().parents[1] / "runner" / "data" / "tiny.jsonl"
FAST = {"matcher": "exact", "n_resamples": 0, "search_modes": ["vector"]}


def gold_ops(session, memories):
    with pytest.raises(RuntimeError):  # a sync function runs in a worker thread, off the loop
        asyncio.get_running_loop()
    text = session.messages[0]["content"]
    if "dark mode" in text:
        assert memories == {"m1": "User prefers light mode"}
        return [
            {"op": "update", "id": "m1", "content": "User prefers dark mode", "source": "a1"},
            {"op": "insert", "content": "User drinks green tea"},
        ]
    if "forget" in text:
        return [{"op": "delete", "id": next(k for k, v in memories.items() if "Paris" in v)}]
    return []


async def as_state(session, memories):
    await asyncio.sleep(0)
    text = session.messages[0]["content"]
    if "dark mode" in text:
        return {"m1": "User prefers dark mode", "tea": "User drinks tea"}
    if "forget" in text:
        return {k: v for k, v in memories.items() if "Paris" not in v}
    return memories


class LangMemStyle:
    """Returns changed memories only, RemoveDoc for deletions, as LangMem's manager does."""

    def invoke(self, input):
        existing = dict(input["existing"])
        text = input["messages"][0]["content"]
        if "dark mode" in text:
            return [("m1", Memory(content="User prefers dark mode")),
                    ("new", Memory(content="User drinks green tea"))]  # fmt: skip
        if "forget" in text:
            key = next(k for k, v in existing.items() if "Paris" in v.content)
            return [(key, RemoveDoc(json_doc_id=key))]
        return []


def test_a_function_returning_operations_scores_like_the_oracle():
    result = memory_eval(gold_ops, str(TINY), **FAST)
    assert result["micro_f1"] == 1.0 and result["exact_session_accuracy"] == 1.0
    assert result["error_rate"] == 0.0 and result.system == "gold_ops"


def test_a_function_returning_the_new_state_is_diffed():
    result = memory_eval(as_state, str(TINY), **FAST)
    assert result["insert_f1"] == 0.0
    assert result["update_f1"] == 1.0 and result["delete_f1"] == 1.0
    assert result["micro_f1"] == pytest.approx(2 / 3)
    assert result["exact_session_accuracy"] == pytest.approx(3 / 4)


def test_a_langmem_style_object_has_its_operations_derived(tmp_path):
    db = tmp_path / "r.duckdb"
    result = memory_eval(LangMemStyle(), str(TINY), db=db, **FAST)
    assert result["micro_f1"] == 1.0
    with open_results(db) as store:
        run = store.get_run(result.run_id)
        ops = {(op.case_id, op.op) for op in store.ops(result.run_id) if op.side == "predicted"}
    assert run.model == "custom/LangMemStyle"
    assert run.components["system"] == {"name": "LangMemStyle", "operations": "reported or diffed"}
    assert ("tiny-forget", "delete") in ops and ("tiny-update", "update") in ops


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """A module of the user's, in the current directory (as ``harness run`` finds it)."""
    name = f"my_memory_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(
        textwrap.dedent(
            """
            def remember(session, memories):
                return [{"op": "insert", "content": "User said: " + m["content"]}
                        for m in session.messages if m["role"] == "user"]

            def two_args_missing(session):
                return []

            broken_constant = 42
            """
        ),
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield name
    sys.modules.pop(name, None)


def test_harness_run_system_module_attr(user_module, tmp_path, capsys):
    db = str(tmp_path / "r.duckdb")
    args = ["--dataset", str(TINY), "--matcher", "exact", "--resamples", "0", "--db", db]
    assert cli("run", "--system", f"{user_module}:remember", *args, "--progress", "none") == 0
    with open_results(db) as store:
        (run,) = store.list_runs()
        predicted = sorted(
            op.content for op in store.ops(run.run_id) if op.side == "predicted" and op.content
        )
    assert run.model == f"custom/{user_module}:remember"
    assert run.parameters["system"] == f"{user_module}:remember"
    assert "User said: Thanks!" in predicted and "User said: hi there" in predicted


@pytest.mark.parametrize(
    ("attr", "message"),
    [
        ("nowhere_at_all:fn", "system nowhere_at_all:fn: no module named 'nowhere_at_all'"),
        ("{m}:missing", "system {m}:missing: module '{m}' has no attribute 'missing'"),
        ("{m}:two_args_missing", "system {m}:two_args_missing has the wrong signature (session)"),
        ("{m}:broken_constant", "system {m}:broken_constant (int) is neither a memory manager"),
        ("not a spec", "'not a spec' is not a system"),
    ],
)
def test_a_bad_system_spec_exits_2_naming_it(user_module, tmp_path, capsys, attr, message):
    spec = attr.format(m=user_module)
    db = tmp_path / "r.duckdb"
    code = cli("run", "--system", spec, "--dataset", str(TINY), "--db", str(db))
    assert code == 2
    err = capsys.readouterr().err
    assert message.format(m=user_module) in err and "Traceback" not in err
    if db.exists():  # nothing was recorded: the spec is checked before the run starts
        with open_results(db) as store:
            assert store.list_runs() == []


def test_a_module_that_fails_to_import_is_named_with_its_error(tmp_path, monkeypatch):
    from harness.systems.registry import check_system_spec

    (tmp_path / "broken_mod_x1.py").write_text("import not_installed_dep\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    with pytest.raises(ConfigurationError, match="importing 'broken_mod_x1' failed: No module"):
        check_system_spec("broken_mod_x1:fn")
    sys.modules.pop("broken_mod_x1", None)


def test_memory_eval_takes_a_spec_string(user_module):
    result = memory_eval(f"{user_module}:remember", str(TINY), **FAST)
    assert result["nothing_to_store_fpr"] == 1.0  # it stores every message, "Thanks!" too


def test_matrix_files_name_systems_as_a_dimension(tmp_path):
    matrix = MatrixConfig.model_validate(
        {"name": "m", "datasets": [str(TINY)], "models": ["baseline/noop"],
         "systems": ["harness", "pkg.mod:fn"]}
    )  # fmt: skip
    combos = combinations(matrix)
    assert [(c.model, c.system) for c in combos] == [
        ("baseline/noop", None),
        ("baseline/noop", "pkg.mod:fn"),
    ]
    assert combos[1].config.name == "m:tiny:pkg.mod:fn:baseline/noop:default"
    assert combos[0].key != combos[1].key
    assert one_factor_pairs(combos) == [(0, 1)]
    single = MatrixConfig.model_validate({"models": ["baseline/noop"], "system": "pkg.mod:fn"})
    assert single.systems == ["pkg.mod:fn"]
    with pytest.raises(ValueError, match="a matrix dimension"):
        MatrixConfig.model_validate({"models": ["x"], "run": {"system": "pkg.mod:fn"}})
    with pytest.raises(ValueError, match="is not a system"):
        MatrixConfig.model_validate({"models": ["x"], "systems": ["no spec"]})


def test_runs_without_a_system_keep_their_matrix_key():
    from harness.runner.matrix import config_key

    parameters = RunConfig().model_dump(mode="json")
    assert parameters["system"] is None
    before = {k: v for k, v in parameters.items() if k != "system"}
    assert config_key(parameters, "d", "t") == config_key(before, "d", "t")


def test_the_pytest_fixture_takes_a_function(memory_eval):
    result = memory_eval(gold_ops, str(TINY), **FAST)
    assert result.assert_min(micro_f1=1.0) is result


def test_a_systems_usage_is_zero_only_when_the_harness_can_know_it():
    from harness.models.types import Usage
    from harness.systems import as_system

    def tea(session, memories):
        return [{"op": "insert", "content": "User drinks green tea"}]

    system = as_system(tea)
    request = {"messages": [{"id": "a1", "role": "user", "content": "Green tea."}], "existing": []}
    assert system.invoke(request).usage == Usage(cost_usd=0.0)  # a function calls no model
    system.usage_known = False  # as the peers say: they call their models themselves
    result = system.invoke(request)
    assert result.usage is None
    assert [op.op for op in result.operations] == ["insert"]
