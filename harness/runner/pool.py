"""Pooled retrieval: every case's queries searched in one shared pool of memories.

Per-case retrieval searches a namespace holding only the case's own 0-4 gold memories, where
any retriever finds the one relevant memory, so vector, full-text and hybrid search score alike.
The pool holds the gold final memories of **every** case of the run plus deterministic
near-duplicates of each (the same statement about another person, time or certainty: "User's
sister prefers dark mode", "User prefers dark mode (until 2019)"), so each case's queries meet
its own memories among at least :data:`MIN_DISTRACTORS` others, many of them its own
near-duplicates. Only the case's own gold memories are relevant; the pooled metrics
(``pooled_<mode>_<metric>``) sit beside the per-case ``gold_*`` ones.

Everything here is pure and deterministic: the same cases give the same pool, keys and texts.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.data.models import Case
from harness.memory.schemas import memory_text

__all__ = [
    "MIN_DISTRACTORS",
    "Pool",
    "PoolMemory",
    "build_pool",
    "near_duplicates",
    "pool_key",
]

MIN_DISTRACTORS = 500
"""Every case's queries meet at least this many memories that are not its own."""
MIN_VARIANTS = 2
"""Near-duplicates made of every gold memory, however large the pool already is."""

_PEOPLE = (
    "User's sister",
    "User's manager",
    "User's neighbour",
    "User's friend Dana",
    "User's brother",
    "User's colleague Omar",
    "User's partner",
    "User's cousin",
)
_FRAMES = (
    "{text}",
    "{text} (until 2019)",
    "{text}, as a teenager",
    "{text}, or might be, not decided",
    "{text} (according to an old note)",
    "{text} for a short trial only",
)
_PLACES = (
    "",
    " at the old flat",
    " on holiday",
    " at work",
    " in Berlin",
    " back home",
    " last winter",
    " during the move",
    " at the gym",
    " online",
    " on weekends",
    " at school",
)
_COMBOS = len(_PEOPLE) * len(_FRAMES) * len(_PLACES)
_STEP = 7  # coprime with _COMBOS: the walk visits every combination once
_SUBJECT = re.compile(r"^(?:the\s+)?user\b(?:'s)?", re.IGNORECASE)


@dataclass(frozen=True)
class PoolMemory:
    """One pooled memory: its store key, stored value, owning case and gold key.

    ``gold_key`` is None for a near-duplicate (a distractor even for its own case).
    """

    key: str
    value: dict[str, Any]
    case_id: str
    gold_key: str | None
    source: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pool:
    """The pooled memories of a run and, per case, the count of memories that are not its own."""

    memories: tuple[PoolMemory, ...]
    variants_per_memory: int
    own: Mapping[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.memories)

    def distractors(self, case_id: str) -> int:
        """How many pooled memories are not ``case_id``'s gold memories."""
        return len(self.memories) - self.own.get(case_id, 0)

    @property
    def min_distractors(self) -> int | None:
        """The fewest distractors any case with gold memories meets (None: no such case)."""
        counts = [self.distractors(case_id) for case_id in self.own]
        return min(counts) if counts else None

    def writes(self, namespace: tuple[str, ...]) -> list[tuple[tuple[str, ...], str, Any]]:
        """The store writes that put the pool under ``namespace``."""
        return [(namespace, memory.key, memory.value) for memory in self.memories]

    def space_for(self, case_id: str) -> tuple[dict[str, list[str]], dict[str, str]]:
        """For one case: provenance of every pooled key (only its own gold memories have any:
        message ids are unique within a case only) and gold key -> pool key of its memories."""
        sources: dict[str, list[str]] = {}
        relevant: dict[str, str] = {}
        for memory in self.memories:
            own = memory.case_id == case_id and memory.gold_key is not None
            sources[memory.key] = list(memory.source) if own else []
            if own:
                relevant[memory.gold_key] = memory.key  # type: ignore[index]
        return sources, relevant


def pool_key(case_id: str, gold_key: str, variant: int | None = None) -> str:
    """``<case>::<gold key>`` for a gold memory, ``...::nd<i>`` for its i-th near-duplicate."""
    base = f"{case_id}::{gold_key}"
    return base if variant is None else f"{base}::nd{variant}"


def _seed(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:4], "big")


def near_duplicates(text: str, count: int) -> list[str]:
    """``count`` distinct statements close to ``text`` but not the same fact.

    Each puts another person in the subject's place ("User prefers X" -> "User's sister prefers
    X"; a text without a leading "User" gets "User's sister says: ...") inside a frame that
    shifts time or certainty; the combinations are walked from an offset derived from the text,
    so neighbouring memories get different variants and the same text always the same ones.
    """
    if count > _COMBOS:
        raise ValueError(f"at most {_COMBOS} near-duplicates per memory, not {count}")
    start = _seed(text) % _COMBOS
    variants = []
    for step in range(count):
        index = (start + step * _STEP) % _COMBOS
        person = _PEOPLE[index % len(_PEOPLE)]
        rest = index // len(_PEOPLE)
        frame = _FRAMES[rest % len(_FRAMES)]
        place = _PLACES[rest // len(_FRAMES)]
        subject = _SUBJECT.match(text)
        body = person + text[subject.end() :] if subject else f"{person} says: {text}"
        variants.append(frame.format(text=body.rstrip(". ") + place))
    return variants


def _variants_needed(n_memories: int, most_own: int) -> int:
    """Near-duplicates per memory so that ``n * (1 + v) - most_own >= MIN_DISTRACTORS``."""
    if n_memories == 0:
        return 0
    total = MIN_DISTRACTORS + most_own
    return min(_COMBOS, max(MIN_VARIANTS, math.ceil(total / n_memories) - 1))


def build_pool(
    cases: Sequence[Case],
    finals: Mapping[str, Mapping[str, Any]],
    *,
    variants: int | None = None,
) -> Pool:
    """The pool of ``cases``: their gold final memories (``finals``: case id -> gold key ->
    value with ``value()``/``source``, as :func:`harness.runner._gold_state.applied_states` gives)
    and enough near-duplicates of each that every case meets :data:`MIN_DISTRACTORS` others.

    Only cases with queries contribute their memories' sources; every case contributes its
    memories. ``variants`` overrides the number of near-duplicates per memory.
    """
    gold = [(case.id, key, value) for case in cases for key, value in finals[case.id].items()]
    own: dict[str, int] = {}
    for case_id, _, _ in gold:
        own[case_id] = own.get(case_id, 0) + 1
    per_memory = (
        variants
        if variants is not None
        else _variants_needed(len(gold), max(own.values(), default=0))
    )
    memories: list[PoolMemory] = []
    for case_id, key, value in gold:
        stored = value.value()
        memories.append(
            PoolMemory(pool_key(case_id, key), stored, case_id, key, tuple(value.source))
        )
        text = memory_text(stored.get("content", stored))
        for i, variant in enumerate(near_duplicates(text, per_memory)):
            memories.append(
                PoolMemory(
                    pool_key(case_id, key, i),
                    {"kind": "Memory", "content": {"content": variant}, "source": []},
                    case_id,
                    None,
                )
            )
    return Pool(tuple(memories), per_memory, own)
