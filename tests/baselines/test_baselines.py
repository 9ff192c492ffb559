"""The baselines: noop, oracle (gold context, refs across sessions, structured content, perfect
scores on the bundled data) and get_baseline's errors. The heuristic is in test_heuristic.py."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from harness.baselines import get_baseline as exported_get_baseline
from harness.baselines.registry import (
    BASELINE_NAMES,
    GoldContext,
    HeuristicBaseline,
    NoopBaseline,
    OracleBaseline,
    get_baseline,
    is_baseline,
    oracle_context,
)
from harness.data import Case, load_dataset, load_schemas
from harness.errors import ConfigurationError
from harness.memory.manager import ExtractionResult
from harness.memory.schemas import ExtractedMemory, Memory, RemoveDoc, memory_text
from harness.models.types import Usage
from harness.scoring import aggregate, get_matcher, score_case

DATASETS = Path(__file__).resolve().parents[2] / "datasets"
BUNDLED = [DATASETS / "core.jsonl"]
PERFECT = [
    "insert_precision",
    "insert_recall",
    "insert_f1",
    "update_precision",
    "update_recall",
    "update_f1",
    "delete_precision",
    "delete_recall",
    "delete_f1",
    "micro_precision",
    "micro_recall",
    "micro_f1",
    "exact_session_accuracy",
    "final_precision",
    "final_recall",
    "final_f1",
]


class Pref(BaseModel):
    category: str
    preference: str


def user(text: str, id_: str = "u1") -> dict[str, str]:
    return {"id": id_, "role": "user", "content": text}


def mem(id_: str, text: str) -> tuple[str, str, dict[str, str]]:
    return (id_, "Memory", {"content": text})


def as_dict(content: str | dict[str, Any]) -> dict[str, Any]:
    return content if isinstance(content, dict) else {"content": content}


TWO_SESSIONS = Case.model_validate(
    {
        "id": "two-sessions",
        "existing": [
            {"id": "m1", "content": "User lives in Oslo"},
            {"id": "m2", "content": "User has a cat"},
        ],
        "sessions": [
            {
                "messages": [user("I moved to Bergen. I also started running.", "a1")],
                "expected": [
                    {
                        "op": "update",
                        "id": "m1",
                        "content": "User lives in Bergen",
                        "source": ["a1"],
                    },
                    {"op": "insert", "ref": "g1", "content": "User runs", "source": ["a1"]},
                    {"op": "insert", "ref": "g2", "content": "User moved", "optional": True},
                ],
            },
            {
                "messages": [user("Now I run marathons. The cat is gone.", "b1")],
                "expected": [
                    {"op": "update", "ref": "g1", "content": "User runs marathons"},
                    {"op": "delete", "id": "m2", "source": ["b1"]},
                ],
            },
        ],
    }
)

STRUCTURED = Case.model_validate(
    {
        "id": "structured",
        "schema": "Pref",
        "existing": [{"id": "p1", "content": {"category": "ui", "preference": "light mode"}}],
        "sessions": [
            {
                "messages": [user("Dark mode please, and I love jazz.")],
                "expected": [
                    {"op": "update", "id": "p1",
                     "content": {"category": "ui", "preference": "dark"}},
                    {"op": "insert", "ref": "g1",
                     "content": {"category": "music", "preference": "jazz"}},
                ],
            }
        ],
    }
)  # fmt: skip


# --- get_baseline --------------------------------------------------------------------------------


def test_get_baseline_builds_each_known_baseline():
    assert BASELINE_NAMES == ("baseline/heuristic", "baseline/noop", "baseline/oracle")
    assert isinstance(get_baseline("baseline/noop"), NoopBaseline)
    assert isinstance(get_baseline("baseline/oracle"), OracleBaseline)
    assert isinstance(get_baseline("baseline/heuristic"), HeuristicBaseline)
    assert exported_get_baseline is get_baseline


def test_unknown_baseline_lists_the_known_ones():
    with pytest.raises(ConfigurationError) as error:
        get_baseline("baseline/magic")
    message = str(error.value)
    assert "'baseline/magic'" in message
    for name in BASELINE_NAMES:
        assert name in message


def test_options_are_checked():
    with pytest.raises(ConfigurationError, match="enable_deletes"):
        get_baseline("baseline/noop", enable_deletes=True)
    with pytest.raises(ConfigurationError, match="update_treshold"):
        get_baseline("baseline/heuristic", update_treshold=0.5)  # typo
    with pytest.raises(ConfigurationError, match="forget_threshold"):
        get_baseline("baseline/heuristic", forget_threshold=1.5)
    with pytest.raises(ConfigurationError, match="at least one schema"):
        get_baseline("baseline/oracle", schemas=())
    baseline = get_baseline("baseline/heuristic", update_threshold=0.7, schemas=[Pref])
    assert baseline.options.update_threshold == 0.7
    assert baseline.schemas == (Pref,)


def test_is_baseline():
    assert is_baseline("baseline/noop")
    assert is_baseline("baseline/anything")  # routed to get_baseline, which names the known ones
    assert not is_baseline("openai/gpt-4o-mini")
    assert not is_baseline(None)


# --- noop ----------------------------------------------------------------------------------------


def test_noop_reports_none_for_every_existing_memory():
    existing = ["User likes tea", mem("m2", "User has a dog")]
    result = get_baseline("baseline/noop").invoke(
        {"messages": [user("I love coffee now")], "existing": existing}
    )
    assert isinstance(result, ExtractionResult)
    assert list(result) == []
    assert [(op.op, op.kind, op.after) for op in result.operations] == [
        ("none", "Memory", {"content": "User likes tea"}),
        ("none", "Memory", {"content": "User has a dog"}),
    ]
    assert result.operations[1].id == "m2"
    assert result.usage == Usage(cost_usd=0.0)
    assert result.steps == 0 and result.rejected == []


def test_noop_accepts_unknown_kinds_and_the_call_form():
    noop = get_baseline("baseline/noop")
    result = asyncio.run(noop([user("hi")], existing=[("x", "Task", {"title": "pay rent"})]))
    [op] = result.operations
    assert (op.op, op.id, op.kind, op.before) == ("none", "x", "Task", {"title": "pay rent"})


def test_bad_input_is_refused_with_a_clear_error():
    noop = get_baseline("baseline/noop")
    with pytest.raises(ConfigurationError, match="unknown input key"):
        noop.invoke({"messages": [], "extra": 1})
    with pytest.raises(ConfigurationError, match="needs 'messages'"):
        noop.invoke({"existing": []})


# --- oracle --------------------------------------------------------------------------------------


def test_oracle_without_gold_context_refuses():
    with pytest.raises(ConfigurationError, match="oracle_context"):
        get_baseline("baseline/oracle").invoke({"messages": [user("hi")]})


def test_oracle_emits_the_gold_ops_with_refs_as_ids():
    oracle = get_baseline("baseline/oracle")
    existing = [mem("m1", "User lives in Oslo"), mem("m2", "User has a cat")]
    with oracle_context(TWO_SESSIONS, 0):
        result = oracle.invoke(
            {"messages": TWO_SESSIONS.sessions[0].messages, "existing": existing}
        )
    ops = {op.id: op for op in result.operations}
    assert [(op.op, op.id) for op in result.operations] == [
        ("update", "m1"), ("none", "m2"), ("insert", "g1"), ("insert", "g2")
    ]  # fmt: skip
    assert ops["m1"].before == {"content": "User lives in Oslo"}
    assert ops["m1"].after == {"content": "User lives in Bergen"}
    assert ops["m1"].source == ["a1"] and ops["g1"].source == ["a1"]
    assert ops["g2"].after == {"content": "User moved"}  # optional ops are emitted too
    assert [m.id for m in result] == ["m1", "g1", "g2"]
    assert all(isinstance(m, ExtractedMemory) and isinstance(m.content, Memory) for m in result)


def test_oracle_follows_refs_into_later_sessions_even_when_not_shown():
    oracle = get_baseline("baseline/oracle")
    shown = [mem("g1", "User runs"), mem("m2", "User has a cat")]
    with oracle_context(TWO_SESSIONS, 1):
        result = oracle.invoke({"messages": [user("x")], "existing": shown})
    assert [(op.op, op.id, op.before, op.after) for op in result.operations] == [
        ("update", "g1", {"content": "User runs"}, {"content": "User runs marathons"}),
        ("delete", "m2", {"content": "User has a cat"}, None),
    ]
    assert isinstance(result[1].content, RemoveDoc)
    # A store manager may show only some memories: the gold state supplies the rest.
    with oracle_context(TWO_SESSIONS, 1):
        result = oracle.invoke({"messages": [user("x")], "existing": []})
    assert [(op.op, op.id, op.before) for op in result.operations] == [
        ("update", "g1", {"content": "User runs"}),
        ("delete", "m2", {"content": "User has a cat"}),
    ]


def test_oracle_maps_gold_keys_to_store_ids():
    oracle = get_baseline("baseline/oracle")
    existing = [mem("store-1", "User lives in Oslo")]
    with oracle_context(TWO_SESSIONS, 0, id_map={"m1": "store-1", "g1": "new-1"}):
        result = oracle.invoke({"messages": [user("x")], "existing": existing})
    assert [(op.op, op.id) for op in result.operations] == [
        ("update", "store-1"), ("insert", "new-1"), ("insert", "g2")
    ]  # fmt: skip


def test_oracle_gold_as_input_key():
    oracle = get_baseline("baseline/oracle")
    ops = [{"op": "insert", "ref": "r1", "content": "User likes tea"}]
    result = oracle.invoke({"messages": [user("tea!")], "gold": ops})
    assert [(op.op, op.id, op.after) for op in result.operations] == [
        ("insert", "r1", {"content": "User likes tea"})
    ]
    context = GoldContext.for_session(TWO_SESSIONS, 1)
    result = oracle.invoke({"messages": [user("x")], "gold": context})
    assert [op.op for op in result.operations] == ["update", "delete"]
    with pytest.raises(ConfigurationError, match="no session 2"):
        GoldContext.for_session(TWO_SESSIONS, 2)
    with pytest.raises(ConfigurationError, match="input\\['gold'\\]"):
        oracle.invoke({"messages": [user("x")], "gold": [{"op": "insert"}]})


@pytest.mark.parametrize("schemas", [{"Pref": Pref}, None], ids=["known", "unknown"])
def test_oracle_passes_structured_content_through_with_its_kind(schemas):
    oracle = get_baseline("baseline/oracle")
    existing = [("p1", "Pref", {"category": "ui", "preference": "light mode"})]
    with oracle_context(STRUCTURED, 0, schemas=schemas):
        result = oracle.invoke({"messages": [user("x")], "existing": existing})
    assert [(op.op, op.id, op.kind, op.after) for op in result.operations] == [
        ("update", "p1", "Pref", {"category": "ui", "preference": "dark"}),
        ("insert", "g1", "Pref", {"category": "music", "preference": "jazz"}),
    ]
    assert type(result[0].content).__name__ == "Pref"
    assert isinstance(result[0].content, Pref) == (schemas is not None)


def test_oracle_contexts_do_not_leak_between_concurrent_tasks():
    oracle = get_baseline("baseline/oracle")

    async def replay(session: int) -> list[str]:
        with oracle_context(TWO_SESSIONS, session):
            await asyncio.sleep(0.01)  # let the other task set its own context meanwhile
            result = await oracle.ainvoke({"messages": [user("x")]})
        return [f"{op.op}:{op.id}" for op in result.operations]

    async def both() -> list[list[str]]:
        return await asyncio.gather(replay(0), replay(1))

    first, second = asyncio.run(both())
    assert first == ["update:m1", "insert:g1", "insert:g2"]
    assert second == ["update:g1", "delete:m2"]


# --- the oracle on the bundled data --------------------------------------------------------------


def replay_case(baseline: Any, case: Case, schemas: dict[str, type[BaseModel]]):
    """Sessions in order, the state carried forward: what a runner does, without a store."""
    state: dict[str, tuple[str, Any]] = {
        m.id: (m.kind or case.schema_, as_dict(m.content)) for m in case.existing
    }
    predicted = []
    for index, session in enumerate(case.sessions):
        existing = [(key, kind, content) for key, (kind, content) in state.items()]
        messages = [message.model_dump(exclude_none=True) for message in session.messages]
        with oracle_context(case, index, schemas=schemas):
            result = baseline.invoke({"messages": messages, "existing": existing})
        predicted.append(result.operations)
        for op in result.operations:
            if op.op in ("insert", "update"):
                state[op.id] = (op.kind, op.after)
            elif op.op == "delete":
                del state[op.id]
    return predicted, {key: content for key, (_, content) in state.items()}


def score_bundled(name: str, matcher_name: str):
    matcher = get_matcher(matcher_name)
    scores = []
    for path in BUNDLED:
        models = load_schemas(path).models()
        for case in load_dataset(path):
            baseline = get_baseline(name, schemas=[models[case.schema_]])
            predicted, final = replay_case(baseline, case, models)
            scores.append(score_case(case, predicted, final, matcher))
    return aggregate(scores, n_resamples=0)


def _assert_perfect(metrics) -> None:
    for name in PERFECT:
        assert metrics.values[name] == 1.0, name
    assert metrics.values["nothing_to_store_fpr"] == 0.0
    assert sum(metrics.confusions.values()) == 0


@pytest.mark.parametrize("matcher_name", ["exact", "token_f1"])
def test_oracle_scores_one_on_the_bundled_data(matcher_name):
    metrics = score_bundled("baseline/oracle", matcher_name)
    assert metrics.n_cases == sum(len(load_dataset(path)) for path in BUNDLED)
    _assert_perfect(metrics)


@pytest.mark.slow
def test_oracle_scores_one_with_the_default_matcher():
    _assert_perfect(score_bundled("baseline/oracle", "default"))


def test_noop_scores_zero_recall_on_the_bundled_data():
    metrics = score_bundled("baseline/noop", "exact")
    assert metrics.values["micro_recall"] == 0.0
    assert metrics.values["micro_precision"] is None  # nothing predicted
    assert metrics.values["nothing_to_store_fpr"] == 0.0


def test_heuristic_lies_between_noop_and_oracle_and_stores_no_secret():
    from harness.baselines._heuristic import contains_secret

    metrics = score_bundled("baseline/heuristic", "token_f1")
    assert 0.2 < metrics.values["micro_f1"] < 0.9
    assert metrics.values["delete_precision"] > 0.5  # forget requests are explicit
    for path in BUNDLED:
        models = load_schemas(path).models()
        for case in load_dataset(path):
            if "secret" not in case.tags:
                continue
            baseline = get_baseline("baseline/heuristic", schemas=[models[case.schema_]])
            predicted, _ = replay_case(baseline, case, models)
            written = [op for ops in predicted for op in ops if op.op in ("insert", "update")]
            texts = [memory_text(op.after) for op in written]
            assert not [text for text in texts if contains_secret(text)], case.id


def test_the_registry_says_which_baseline_replays_gold_and_which_run_settings_it_takes():
    from harness.baselines import baseline_for_run
    from harness.baselines.registry import baseline_class

    assert [baseline_class(name).replays_gold for name in BASELINE_NAMES] == [False, False, True]
    settings = {
        "enable_inserts": True,
        "enable_updates": False,
        "enable_deletes": True,
        "embedder": None,
        "temperature": 0.3,  # not a baseline option: left out
    }
    heuristic = baseline_for_run("baseline/heuristic", [Memory], settings)
    assert isinstance(heuristic, HeuristicBaseline)
    assert heuristic.options.enable_updates is False
    assert isinstance(baseline_for_run("baseline/noop", [Memory], settings), NoopBaseline)
    with pytest.raises(ConfigurationError, match="known baselines"):
        baseline_for_run("baseline/magic", [Memory], settings)
