"""Both state modes score through one function: ``predicted`` chains ids across sessions,
``gold`` matches each session against the gold keys the store held before it."""

from __future__ import annotations

import pytest

from harness._async import run_sync
from harness.data.models import Case
from harness.memory.schemas import MemoryOperation
from harness.scoring.matchers import ExactMatcher
from harness.scoring.metrics import ascore_case

CASE = Case.model_validate(
    {
        "id": "move",
        "sessions": [
            {
                "messages": [{"id": "u1", "role": "user", "content": "I moved to Lyon."}],
                "expected": [{"op": "insert", "ref": "home", "content": "User lives in Lyon"}],
            },
            {
                "messages": [{"id": "u2", "role": "user", "content": "Now I live in Paris."}],
                "expected": [{"op": "update", "ref": "home", "content": "User lives in Paris"}],
            },
        ],
    }
)


def _ops(second_target: str) -> list[list[MemoryOperation]]:
    return [
        [
            MemoryOperation(
                op="insert", id="p1", kind="Memory", after={"content": "User lives in Lyon"}
            )
        ],
        [
            MemoryOperation(
                op="update",
                id=second_target,
                kind="Memory",
                before={"content": "User lives in Lyon"},
                after={"content": "User lives in Paris"},
            )
        ],
    ]


FINAL = {"x": {"content": "User lives in Paris"}}


@pytest.mark.parametrize(
    ("state_mode", "target", "update_counts"),
    [
        ("predicted", "p1", (1, 0, 0)),  # the system's own insert, matched in session 1
        ("predicted", "home", (0, 1, 1)),  # a gold key the system's store never held
        ("gold", "home", (1, 0, 0)),  # the store was reset to the gold state: key "home"
        ("gold", "p1", (0, 1, 1)),  # the system's insert was replaced by the gold state
    ],
)
def test_update_targets_are_read_in_the_state_the_session_ran_on(state_mode, target, update_counts):
    scored = run_sync(ascore_case(CASE, _ops(target), FINAL, ExactMatcher(), state_mode=state_mode))
    counts = scored.counts
    assert (counts["update_tp"], counts["update_fp"], counts["update_fn"]) == update_counts
    assert (counts["insert_tp"], counts["final_tp"], counts["final_fn"]) == (1, 1, 0)
