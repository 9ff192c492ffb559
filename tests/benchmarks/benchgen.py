"""Synthetic benchmark inputs of the real size and shape, generated offline (no real data).

- :func:`locomo_like`: a ``locomo10.json``-shaped list (``sample_id``, ``conversation`` with
  ``session_N`` / ``session_N_date_time``, ``observation``, ``session_summary``,
  ``event_summary``, ``qa``): by default 10 conversations, 5,882 turns over 272 sessions and
  1,986 questions, the released totals.
- :func:`longmemeval_like`: a ``longmemeval_s.json``-shaped list of questions
  (``question_id``, ``question_type``, ``question``, ``answer``, ``question_date``,
  ``haystack_session_ids``, ``haystack_dates``, ``haystack_sessions`` of
  ``{"role", "content", "has_answer"?}`` turns, ``answer_session_ids``): by default 500
  questions of about 50 sessions x 10 turns (~115k tokens each), the sessions drawn from a
  shared pool as in the release, so the same haystack session recurs across questions.

Text is made of first-person facts the heuristic baseline extracts plus filler, so the run does
the work a real one does. Run ``python tests/benchmarks/benchgen.py locomo|longmemeval OUT``.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

NAMES = ["Caroline", "Melanie", "Jon", "Gina", "Nate", "Joanna", "Tim", "John", "Maria", "Deb"]
PLACES = ["Lisbon", "Oslo", "Quito", "Hanoi", "Perth", "Tunis", "Lyon", "Cusco", "Accra", "Riga"]
THINGS = ["pottery", "painting", "climbing", "guitar", "running", "chess", "baking", "hiking"]
MONTHS = ["January", "March", "April", "June", "August", "October", "November", "December"]
KIN = ["sister", "brother", "cousin", "aunt", "uncle", "friend", "neighbour", "colleague"]
NOUNS = ["garden", "kitchen", "station", "bridge", "market", "river", "window", "ticket"]
NOUNS += ["letter", "weather", "harbour", "museum", "bakery", "library", "meeting", "budget"]
NOUNS += ["project", "concert", "festival", "recipe", "journey", "train", "bicycle", "island"]
ADJECTIVES = ["quiet", "busy", "early", "late", "bright", "grey", "warm", "cold", "crowded"]
ADJECTIVES += ["empty", "noisy", "gentle", "sudden", "strange", "odd", "calm", "long", "short"]
WORDS = NOUNS + ADJECTIVES
FILLERS = [
    "The {0} near the {1} was {2} again, and nobody could say why the {3} closed so {4}.",
    "It has been a {0} week and the {1} did not help at all, but the {2} looks {3} now.",
    "Honestly the {0} by the {1} felt {2}, and the {3} after it was even more {4} than before.",
    "Someone left a {0} on the {1} this week, which made the whole {2} rather {3}.",
    "The talk about the {0} and the {1} went on for hours, and in the end the {2} stayed {3}.",
]


def _fact(rng: random.Random) -> str:
    """A first-person fact; ~2,500 different ones, so most memories are distinct texts."""
    form = rng.randrange(4)
    if form == 0:
        return f"I moved to {rng.choice(PLACES)} in {rng.choice(MONTHS)} with my {rng.choice(KIN)}."
    if form == 1:
        return f"I started {rng.choice(THINGS)} classes in {rng.choice(MONTHS)} and I love them."
    if form == 2:
        return f"My {rng.choice(KIN)} lives in {rng.choice(PLACES)} with {rng.randint(1, 5)} kids."
    return f"I prefer {rng.choice(THINGS)} over {rng.choice(THINGS)} since {rng.choice(MONTHS)}."


def _filler(rng: random.Random) -> str:
    """A sentence that states no first-person fact, drawn at random so every turn is new text
    (real turns are; repeated text would make the embedding cache look better than it is)."""
    return rng.choice(FILLERS).format(*(rng.choice(WORDS) for _ in range(5)))


def _turn_text(rng: random.Random, words: int) -> str:
    text = _fact(rng)
    while len(text.split()) < words:
        text += " " + _filler(rng)
    return " ".join(text.split()[:words])


def _locomo_date(when: datetime) -> str:
    """As released: ``1:56 pm on 8 May, 2023``."""
    return f"{when:%-I:%M} {when:%p}".lower() + f" on {when.day} {when:%B}, {when.year}"


def locomo_like(
    conversations: int = 10, turns: int = 5882, sessions: int = 272, questions: int = 1986
) -> list[dict[str, Any]]:
    rng = random.Random(7)
    per_conv_sessions = [
        sessions // conversations + (i < sessions % conversations) for i in range(conversations)
    ]
    per_session_turns = turns // sessions
    extra = turns - per_session_turns * sessions
    out = []
    for c in range(conversations):
        a, b = NAMES[(2 * c) % 10], NAMES[(2 * c + 1) % 10]
        conversation: dict[str, Any] = {"speaker_a": a, "speaker_b": b}
        observation: dict[str, Any] = {}
        summaries: dict[str, Any] = {}
        events: dict[str, Any] = {}
        when = datetime(2023, 1, 1, 13, 0) + timedelta(days=30 * c)
        dia_ids: list[str] = []
        for s in range(1, per_conv_sessions[c] + 1):
            when += timedelta(days=rng.randint(3, 20), minutes=rng.randint(0, 600))
            n = per_session_turns + (1 if extra > 0 else 0)
            extra -= 1 if extra > 0 else 0
            turns_ = []
            for t in range(1, n + 1):
                speaker = a if t % 2 else b
                turn = {"speaker": speaker, "dia_id": f"D{s}:{t}", "text": _turn_text(rng, 27)}
                if rng.random() < 0.05:
                    turn["img_url"] = ["https://example.invalid/x.jpg"]
                    turn["blip_caption"] = "a photo of a dog on a beach"
                turns_.append(turn)
                dia_ids.append(f"D{s}:{t}")
            conversation[f"session_{s}_date_time"] = _locomo_date(when)
            conversation[f"session_{s}"] = turns_
            observation[f"session_{s}_observation"] = {
                speaker: [
                    [f"{speaker} {_fact(rng)[2:]}", f"D{s}:{t}"]
                    for t in range(1 if speaker == a else 2, n + 1, 6)
                ]
                for speaker in (a, b)
            }
            summaries[f"session_{s}_summary"] = f"{a} and {b} talked. " + _filler(rng)
            events[f"events_session_{s}"] = {a: [f"{a} {_fact(rng)[2:]}"], b: [], "date": ""}
        qa = [
            {
                "question": f"Where did {a} move? ({q})",
                "answer": rng.choice(PLACES),
                "evidence": rng.sample(dia_ids, k=rng.randint(1, 3)),
                "category": rng.randint(1, 5),
            }
            for q in range(questions // conversations + (c < questions % conversations))
        ]
        out.append(
            {
                "sample_id": f"conv-{c}",
                "qa": qa,
                "conversation": conversation,
                "observation": observation,
                "session_summary": summaries,
                "event_summary": events,
            }
        )
    return out


def _lme_session(rng: random.Random, turns: int, words: int) -> list[dict[str, Any]]:
    return [
        {"role": "user" if t % 2 == 0 else "assistant", "content": _turn_text(rng, words)}
        for t in range(turns)
    ]


def longmemeval_like(
    questions: int = 500,
    sessions_per_question: int = 50,
    turns_per_session: int = 10,
    words_per_turn: int = 170,
    pool: int = 8000,
) -> list[dict[str, Any]]:
    rng = random.Random(11)
    shared = [_lme_session(rng, turns_per_session, words_per_turn) for _ in range(pool)]
    types = ["single-session-user", "multi-session", "temporal-reasoning", "knowledge-update"]
    out = []
    start = datetime(2023, 1, 1, 8, 0)
    for q in range(questions):
        picks = rng.sample(range(pool), k=sessions_per_question - 1)
        ids = [f"pool_{i}" for i in picks]
        sessions = [shared[i] for i in picks]
        answer = _lme_session(rng, turns_per_session, words_per_turn)
        answer[0] = {**answer[0], "has_answer": True}
        spot = rng.randrange(len(ids) + 1)
        ids.insert(spot, f"answer_{q}")
        sessions.insert(spot, answer)
        dates = [
            (start + timedelta(days=3 * i, minutes=rng.randint(0, 900))).strftime(
                "%Y/%m/%d (%a) %H:%M"
            )
            for i in range(len(ids))
        ]
        qid = f"q{q:04d}" + ("_abs" if q % 17 == 0 else "")
        out.append(
            {
                "question_id": qid,
                "question_type": types[q % len(types)],
                "question": f"Where did I say I moved? ({q})",
                "answer": rng.choice(PLACES),
                "question_date": (start + timedelta(days=3 * len(ids))).strftime(
                    "%Y/%m/%d (%a) %H:%M"
                ),
                "haystack_session_ids": ids,
                "haystack_dates": dates,
                "haystack_sessions": sessions,
                "answer_session_ids": [f"answer_{q}"],
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["locomo", "longmemeval"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--questions", type=int, default=500)
    args = parser.parse_args()
    data = locomo_like() if args.kind == "locomo" else longmemeval_like(questions=args.questions)
    args.out.write_text(json.dumps(data), encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
