"""LoCoMo (snap-research/locomo) -> cases: one case per conversation.

Accepted inputs (:func:`import_locomo` takes one or several):

- the combined ``locomo10.json``: a list of conversations, each
  ``{"sample_id": "conv-26", "conversation": {...}, "observation": {...},
  "session_summary": {...}, "event_summary": {...}, "qa": [...]}``;
- one per-conversation file as in the release zip (``locomo10_v2/26.json``): the same keys flat
  at the top level (``speaker_a``, ``session_1``, ``session_1_date_time``,
  ``session_1_observation``, ``session_1_summary``, ``events_session_1``, ``qa``) and no
  ``sample_id``;
- a folder of such files, or the zip itself (every ``*.json`` inside, in name order).

Shapes inside a conversation: ``session_N`` is a list of turns
``{"speaker": "Caroline", "dia_id": "D1:3", "text": "...", "img_url": [...],
"blip_caption": "..."}``; ``session_N_date_time`` is like ``"1:56 pm on 8 May, 2023"``;
``session_N_observation`` maps a speaker to ``[[fact, evidence], ...]`` where evidence is a
dia_id, several in one string (``"D4:17, D4:19"``) or a list; ``events_session_N`` maps a speaker
to a list of event strings (plus ``"date"``); ``session_N_summary`` is text; a ``qa`` item is
``{"question", "answer" | "adversarial_answer", "evidence": [dia_id, ...], "category": 1-5}``.

Conversion:

- Case ids come from the source: ``locomo-<sample_id>``, else ``locomo-<file stem>`` (a list
  without sample ids: ``locomo-<stem>-<index>``). The same id from two records is refused,
  naming both.
- Sessions in number order. Both speakers are people, so every turn becomes a ``user`` message
  with the speaker in ``name``; the message id is the ``dia_id``; an image turn gets its caption
  appended (``[shares an image: ...]``). ``session_N_date_time`` becomes the session ``date``
  (ISO 8601; left out when it does not parse) and stays verbatim in the session metadata.
- Observations become insert labels whose ``source`` is their evidence dia_ids, so a gold memory
  knows the turns it comes from. Events stay in the session metadata; only a conversation with no
  observations at all uses its events as labels (without sources). Labels are not exhaustive, so
  every session is ``partial``. Session summaries go to the case metadata.
- ``qa`` items become queries with ``relevant_messages`` = the evidence dia_ids, ``answer`` and
  ``category`` (the number as text) kept, ``adversarial_answer`` in the metadata.
- Evidence ids in the known typo forms (``D30:05``, ``D:11:26``) are normalised, with a warning
  saying so; ids that still name no turn are dropped with a warning, and a question left without
  evidence is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from harness.data.importers._common import ImportResult, unique_id
from harness.data.importers._sources import SourceRecord, read_sources
from harness.data.models import Case, GoldOp, Message, Query, Session
from harness.errors import DatasetError

_SESSION = re.compile(r"^session_(\d+)$")
_TYPO = re.compile(r"^D:?0*(\d+):0*(\d+)$")
_DATE_FORMATS = ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y")


def import_locomo(source: str | Path | Sequence[str | Path]) -> ImportResult:
    """Convert LoCoMo files, folders or zips into cases (validated by ``write_cases``)."""
    sources = [source] if isinstance(source, str | Path) else list(source)
    result = ImportResult(cases=[])
    origins: dict[str, str] = {}
    for each in sources:
        for item in read_sources(each, "LoCoMo conversation"):
            case_id = _case_id(item)
            if case_id in origins:
                raise DatasetError(
                    f"{item.where}: case id '{case_id}' also comes from {origins[case_id]}; "
                    "import each conversation once"
                )
            origins[case_id] = item.where
            result.cases.append(_case(item.record, case_id, item.where, result.warnings))
    return result


def _case_id(item: SourceRecord) -> str:
    sample = item.record.get("sample_id")
    if sample is not None and str(sample).strip():
        return f"locomo-{str(sample).strip()}"
    return f"locomo-{item.stem}" if item.single else f"locomo-{item.stem}-{item.index}"


def _part(record: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    part = record.get(key, record)
    if not isinstance(part, dict):
        raise DatasetError(f"{where}: '{key}' must be an object")
    return part


def _case(record: dict[str, Any], case_id: str, where: str, warnings: list[str]) -> Case:
    conversation = _part(record, "conversation", where)
    parts = {key: _part(record, key, where) for key in ("event_summary", "observation")}
    numbers = sorted(
        int(match.group(1))
        for key, value in conversation.items()
        if (match := _SESSION.match(key)) and isinstance(value, list) and value
    )
    if not numbers:
        raise DatasetError(f"{where}: no non-empty 'session_N' lists")
    use_events = not any(parts["observation"].get(f"session_{n}_observation") for n in numbers)
    message_ids: set[str] = set()
    sessions = []
    for number in numbers:
        session = _session(conversation, number, message_ids, warnings, where)
        events = parts["event_summary"].get(f"events_session_{number}")
        if use_events:
            session.expected = _event_ops(events, number)
        else:
            session.expected = _observation_ops(parts, number, message_ids, warnings, where)
            if isinstance(events, dict) and any(v for k, v in events.items() if k != "date"):
                session.metadata["events"] = {k: v for k, v in events.items() if k != "date"}
        sessions.append(session)
    queries = _queries(record.get("qa", []), message_ids, case_id, warnings)
    summaries = _part(record, "session_summary", where)
    metadata = {
        "source": "locomo",
        "sample_id": record.get("sample_id"),
        "speaker_a": conversation.get("speaker_a"),
        "speaker_b": conversation.get("speaker_b"),
        "session_summaries": {
            f"session_{n}": str(text)
            for n in numbers
            if (text := summaries.get(f"session_{n}_summary"))
        }
        or None,
    }
    return Case(
        id=case_id,
        tags=["locomo"],
        sessions=sessions,
        queries=queries,
        metadata={k: v for k, v in metadata.items() if v is not None},
    )


def _session(
    conversation: dict[str, Any],
    number: int,
    message_ids: set[str],
    warnings: list[str],
    item: str,
) -> Session:
    messages = []
    for turn_index, turn in enumerate(conversation[f"session_{number}"]):
        where = f"{item} session_{number}[{turn_index}]"
        if not isinstance(turn, dict) or "text" not in turn:
            raise DatasetError(f"{where}: a turn needs 'speaker', 'dia_id' and 'text'")
        wanted = str(turn.get("dia_id") or f"D{number}:{turn_index + 1}")
        message_id = unique_id(wanted, message_ids)
        if message_id != wanted:
            warnings.append(f"{where}: dia_id {wanted} repeats; this turn is {message_id}")
        text = str(turn["text"])
        if turn.get("blip_caption"):
            text = f"{text} [shares an image: {turn['blip_caption']}]"
        speaker = turn.get("speaker")
        name = str(speaker) if speaker else None
        messages.append(Message(id=message_id, role="user", content=text, name=name))
    raw_date = conversation.get(f"session_{number}_date_time")
    return Session(
        id=f"session_{number}",
        messages=messages,
        partial=True,
        date=_iso_date(raw_date),
        metadata={"session": number, **({"date_time": raw_date} if raw_date else {})},
    )


def _event_ops(events: Any, number: int) -> list[GoldOp]:
    if not isinstance(events, dict):
        return []
    ops: list[GoldOp] = []
    for speaker, items in events.items():
        if speaker == "date" or not isinstance(items, list):
            continue
        for item in items:
            if isinstance(item, str) and item.strip():
                ref = f"s{number}-e{len(ops) + 1}"
                ops.append(GoldOp(op="insert", ref=ref, content=item.strip()))
    return ops


def _observation_ops(
    parts: dict[str, dict[str, Any]],
    number: int,
    message_ids: set[str],
    warnings: list[str],
    item: str,
) -> list[GoldOp]:
    """Observations of one session as inserts sourced by their evidence (earlier turns only)."""
    observed = parts["observation"].get(f"session_{number}_observation")
    ops: list[GoldOp] = []
    for speaker, facts in (observed or {}).items():
        for index, fact in enumerate(facts if isinstance(facts, list) else []):
            where = f"{item} session_{number}_observation.{speaker}[{index}]"
            text, evidence = (fact[0], fact[1:]) if isinstance(fact, list) and fact else (fact, [])
            if not isinstance(text, str) or not text.strip():
                warnings.append(f"{where}: no fact text; skipped")
                continue
            found = resolve_evidence(evidence, message_ids, where, warnings)
            ref = f"s{number}-o{len(ops) + 1}"
            ops.append(GoldOp(op="insert", ref=ref, content=text.strip(), source=found))
    return ops


def resolve_evidence(raw: Any, known: set[str], where: str, warnings: list[str]) -> list[str]:
    """Known message ids named by ``raw``: one id, several in one string, or (nested) lists.

    An id in a known typo form (``D30:05``, ``D:11:26``) is read as its normal form when that
    names a turn, with a warning; ids that name no turn are dropped with a warning.
    """
    found: list[str] = []
    unknown: list[str] = []
    for part in _flatten(raw):
        if part in known:
            fixed = part
        elif (match := _TYPO.match(part)) and (f"D{match.group(1)}:{match.group(2)}" in known):
            fixed = f"D{match.group(1)}:{match.group(2)}"
            warnings.append(f"{where}: evidence {part} read as {fixed}")
        else:
            if part not in unknown:
                unknown.append(part)
            continue
        if fixed not in found:
            found.append(fixed)
    if unknown:
        warnings.append(f"{where}: evidence {', '.join(unknown)} names no turn")
    return found


def _flatten(raw: Any) -> list[str]:
    if isinstance(raw, list | tuple):
        return [part for item in raw for part in _flatten(item)]
    if raw is None:
        return []
    return [part for part in re.split(r"[;,\s]+", str(raw)) if part]


def _queries(qa: Any, message_ids: set[str], case_id: str, warnings: list[str]) -> list[Query]:
    queries = []
    for index, item in enumerate(qa if isinstance(qa, list) else []):
        where = f"{case_id} qa[{index}]"
        if not isinstance(item, dict) or not item.get("question"):
            warnings.append(f"{where}: no question; skipped")
            continue
        evidence = resolve_evidence(item.get("evidence", []), message_ids, where, warnings)
        if not evidence:
            warnings.append(f"{where}: no usable evidence; question skipped")
            continue
        category = item.get("category")
        metadata = {}
        if "adversarial_answer" in item:
            metadata["adversarial_answer"] = _text(item["adversarial_answer"])
        answer = item.get("answer")
        queries.append(
            Query(
                id=f"qa-{index}",
                query=str(item["question"]),
                relevant_messages=evidence,
                answer=None if answer is None else _text(answer),
                category=None if category is None else _text(category),
                metadata=metadata,
            )
        )
    return queries


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _iso_date(raw: Any) -> str | None:
    if not isinstance(raw, str) or not raw.strip():
        return None
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(raw.strip(), pattern).isoformat(timespec="minutes")
        except ValueError:
            continue
    return None  # the raw text stays in the session metadata
