"""A run as comparisons see it: who it is, and its per-case additive columns.

Repeats of a case are summed into one row (the case stays the unit of resampling), exactly as
the run's own aggregates are computed, so a metric recomputed here over all of a run's cases
equals the one ``harness run`` stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any, ClassVar

from pydantic import Field

from harness.errors import ConfigurationError
from harness.results.records import CaseRecord, RunRecord
from harness.results.summary import per_case_rows
from harness.scoring.catalogue import retrieval_columns
from harness.scoring.metrics import COUNT_COLUMNS, LABELED_COLUMNS

USAGE_COLUMNS: tuple[str, ...] = ("input_tokens", "output_tokens", "cost_usd", "latency_s")


@dataclass(frozen=True)
class RunInfo:
    """What the reports know about a stored run: a plain, JSON-ready subset of the run row.

    The one definition for comparisons, the gate and baseline files (a baseline file's ``run``
    is this, validated by pydantic; ``parameters`` is not written to it).
    """

    run_id: str
    name: str | None
    status: str
    model: str
    template_name: str
    template_hash: str
    dataset_name: str
    dataset_hash: str
    state_mode: str
    matcher: str
    n_cases: int
    repeats: int
    started_at: str | None = None
    answer_model: str | None = None
    judge_model: str | None = None
    harness_version: str | None = None
    git_revision: str | None = None
    parameters: Annotated[Mapping[str, Any], Field(exclude=True)] = field(
        default_factory=dict, hash=False, compare=False
    )
    """The run's whole stored configuration (not in :meth:`as_dict` nor in a baseline file:
    headers show only the options in which compared runs differ, see
    :mod:`~harness.reports._differences`)."""

    PROVENANCE: ClassVar[tuple[str, ...]] = ("harness_version", "git_revision")
    """Where the run came from: kept in baseline files, not shown in comparisons."""

    @classmethod
    def from_record(cls, run: RunRecord) -> RunInfo:
        return cls(
            run_id=run.run_id,
            name=run.name,
            status=run.status,
            model=run.model,
            template_name=run.template_name,
            template_hash=run.template_hash,
            dataset_name=run.dataset_name,
            dataset_hash=run.dataset_hash,
            state_mode=run.state_mode,
            matcher=run.matcher,
            n_cases=run.n_cases,
            repeats=run.repeats,
            started_at=run.started_at.isoformat(timespec="seconds") if run.started_at else None,
            answer_model=(run.parameters or {}).get("answer_model"),
            judge_model=(run.parameters or {}).get("judge_model"),
            harness_version=run.harness_version,
            git_revision=run.git_revision,
            parameters=dict(run.parameters or {}),
        )

    @property
    def label(self) -> str:
        """``name`` if the run has one, else ``model / template``."""
        return self.name or f"{self.model} / {self.template_name}"

    def as_dict(self) -> dict[str, Any]:
        """The identity comparisons and the gate report (no parameters, no provenance)."""
        data = asdict(self)
        for name in ("parameters", *self.PROVENANCE):
            data.pop(name)
        return data


@dataclass(frozen=True)
class CaseData:
    """Per-case rows of one run: additive metric columns, content hashes, tags and usage."""

    run: RunInfo
    rows: dict[str, dict[str, float]]
    hashes: dict[str, str] = field(default_factory=dict)
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    usage: dict[str, dict[str, float | None]] = field(default_factory=dict)
    """Per case: its tokens, cost and latency summed over repeats (None: unknown or unpriced)."""

    def subset(self, case_ids: Iterable[str]) -> CaseData:
        ids = [case_id for case_id in case_ids if case_id in self.rows]
        return CaseData(
            run=self.run,
            rows={i: self.rows[i] for i in ids},
            hashes={i: self.hashes[i] for i in ids if i in self.hashes},
            tags={i: self.tags[i] for i in ids if i in self.tags},
            usage={i: self.usage[i] for i in ids if i in self.usage},
        )


def column_template() -> dict[str, float]:
    """Every additive column a row may hold, at zero."""
    names = [*COUNT_COLUMNS, *retrieval_columns(), "case_repeats", "case_errors"]
    return dict.fromkeys(names, 0.0)


def known_columns() -> set[str]:
    """Every column a row may hold: the template's and the labeled-session counts, which are
    not padded with zeros (rows recorded before them fall back to the plain counts)."""
    return {*column_template(), *LABELED_COLUMNS}


def empty_usage() -> dict[str, float | None]:
    """Usage sums before any part: 0 tokens and seconds, no cost (None: nothing priced)."""
    return {column: None if column == "cost_usd" else 0.0 for column in USAGE_COLUMNS}


def add_usage(column: str, total: float | None, value: float | None) -> float | None:
    """``total + value`` for a usage column: an unknown token count (None) makes the sum
    unknown; a cost sums the priced parts and stays None while none is (as the run totals)."""
    if column == "cost_usd":
        return total if value is None else value if total is None else total + value
    return None if total is None or value is None else total + value


def dense(row: Mapping[str, float], template: Mapping[str, float]) -> dict[str, float]:
    """``row`` with every column of ``template`` present (absent ones are 0)."""
    return {**template, **{k: float(v) for k, v in row.items()}}


def case_data(run: RunRecord, records: Sequence[CaseRecord]) -> CaseData:
    """Build a run's :class:`CaseData` from its case rows (pure)."""
    template = column_template()
    rows = {case_id: dense(row, template) for case_id, row in per_case_rows(records).items()}
    hashes: dict[str, str] = {}
    tags: dict[str, tuple[str, ...]] = {}
    usage: dict[str, dict[str, float | None]] = {}
    for record in records:
        hashes[record.case_id] = record.case_hash
        tags[record.case_id] = tuple(record.tags)
        sums = usage.setdefault(record.case_id, empty_usage())
        for column in USAGE_COLUMNS:
            sums[column] = add_usage(column, sums[column], getattr(record, column))
    return CaseData(RunInfo.from_record(run), rows, hashes, tags, usage)


