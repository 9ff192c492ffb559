"""The report's per-case drill-down: which cases to show, and each one's conversation and ops.

Cases are ranked in DuckDB (failing in the most runs first) and only the first ``max_cases`` are
loaded, so a run of a thousand cases gives a report of reasonable size. A case counts as failing
in a run when a repeat ended in an error or a session was not exact (a gold op unmatched or a
prediction counted as false). The conversation is not part of the run record: it is read from the
run's dataset file, and a case whose content changed since the run says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from harness.data._lines import iter_records, record_hash
from harness.errors import DatasetError
from harness.memory.schemas import memory_text
from harness.reports._report_data import RunSummary

CaseMode = Literal["failing", "all", "none"]

MAX_MESSAGE_CHARS = 4000
"""A longer message is cut, with a note saying how much was left out."""
MAX_MESSAGES = 200
"""Messages shown per session (imported long conversations can hold thousands)."""


@dataclass(frozen=True)
class OpView:
    """One op as the drill-down shows it (``key`` is its gold ref/id or predicted memory id)."""

    side: str
    op: str
    index: int
    key: str | None
    content: str | None
    outcome: str
    counted: bool
    optional: bool
    similarity: float | None
    key_terms: str | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.outcome in ("matched", "optional_matched", "optional_unmatched", "unlabeled")


@dataclass(frozen=True)
class OpPair:
    """A row of the side-by-side table: a gold op, the prediction it was linked with, or both."""

    gold: OpView | None
    predicted: OpView | None

    @property
    def main(self) -> OpView:
        return self.gold or self.predicted  # type: ignore[return-value]


@dataclass
class RunCase:
    """One run's result on a case (one repeat)."""

    run_key: str
    run_label: str
    repeat: int
    status: str
    failing: bool
    error: str | None = None
    sessions: dict[int, list[OpPair]] = field(default_factory=dict)
    final_missing: list[str] = field(default_factory=list)
    final_extra: list[str] = field(default_factory=list)

    def session_verdict(self, session: int) -> str:
        """``error`` (the case failed to run), ``fail`` (an op went wrong) or ``pass``."""
        if self.error is not None:
            return "error"
        pairs = self.sessions.get(session, [])
        return "pass" if all(pair.main.ok for pair in pairs) else "fail"

    def problems(self) -> str:
        """A one-line tally of what went wrong: ``missed 2, spurious 1``."""
        if self.error is not None:
            return "error"
        tally: dict[str, int] = {}
        for pairs in self.sessions.values():
            for pair in pairs:
                if not pair.main.ok:
                    tally[pair.main.outcome] = tally.get(pair.main.outcome, 0) + 1
        return ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in sorted(tally.items()))


@dataclass(frozen=True)
class MessageView:
    id: str
    role: str
    content: str


@dataclass
class CaseView:
    case_id: str
    tags: list[str]
    verdicts: dict[str, str]  # run key -> pass | fail | error | absent
    existing: list[tuple[str, str]] = field(default_factory=list)
    sessions: list[list[MessageView]] = field(default_factory=list)
    runs: list[RunCase] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def tallies(self) -> dict[str, str]:
        """Run key -> what went wrong in it (first repeat shown), for the summary tooltips."""
        out: dict[str, str] = {}
        for run in self.runs:
            out.setdefault(run.run_key, run.problems())
        return out

    @property
    def n_sessions(self) -> int:
        return max([len(self.sessions), *(max(r.sessions, default=-1) + 1 for r in self.runs)])


@dataclass
class Drilldown:
    mode: CaseMode
    cases: list[CaseView]
    candidates: int  # cases that qualified before the cap
    max_cases: int


_SESSIONS_TYPE = (
    '{"sessions": "INTEGER", "exact_sessions": "INTEGER", "labeled_sessions": "INTEGER"}'
)
_CASE_ROWS = f"(SELECT *, json_transform(counts, '{_SESSIONS_TYPE}') AS s FROM case_results)"
"""Case rows with their session counts parsed once (``s.sessions``, ``s.exact_sessions``)."""
_FAILING = (
    "(status <> 'ok' OR coalesce(s.exact_sessions, 0) "
    "< coalesce(s.labeled_sessions, s.sessions, 0))"
)

_RANK_SQL = f"""
WITH c AS (
    SELECT case_id, run_id, {_FAILING} AS failing FROM {_CASE_ROWS} WHERE run_id IN ({{ids}})
)
SELECT case_id, count(DISTINCT run_id) FILTER (WHERE failing)::INTEGER AS failing_runs
FROM c GROUP BY case_id
HAVING ? OR count(*) FILTER (WHERE failing) > 0
ORDER BY failing_runs DESC, case_id
"""

