"""LoCoMo (``locomo10.json``) -> cases: one case per conversation.

Accepted shapes: a list of conversations or a single one; each with its ``session_N`` lists and
``session_N_date_time`` either at the top level or under ``conversation`` (as released), and its
``events_session_N`` at the top level or under ``event_summary``.

- Sessions are replayed in number order. Both speakers are people, so every turn becomes a
  ``user`` message with the speaker in ``name``; the message id is the turn's ``dia_id``; an image
  turn gets its caption appended (``[shares an image: ...]``).
- ``session_N_date_time`` becomes the session ``date`` (ISO 8601; left out when it does not parse)
  and stays verbatim in the session metadata.
- ``events_session_N`` become insert labels. They are not exhaustive, so every session is
  ``partial``: the events count for recall, unmatched predictions are not penalised.
- ``qa`` items become queries with ``relevant_messages`` = the evidence ``dia_id``s, ``answer``
  and ``category`` kept, ``adversarial_answer`` in the query metadata. Evidence ids that name no
  turn are dropped (with a warning); a question left without evidence is skipped.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from harness.data.importers._common import ImportResult, as_records, read_json, unique_id
from harness.data.models import Case, GoldOp, Message, Query, Session
from harness.errors import DatasetError

_SESSION = re.compile(r"^session_(\d+)$")
_DATE_FORMATS = ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y")


def import_locomo(source: str | Path) -> ImportResult:
    """Convert a LoCoMo JSON file into cases (validated when written by ``write_cases``)."""
    path = Path(source)
    result = ImportResult(cases=[])
    taken: set[str] = set()
    for index, record in enumerate(as_records(read_json(path), path, "LoCoMo conversation")):
        where = f"{path}: item {index}"
        sample = str(record.get("sample_id", index))
        case_id = unique_id(f"locomo-{sample}", taken)
        result.cases.append(_case(record, case_id, where, result.warnings))
    return result


def _case(record: dict[str, Any], case_id: str, where: str, warnings: list[str]) -> Case:
    conversation = record.get("conversation", record)
    events = record.get("event_summary", record)
    if not isinstance(conversation, dict) or not isinstance(events, dict):
        raise DatasetError(f"{where}: 'conversation' and 'event_summary' must be objects")
    numbers = sorted(
        int(match.group(1))
        for key, value in conversation.items()
        if (match := _SESSION.match(key)) and isinstance(value, list) and value
    )
    if not numbers:
        raise DatasetError(f"{where}: no non-empty 'session_N' lists")
    message_ids: set[str] = set()
    sessions = [
        _session(conversation, events, number, message_ids, warnings, where) for number in numbers
    ]
    queries = _queries(record.get("qa", []), message_ids, case_id, warnings)
    metadata = {
        "source": "locomo",
        "sample_id": record.get("sample_id"),
        "speaker_a": conversation.get("speaker_a"),
        "speaker_b": conversation.get("speaker_b"),
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
    events: dict[str, Any],
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
        messages.append(
            Message(
                id=message_id,
                role="user",
                content=text,
                name=str(speaker) if speaker else None,
            )
        )
    raw_date = conversation.get(f"session_{number}_date_time")
    return Session(
        id=f"session_{number}",
        messages=messages,
        expected=_event_ops(events.get(f"events_session_{number}"), number),
        partial=True,
        date=_iso_date(raw_date),
        metadata={"session": number, **({"date_time": raw_date} if raw_date else {})},
    )


def _event_ops(events: Any, number: int) -> list[GoldOp]:
    if not isinstance(events, dict):
        return []
    ops = []
    for speaker, items in events.items():
        if speaker == "date" or not isinstance(items, list):
            continue
        for item in items:
            if isinstance(item, str) and item.strip():
                ref = f"s{number}-e{len(ops) + 1}"
                ops.append(GoldOp(op="insert", ref=ref, content=item.strip()))
    return ops


def _queries(qa: Any, message_ids: set[str], case_id: str, warnings: list[str]) -> list[Query]:
    queries = []
    for index, item in enumerate(qa if isinstance(qa, list) else []):
        if not isinstance(item, dict) or not item.get("question"):
            warnings.append(f"{case_id} qa[{index}]: no question; skipped")
            continue
        evidence, unknown = _evidence(item.get("evidence", []), message_ids)
        if unknown:
            warnings.append(f"{case_id} qa[{index}]: evidence {', '.join(unknown)} names no turn")
        if not evidence:
            warnings.append(f"{case_id} qa[{index}]: no usable evidence; question skipped")
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


def _evidence(raw: Any, message_ids: set[str]) -> tuple[list[str], list[str]]:
    """Known and unknown evidence ids; some releases pack several ids into one string."""
    items = raw if isinstance(raw, list) else [raw]
    found: list[str] = []
    unknown: list[str] = []
    for item in items:
        for part in re.split(r"[;,\s]+", str(item)):
            if not part:
                continue
            bucket = found if part in message_ids else unknown
            if part not in bucket:
                bucket.append(part)
    return found, unknown


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
