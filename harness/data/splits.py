"""Deterministic train/dev/test assignment.

A case's split depends only on its id (sha256, so it is the same on every machine and Python
version and never moves when other cases are added or removed), unless the case pins one with its
``split`` field. Proportions: 60 % train, 20 % dev, 20 % test.
"""

from __future__ import annotations

import hashlib

from harness.data.models import Case, Split

SPLITS: tuple[Split, ...] = ("train", "dev", "test")
SPLIT_WEIGHTS: dict[Split, float] = {"train": 0.6, "dev": 0.2, "test": 0.2}


def split_for_id(case_id: str) -> Split:
    """The split an id hashes to: the first 8 bytes of sha256(id) as a fraction of 2**64."""
    fraction = int.from_bytes(hashlib.sha256(case_id.encode("utf-8")).digest()[:8], "big") / 2**64
    bound = 0.0
    for name in SPLITS:
        bound += SPLIT_WEIGHTS[name]
        if fraction < bound:
            return name
    return SPLITS[-1]


def split_of(case: Case) -> Split:
    """The case's own ``split`` when set, else the one its id hashes to."""
    return case.split or split_for_id(case.id)