_CASES_SQL = f"""
SELECT run_id, case_id, repeat, status, error_type, error, tags, case_hash, {_FAILING} AS failing
FROM {_CASE_ROWS} WHERE run_id IN ({{ids}}) AND case_id IN ({{cases}})
ORDER BY case_id, run_id, repeat
"""

_OPS_SQL = """
SELECT run_id, case_id, repeat, session_index, side, op_index, op, memory_id, ref, content,
       optional, outcome, counted, partner_index, similarity, key_terms, reason
FROM ops WHERE run_id IN ({ids}) AND case_id IN ({cases})
ORDER BY case_id, run_id, repeat, session_index, side, op_index
"""

_FINAL_SQL = """
SELECT run_id, case_id, repeat, side, content FROM final_state
WHERE run_id IN ({ids}) AND case_id IN ({cases}) AND outcome IN ('missed', 'spurious')
ORDER BY case_id, run_id, repeat, side, memory_id
"""


def load_drilldown(
    store: Any, runs: Sequence[RunSummary], *, mode: CaseMode = "failing", max_cases: int = 100
) -> Drilldown:
    """The cases to show (ranked in SQL, capped) with their ops, final-state misses and text."""
    ids = [run.run_id for run in runs]
    if mode == "none" or max_cases <= 0:
        return Drilldown(mode, [], 0, max_cases)
    ranked = _rows_with(store, _RANK_SQL, ids, [], extra=[mode == "all"])
    chosen = [row["case_id"] for row in ranked[:max_cases]]
    if not chosen:
        return Drilldown(mode, [], 0, max_cases)
    keys = {run.run_id: run for run in runs}
    case_rows = _rows_with(store, _CASES_SQL, ids, chosen)
    cases = _case_views(case_rows, keys, mode)
    _attach_ops(cases, _rows_with(store, _OPS_SQL, ids, chosen), keys)
    _attach_final(cases, _rows_with(store, _FINAL_SQL, ids, chosen), keys)
    _attach_text(cases, case_rows, keys)
    return Drilldown(mode, [cases[c] for c in chosen if c in cases], len(ranked), max_cases)


