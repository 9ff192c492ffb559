"""LongMemEval (``longmemeval_s/m/oracle.json``) -> cases: one case per question.

- The haystack sessions are replayed in date order (``haystack_dates``, e.g.
  ``2023/05/20 (Sat) 02:21``; ties keep the file order). Session ids are the haystack ids, message
  ids are ``<session_id>:<turn_index>`` (the turn's position in its original session).
- Sessions carry no memory labels, so all are ``partial``: nothing is counted as spurious.
- The question becomes one query. Its ``relevant_messages`` are the turns marked ``has_answer``
  (turn-level evidence) and its ``relevant_sessions`` the answer sessions
  (``answer_session_ids``, session-level evidence), kept apart as LongMemEval reports them; for
  the rank metrics an answer session with no marked turn stands for all its turns. ``answer``
  is kept, ``question_type`` becomes the query ``category``, ``*_abs`` questions are
  ``abstention``, ``question_date`` is kept as ISO 8601 (verbatim in the metadata with
  ``answer_session_ids``).
- A question with no evidence at all (abstention questions ``*_abs`` may have none) keeps its
  query for answer-level evaluation, unscored for retrieval; a warning says so.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from harness.data.importers._common import (
    ImportResult,
    as_records,
    read_json,
    require_keys,
    unique_id,
)
from harness.data.models import Case, Query, Session
from harness.errors import DatasetError

_KEYS = (
    "question_id",
    "question",
    "answer",
    "haystack_session_ids",
    "haystack_dates",
    "haystack_sessions",
)
_WEEKDAY = re.compile(r"\s*\([A-Za-z]{3}\)\s*")


def import_longmemeval(source: str | Path) -> ImportResult:
    """Convert a LongMemEval JSON file into cases (validated when written by ``write_cases``)."""
    path = Path(source)
    result = ImportResult(cases=[])
    taken: set[str] = set()
    for index, record in enumerate(as_records(read_json(path), path, "LongMemEval question")):
        where = f"{path}: item {index} ({record.get('question_id', '?')})"
        require_keys(record, _KEYS, where)
        case_id = unique_id(f"lme-{record['question_id']}", taken)
        result.cases.append(_case(record, case_id, where, result.warnings))
    return result


def _case(record: dict[str, Any], case_id: str, where: str, warnings: list[str]) -> Case:
    ids, dates, sessions = (
        record["haystack_session_ids"],
        record["haystack_dates"],
        record["haystack_sessions"],
    )
    if not (isinstance(ids, list) and isinstance(dates, list) and isinstance(sessions, list)):
        raise DatasetError(f"{where}: haystack_* fields must be lists")
    if not len(ids) == len(dates) == len(sessions):
        raise DatasetError(
            f"{where}: haystack_session_ids, haystack_dates and haystack_sessions differ in "
            f"length ({len(ids)}, {len(dates)}, {len(sessions)})"
        )
    parsed = [_parse_date(dates[i], f"{where} session {i}") for i in range(len(ids))]
    order = sorted(range(len(ids)), key=parsed.__getitem__)
    taken: set[str] = set()
    replayed: list[Session] = []
    marked: dict[str, list[str]] = {}
    for position in order:
        converted = _session(
            str(ids[position]), dates[position], parsed[position], sessions[position], taken, where
        )
        if converted is not None:
            replayed.append(converted[0])
            marked[converted[0].id or ""] = converted[1]
    if not replayed:
        raise DatasetError(f"{where}: no session has any turn")
    question_type = str(record.get("question_type") or "unknown")
    tags = ["longmemeval", question_type]
    if str(record["question_id"]).endswith("_abs"):
        tags.append("abstention")
    query = _query(record, replayed, marked, question_type)
    if not query.scored_for_retrieval:
        warnings.append(f"{case_id}: no evidence turns or sessions; answer-level only")
    return Case(
        id=case_id,
        tags=tags,
        sessions=replayed,
        queries=[query],
        metadata={"source": "longmemeval", "question_id": str(record["question_id"])},
    )


def _session(
    wanted_id: str, raw_date: Any, when: datetime, turns: Any, taken: set[str], where: str
) -> tuple[Session, list[str]] | None:
    """The session and the ids of its turns marked ``has_answer`` (``None`` when it is empty)."""
    if not isinstance(turns, list):
        raise DatasetError(f"{where}: session '{wanted_id}' is not a list of turns")
    session_id = unique_id(wanted_id, taken)
    messages: list[dict[str, Any]] = []
    marked = []
    for index, turn in enumerate(turns):
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant"):
            raise DatasetError(
                f"{where}: session '{wanted_id}' turn {index} needs role 'user' or 'assistant'"
            )
        message_id = f"{session_id}:{index}"
        content = str(turn.get("content", ""))
        # Plain dicts: the Session below validates them in pydantic's core, several times
        # faster than building each Message in Python (250,000 turns in LongMemEval-S).
        messages.append({"id": message_id, "role": turn["role"], "content": content})
        if turn.get("has_answer") is True:
            marked.append(message_id)
    if not messages:
        return None
    session = Session.model_validate(
        {
            "id": session_id,
            "messages": messages,
            "partial": True,
            "date": when.isoformat(timespec="minutes"),
            "metadata": {"date": raw_date},
        }
    )
    return session, marked


def _query(
    record: dict[str, Any],
    sessions: list[Session],
    marked: dict[str, list[str]],
    question_type: str,
) -> Query:
    answer_sessions = {str(s) for s in record.get("answer_session_ids") or []}
    evidence: list[str] = []
    evidence_sessions: list[str] = []
    for session in sessions:
        evidence.extend(marked.get(session.id or "", []))
        if session.id in answer_sessions:
            evidence_sessions.append(session.id)
    metadata: dict[str, Any] = {"answer_session_ids": sorted(answer_sessions)}
    raw_date = record.get("question_date")
    if raw_date is not None:
        metadata["question_date"] = raw_date
    return Query(
        id=str(record["question_id"]),
        query=str(record["question"]),
        relevant_messages=evidence,
        relevant_sessions=evidence_sessions,
        answer=str(record["answer"]),
        category=question_type,
        abstention=str(record["question_id"]).endswith("_abs"),
        question_date=None
        if raw_date is None
        else _parse_date(raw_date, "question_date").isoformat(timespec="minutes"),
        metadata=metadata,
    )


_RELEASED = re.compile(r"^(\d{4})/(\d{2})/(\d{2}) \([A-Za-z]{3}\) (\d{2}):(\d{2})$")


def _parse_date(raw: Any, where: str) -> datetime:
    """A haystack or question date; the released form ``2023/05/20 (Sat) 02:21`` is read
    directly (strptime costs seconds over a LongMemEval-S file), others by pattern."""
    if isinstance(raw, str) and (match := _RELEASED.match(raw)):
        try:
            year, month, day, hour, minute = (int(part) for part in match.groups())
            return datetime(year, month, day, hour, minute)
        except ValueError:
            pass
    text = _WEEKDAY.sub(" ", str(raw)).strip()
    for pattern in ("%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise DatasetError(
        f"{where}: cannot read the date {raw!r} (expected e.g. '2023/05/20 (Sat) 02:21')"
    )