def load_case_data(store: Any, run: RunRecord) -> CaseData:
    """The per-case rows of ``run`` as recorded in the results database ``store``."""
    return case_data(run, store.case_results(run.run_id))


@dataclass(frozen=True)
class Overlap:
    """The cases several runs share, and what was left out and why."""

    case_ids: list[str]
    changed: list[str]  # same id, different content in some run
    only: dict[str, list[str]]  # run id -> ids missing from some other run

    @property
    def partial(self) -> bool:
        return bool(self.changed or any(self.only.values()))

    def describe(self, labels: Mapping[str, str]) -> str:
        """One sentence saying what was compared and what was left out."""
        parts = []
        for run_id, missing in self.only.items():
            if missing:
                parts.append(f"{len(missing)} only in {labels.get(run_id, run_id)}")
        if self.changed:
            shown = ", ".join(self.changed[:3]) + ("..." if len(self.changed) > 3 else "")
            parts.append(f"{len(self.changed)} whose content differs between runs ({shown})")
        left_out = "; left out: " + "; ".join(parts) if parts else ""
        return f"compared on the {len(self.case_ids)} cases common to all runs{left_out}"


def overlap(datas: Sequence[CaseData]) -> Overlap:
    """Cases present in every run with the same content hash (a changed case is not the same)."""
    if not datas:
        return Overlap([], [], {})
    common = set(datas[0].rows)
    for data in datas[1:]:
        common &= set(data.rows)
    changed = sorted(
        case_id
        for case_id in common
        if len({data.hashes.get(case_id) for data in datas if data.hashes.get(case_id)}) > 1
    )
    same = common - set(changed)
    only = {data.run.run_id: sorted(set(data.rows) - common) for data in datas}
    return Overlap(sorted(same), changed, only)


def resolve_runs(
    store: Any,
    refs: Sequence[str],
    *,
    latest: bool = False,
    dataset: str | None = None,
    model: str | None = None,
    prompt: str | None = None,
) -> list[RunRecord]:
    """Runs named by id or name, then (``latest``) the newest finished run per model/template.

    ``dataset``/``model``/``prompt`` filter the ``latest`` choice (a dataset matches by name or
    path). Duplicates are dropped; the order is that of ``refs``, then model and template.
    """
    chosen: dict[str, RunRecord] = {}
    for ref in refs:
        run = store.find_run(ref)
        chosen.setdefault(run.run_id, run)
    if latest:
        newest: dict[tuple[str, str, str, str], RunRecord] = {}
        for run in store.list_runs(status="finished"):
            if dataset and dataset not in (run.dataset_name, run.dataset_path):
                continue
            if (model and run.model != model) or (prompt and run.template_name != prompt):
                continue
            newest[(run.dataset_name, run.model, run.template_name, run.state_mode)] = run
        if not newest:
            wanted = ", ".join(
                f"{k} {v}" for k, v in (("dataset", dataset), ("model", model), ("prompt", prompt))
                if v
            )  # fmt: skip
            raise ConfigurationError(
                f"{store.where}: no finished run{' with ' + wanted if wanted else ''}"
            )
        for key in sorted(newest):
            chosen.setdefault(newest[key].run_id, newest[key])
    if not chosen:
        raise ConfigurationError("name the runs to compare (ids or names), or pass --latest")
    return list(chosen.values())