def _rows_with(
    store: Any, sql: str, ids: Sequence[str], cases: Sequence[str], extra: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    """``_rows`` with a second list parameter ``{cases}`` (ids first, then cases, then extra)."""
    if "{cases}" not in sql:
        marks = ", ".join("?" * len(ids))
        return store.query(sql.replace("{ids}", marks), [*ids, *extra])
    sql = sql.replace("{cases}", ", ".join("?" * len(cases)))
    marks = ", ".join("?" * len(ids))
    return store.query(sql.replace("{ids}", marks), [*ids, *cases, *extra])


def _case_views(
    rows: Iterable[dict[str, Any]], runs: dict[str, RunSummary], mode: CaseMode
) -> dict[str, CaseView]:
    cases: dict[str, CaseView] = {}
    for row in rows:
        run = runs[row["run_id"]]
        view = cases.setdefault(
            row["case_id"],
            CaseView(row["case_id"], list(row["tags"]), dict.fromkeys(_keys(runs), "absent")),
        )
        failing = bool(row["failing"])
        verdict = "error" if row["status"] != "ok" else ("fail" if failing else "pass")
        if view.verdicts[run.key] in ("absent", "pass") or verdict == "error":
            view.verdicts[run.key] = verdict
        if failing or mode == "all":
            error = f"{row['error_type']}: {row['error']}" if row["status"] != "ok" else None
            view.runs.append(
                RunCase(run.key, run.label, row["repeat"], row["status"], failing, error)
            )
    return cases


def _keys(runs: dict[str, RunSummary]) -> list[str]:
    return [run.key for run in runs.values()]


def _find_run_case(view: CaseView, key: str, repeat: int) -> RunCase | None:
    return next((r for r in view.runs if r.run_key == key and r.repeat == repeat), None)


def _attach_ops(
    cases: dict[str, CaseView], rows: Iterable[dict[str, Any]], runs: dict[str, RunSummary]
) -> None:
    grouped: dict[tuple[str, str, int, int], dict[str, list[dict[str, Any]]]] = {}
    for row in rows:
        group = (row["case_id"], row["run_id"], row["repeat"], row["session_index"])
        grouped.setdefault(group, {"gold": [], "predicted": []})[row["side"]].append(row)
    for (case_id, run_id, repeat, session), sides in grouped.items():
        run_case = _find_run_case(cases[case_id], runs[run_id].key, repeat)
        if run_case is not None:
            run_case.sessions[session] = pair_ops(sides["gold"], sides["predicted"])


def pair_ops(gold: Sequence[dict[str, Any]], predicted: Sequence[dict[str, Any]]) -> list[OpPair]:
    """Gold ops in order, each beside the prediction it was linked with; then the unlinked rest."""
    by_index = {row["op_index"]: _op_view(row) for row in predicted}
    used: set[int] = set()
    pairs = []
    for row in gold:
        partner = row["partner_index"]
        linked = by_index.get(partner) if partner is not None else None
        if linked is not None:
            used.add(partner)
        pairs.append(OpPair(_op_view(row), linked))
    pairs.extend(OpPair(None, view) for index, view in by_index.items() if index not in used)
    return pairs


def _op_view(row: dict[str, Any]) -> OpView:
    gold = row["side"] == "gold"
    return OpView(
        side=row["side"],
        op=row["op"],
        index=row["op_index"],
        key=row["ref"] if gold else row["memory_id"],
        content=row["content"],
        outcome=row["outcome"],
        counted=bool(row["counted"]),
        optional=bool(row["optional"]),
        similarity=row["similarity"],
        key_terms=row["key_terms"],
        reason=row["reason"],
    )


def _attach_final(
    cases: dict[str, CaseView], rows: Iterable[dict[str, Any]], runs: dict[str, RunSummary]
) -> None:
    for row in rows:
        run_case = _find_run_case(cases[row["case_id"]], runs[row["run_id"]].key, row["repeat"])
        if run_case is None:
            continue
        target = run_case.final_missing if row["side"] == "gold" else run_case.final_extra
        target.append(row["content"])


def _attach_text(
    cases: dict[str, CaseView], rows: Iterable[dict[str, Any]], runs: dict[str, RunSummary]
) -> None:
    """Conversation and existing memories from the dataset file of the first run holding each."""
    wanted: dict[str, dict[str, str]] = {}  # dataset path -> case id -> recorded hash
    source: dict[str, tuple[str, str]] = {}  # case id -> (path, run label)
    for row in rows:
        if row["case_id"] in source:
            continue
        run = runs[row["run_id"]]
        path = run.record.dataset_path
        source[row["case_id"]] = (path, run.key)
        wanted.setdefault(path, {})[row["case_id"]] = row["case_hash"]
    for path, hashes in wanted.items():
        found, problem = read_cases(Path(path), set(hashes))
        for case_id, expected_hash in hashes.items():
            view = cases[case_id]
            raw = found.get(case_id)
            if raw is None:
                view.notes.append(problem or f"case not found in the dataset file {path}")
                continue
            value, digest = raw
            if expected_hash and digest != expected_hash:
                view.notes.append(
                    f"the case changed in {path} since run {source[case_id][1]}: "
                    "the conversation shown is the current one"
                )
            fill_text(view, value)


def read_cases(path: Path, ids: set[str]) -> tuple[dict[str, tuple[dict, str]], str | None]:
    """The raw records of ``ids`` in a case file with their content hashes (bad lines skipped)."""
    found: dict[str, tuple[dict, str]] = {}
    try:
        for record in iter_records(path):
            value = record.value
            if isinstance(value, dict) and value.get("id") in ids and value["id"] not in found:
                found[value["id"]] = (value, record_hash(value))
    except DatasetError as error:
        return found, f"conversation unavailable: {error}"
    return found, None


def fill_text(view: CaseView, value: dict[str, Any]) -> None:
    """Existing memories and session messages of a raw case record, long text cut."""
    for memory in value.get("existing") or []:
        if isinstance(memory, dict):
            view.existing.append((str(memory.get("id")), clip(memory_text(memory.get("content")))))
    for session in value.get("sessions") or []:
        messages = session.get("messages") or [] if isinstance(session, dict) else []
        shown = [
            MessageView(str(m.get("id", "")), str(m.get("role", "")), clip(str(m.get("content"))))
            for m in messages[:MAX_MESSAGES]
            if isinstance(m, dict)
        ]
        if len(messages) > MAX_MESSAGES:
            left = len(messages) - MAX_MESSAGES
            shown.append(MessageView("", "note", f"... {left} more messages not shown"))
        view.sessions.append(shown)


def clip(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]} ... ({len(text) - limit} more characters)"
