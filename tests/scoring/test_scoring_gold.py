"""Replaying gold ops into the state before each session and the final state."""

from __future__ import annotations

import pytest

from harness.data.models import Case
from harness.errors import DatasetError
from harness.scoring.gold import gold_states


def test_states_of_the_fixture_case(fixture_cases):
    case = fixture_cases[0][0]
    states = gold_states(case)
    assert [state.session for state in states] == [0, 1, 2]
    assert list(states[0].memories) == ["m1", "m2", "m3"]
    after_first = states[1].memories
    assert list(after_first) == ["m1", "m2", "m3", "g1", "g2", "g3"]
    assert after_first["m1"].text == "User prefers dark mode"
    assert after_first["m1"].require == ("dark",) and after_first["m1"].forbid == ("light",)
    assert after_first["g1"].source == ("a1",)
    assert after_first["g3"].optional
    final = states[2].memories
    assert "m2" not in final
    assert final["g1"].text == "User drinks black tea every morning"
    assert final["g1"].require == ("black tea",)  # key terms of the last writer
    assert final["m3"].kind == "Memory"
    assert [m.key for m in states[2].required] == ["m1", "m3", "g1", "g2"]


def _case(sessions, existing=()):
    return Case.model_validate(
        {
            "id": "c",
            "existing": [{"id": k, "content": v} for k, v in existing],
            "sessions": [
                {"messages": [{"id": f"t{i}", "role": "user", "content": "x"}], "expected": ops}
                for i, ops in enumerate(sessions)
            ],
        }
    )


def test_optional_update_keeps_the_old_version_acceptable():
    case = _case(
        [[{"op": "update", "id": "m1", "content": "User likes tea", "optional": True,
           "require": ["tea"], "source": ["t0"]}]],
        existing=[("m1", "User likes coffee")],
    )  # fmt: skip
    memory = gold_states(case)[-1].memories["m1"]
    assert not memory.optional
    assert [side.text for side in memory.sides] == ["User likes tea", "User likes coffee"]
    assert memory.sides[1].require == ()


def test_optional_delete_makes_the_memory_optional():
    case = _case([[{"op": "delete", "id": "m1", "optional": True}]], existing=[("m1", "x")])
    assert gold_states(case)[-1].memories["m1"].optional


def test_sources_accumulate_over_writes():
    case = _case(
        [
            [{"op": "insert", "ref": "r", "content": "User likes tea", "source": ["t0"]}],
            [{"op": "update", "ref": "r", "content": "User likes green tea", "source": ["t1"]}],
        ]
    )
    assert gold_states(case)[-1].memories["r"].source == ("t0", "t1")


def test_unknown_target_names_case_session_and_op():
    case = _case([[], [{"op": "delete", "id": "nope"}]])
    with pytest.raises(DatasetError, match=r"case 'c', session 1, op 0: delete targets 'nope'"):
        gold_states(case)
