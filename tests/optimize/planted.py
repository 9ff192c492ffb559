"""A planted optimization problem: scripted extraction and proposer models and a small dataset.

Every case is one session in which the user says "I love X" (easy) or "I adore X" (hard) and the
gold op inserts "User loves X" (key term X). The scripted extractor always handles "love"; it
handles "adore" only when its system prompt carries ``MARKER-GOOD`` (every thing) or
``MARKER-HALF`` (only the things in :data:`HALF`), and emits nothing at all under
``MARKER-BAD``. So a template's quality is planted in its text, and the scripted proposer decides
which templates the search gets to see.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from harness.models.scripted import ScriptedModel, ScriptedRequest

HALF = {"jazz", "sushi", "kayaks"}
START = """You keep the long-term memory of an assistant about its user.
Record lasting facts about the user, one per memory.
{%- if today %}
Today is {{ today }}.
{%- endif %}
"""


def template_with(marker: str) -> str:
    return START + f"\n{marker}: the user's strong likes count as likes.\n"


GOOD = template_with("MARKER-GOOD")
HALF_TEMPLATE = template_with("MARKER-HALF")
BAD = template_with("MARKER-BAD")


def reply(source: str) -> str:
    """A proposer reply carrying ``source`` the way the prompt asks for it."""
    return f"The model misses strong likes. Here is the revision.\n<template>\n{source}</template>"


def _case(case_id: str, split: str, thing: str, hard: bool) -> dict:
    verb = "adore" if hard else "love"
    return {
        "id": case_id,
        "split": split,
        "sessions": [
            {
                "messages": [{"id": "m1", "role": "user", "content": f"I {verb} {thing}."}],
                "expected": [
                    {"op": "insert", "ref": "g1", "content": f"User loves {thing}",
                     "require": [thing]}
                ],
            }
        ],
    }  # fmt: skip


# (id, split, thing, hard): train 2 easy + 2 hard, dev 1 easy + 2 hard, test 2 easy + 1 hard, so
# the start scores micro F1 4/6 on train, 2/4 on dev and 4/5 on test (all different).
PLANTED = [
    ("tr-1", "train", "tea", False),
    ("tr-2", "train", "jazz", True),
    ("tr-3", "train", "chess", True),
    ("tr-4", "train", "hiking", False),
    ("dv-1", "dev", "sushi", True),
    ("dv-2", "dev", "opera", False),
    ("dv-3", "dev", "karate", True),
    ("te-1", "test", "kayaks", True),
    ("te-2", "test", "tulips", False),
    ("te-3", "test", "cello", False),
]


def extract(request: ScriptedRequest) -> dict:
    system = request.messages[0]["content"] if request.messages else ""
    found = re.search(r"I (love|adore) ([a-z]+)\.", request.last_user_text)
    if found is None or "MARKER-BAD" in system:
        return {"text": "Nothing to store."}
    verb, thing = found.groups()
    knows = verb == "love" or "MARKER-GOOD" in system or ("MARKER-HALF" in system and thing in HALF)
    if not knows:
        return {"text": "Nothing to store."}
    call = {"name": "insert_memory", "arguments": {"content": f"User loves {thing}"}}
    return {"tool_calls": [call]}


@dataclass
class Planted:
    dataset: Path
    prompt: Path
    db: Path
    extractor: ScriptedModel
    proposer: ScriptedModel
    folder: Path

    def options(self, **overrides) -> dict:
        options = {
            "dataset": str(self.dataset),
            "prompt": str(self.prompt),
            "model": self.extractor.model,
            "proposer": self.proposer.model,
            "minibatch": 2,
            "n_resamples": 200,
            "out": str(self.folder / "winner.j2"),
            "run": {"concurrency": 4},
        }
        return {**options, **overrides}


def write_cases(path: Path, cases) -> Path:
    path.write_text("".join(json.dumps(_case(*c)) + "\n" for c in cases), encoding="utf-8")
    return path
