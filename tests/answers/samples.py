"""A hand-written conversation in the exact LoCoMo shape, for the answer stage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

LOCOMO = {
    "sample_id": "conv-answers",
    "conversation": {
        "speaker_a": "Caroline",
        "speaker_b": "Melanie",
        "session_1_date_time": "1:56 pm on 8 May, 2023",
        "session_1": [
            {"speaker": "Caroline", "dia_id": "D1:1", "text": "I went to the LGBTQ group."},
            {"speaker": "Melanie", "dia_id": "D1:2", "text": "Lovely! I painted a sunrise."},
        ],
        "session_2_date_time": "10:00 am on 20 May, 2023",
        "session_2": [
            {"speaker": "Caroline", "dia_id": "D2:1", "text": "I moved to Porto last month."},
            {"speaker": "Melanie", "dia_id": "D2:2", "text": "Biscuit loves the beach."},
        ],
    },
    "observation": {
        "session_1_observation": {
            "Caroline": [["Caroline went to the LGBTQ support group on 7 May 2023", "D1:1"]],
            "Melanie": [["Melanie painted a sunrise", "D1:2"]],
        },
        "session_2_observation": {
            "Caroline": [["Caroline moved to the city of Porto", "D2:1"]],
            "Melanie": [["The dog Biscuit loves the beach", "D2:2"]],
        },
    },
    "qa": [
        {
            "question": "When did Caroline go to the LGBTQ support group?",
            "answer": "7 May 2023",
            "evidence": ["D1:1"],
            "category": 2,
        },
        {
            "question": "Which city did Caroline move to?",
            "answer": "Porto",
            "evidence": ["D2:1"],
            "category": 4,
        },
        {
            "question": "What did Melanie paint?",
            "answer": "a sunrise",
            "evidence": ["D1:2"],
            "category": 4,
        },
        {
            "question": "What breed is Tomas's horse?",
            "adversarial_answer": "a pony",
            "evidence": ["D2:2"],
            "category": 5,
        },
    ],
}


def write_locomo(folder: Path, conversations: list[dict[str, Any]] | None = None) -> Path:
    """Import the LoCoMo sample (a list of conversations) and write it as a case file."""
    from harness.data.importers import import_locomo, write_cases

    folder.mkdir(parents=True, exist_ok=True)
    raw = folder / "locomo10.json"
    raw.write_text(json.dumps(conversations or [LOCOMO]), encoding="utf-8")
    out = folder / "locomo.jsonl"
    write_cases(import_locomo(raw).cases, out)
    return out
