"""A small hand-labeled fixture: three cases whose predicted ops hit every scoring rule.

Verdicts come from the ``token_f1`` matcher at threshold 0.5, so every similarity can be worked
out by hand (SQuAD tokens: case-folded, punctuation -> space, articles dropped). The expected
numbers and their arithmetic are in ``test_scoring_fixture.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.data.models import Case
from harness.memory.schemas import MemoryOperation
from harness.scoring.gold import gold_states
from harness.scoring.matchers import TokenF1Matcher


def ins(memory_id: str, text: str) -> MemoryOperation:
    return MemoryOperation(op="insert", id=memory_id, kind="Memory", after={"content": text})


def upd(memory_id: str, text: str) -> MemoryOperation:
    return MemoryOperation(op="update", id=memory_id, kind="Memory", after={"content": text})


def dele(memory_id: str) -> MemoryOperation:
    return MemoryOperation(op="delete", id=memory_id, kind="Memory")


def nothing(memory_id: str = "-") -> MemoryOperation:
    return MemoryOperation(op="none", id=memory_id, kind="Memory")


def _msg(text: str, mid: str) -> list[dict[str, Any]]:
    return [{"id": mid, "role": "user", "content": text}]


CASE_A = {
    # Multi-session: paraphrased insert, value-changed insert rejected by forbid, optional insert
    # matched, update TP, ref mapping into session 2, delete TP, duplicate instead of update.
    "id": "fixture-a",
    "existing": [
        {"id": "m1", "content": "User prefers light mode"},
        {"id": "m2", "content": "User lives in Paris"},
        {"id": "m3", "content": "User owns a cat named Tom"},
    ],
    "sessions": [
        {
            "messages": _msg("I switched to dark mode; green tea every morning; tennis.", "a1"),
            "expected": [
                {"op": "insert", "ref": "g1", "content": "User drinks green tea every morning",
                 "require": ["green tea"], "source": ["a1"]},
                {"op": "update", "id": "m1", "content": "User prefers dark mode",
                 "require": ["dark"], "forbid": ["light"]},
                {"op": "insert", "ref": "g2", "content": "User plays tennis on Sundays",
                 "require": ["tennis"], "forbid": ["Saturdays"]},
                {"op": "insert", "ref": "g3", "content": "User finds dark mode easier on the eyes",
                 "optional": True},
            ],
        },
        {
            "messages": _msg("Now black tea. I left Paris. My cat is Max now.", "a2"),
            "expected": [
                {"op": "update", "ref": "g1", "content": "User drinks black tea every morning",
                 "require": ["black tea"], "forbid": ["green"]},
                {"op": "delete", "id": "m2"},
                {"op": "update", "id": "m3", "content": "User owns a cat named Max",
                 "require": ["Max"], "forbid": ["Tom"]},
            ],
        },
    ],
}  # fmt: skip
PRED_A = [
    [
        ins("a1", "User drinks green tea each morning"),
        upd("m1", "User now prefers dark mode"),
        ins("a2", "User plays tennis on Saturdays"),
        ins("a3", "User finds dark mode easier on the eyes"),
    ],
    [
        upd("a1", "User drinks black tea every morning"),
        dele("m2"),
        ins("a4", "User owns a cat named Max"),
    ],
]
FINAL_A = {
    "m1": "User now prefers dark mode",
    "m3": "User owns a cat named Tom",
    "a1": "User drinks black tea every morning",
    "a2": "User plays tennis on Saturdays",
    "a3": "User finds dark mode easier on the eyes",
    "a4": "User owns a cat named Max",
}

CASE_B = {
    # Confusions: wrong-target update, delete instead of update, wrong content, missed insert,
    # optional delete not done; then a nothing-to-store session with a false positive and one
    # without (its 'none' op is ignored).
    "id": "fixture-b",
    "existing": [
        {"id": "n1", "content": "User works as a nurse"},
        {"id": "n2", "content": "User has two children"},
        {"id": "n3", "content": "User is vegetarian"},
        {"id": "n4", "content": "User lives in Berlin"},
    ],
    "sessions": [
        {
            "messages": _msg("Doctor now, vegan, moved to Munich, allergic to peanuts.", "b1"),
            "expected": [
                {"op": "update", "id": "n1", "content": "User works as a doctor",
                 "require": ["doctor"], "forbid": ["nurse"]},
                {"op": "update", "id": "n3", "content": "User is vegan",
                 "require": ["vegan"], "forbid": ["vegetarian"]},
                {"op": "insert", "ref": "h1", "content": "User is allergic to peanuts",
                 "require": ["peanuts"]},
                {"op": "delete", "id": "n2", "optional": True},
                {"op": "update", "id": "n4", "content": "User lives in Munich",
                 "require": ["Munich"], "forbid": ["Berlin"]},
            ],
        },
        {"messages": _msg("Thanks!", "b2"), "expected": []},
        {"messages": _msg("Bye.", "b3"), "expected": []},
    ],
}  # fmt: skip
PRED_B = [
    [
        upd("n2", "User works as a doctor"),
        dele("n3"),
        upd("n4", "User lives in Hamburg"),
    ],
    [ins("b1", "User says thanks")],
    [nothing()],
]
FINAL_B = {
    "n1": "User works as a nurse",
    "n2": "User works as a doctor",
    "n4": "User lives in Hamburg",
    "b1": "User says thanks",
}

CASE_C = {
    # Partially labeled sessions: unlabeled predictions are not counted, misses are.
    "id": "fixture-c",
    "sessions": [
        {
            "partial": True,
            "messages": _msg("My sister Ana... I was born in 1990. I hike.", "c1"),
            "expected": [
                {"op": "insert", "ref": "k1", "content": "User's sister is named Ana",
                 "require": ["Ana"]},
                {"op": "insert", "ref": "k2", "content": "User was born in 1990",
                 "require": ["1990"]},
            ],
        },
        {"partial": True, "messages": _msg("I like jazz.", "c2"), "expected": []},
    ],
}  # fmt: skip
PRED_C = [
    [ins("c1", "User's sister is called Ana"), ins("c2", "User likes hiking")],
    [ins("c3", "User likes jazz")],
]
FINAL_C = {
    "c1": "User's sister is called Ana",
    "c2": "User likes hiking",
    "c3": "User likes jazz",
}


@pytest.fixture
def fixture_cases() -> list[tuple[Case, list[list[MemoryOperation]], dict[str, str]]]:
    return [
        (Case.model_validate(CASE_A), PRED_A, FINAL_A),
        (Case.model_validate(CASE_B), PRED_B, FINAL_B),
        (Case.model_validate(CASE_C), PRED_C, FINAL_C),
    ]


@pytest.fixture
def f1_matcher() -> TokenF1Matcher:
    return TokenF1Matcher(threshold=0.5)


@pytest.fixture
def oracle():
    """The oracle baseline in miniature: :func:`oracle_predictions`."""
    return oracle_predictions


def oracle_predictions(case: Case) -> tuple[list[list[MemoryOperation]], dict[str, Any]]:
    """Gold ops fed back as predictions: ids equal refs / existing ids, contents equal gold."""
    per_session = []
    for session in case.sessions:
        ops = []
        for op in session.expected:
            after = None
            if op.content is not None:
                after = op.content if isinstance(op.content, dict) else {"content": op.content}
            ops.append(
                MemoryOperation(op=op.op, id=op.target, kind=op.kind or case.schema_, after=after)
            )
        per_session.append(ops)
    final = {memory.key: memory.content for memory in gold_states(case)[-1].memories.values()}
    return per_session, final
