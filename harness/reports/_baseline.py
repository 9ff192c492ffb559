"""Baseline files: a finished run exported to JSON, to commit beside the code it judges.

A baseline holds the run's identity, its aggregate metrics and, per case, the content hash, tags
and the additive metric columns (zeros left out), so a CI gate can run *paired* tests against
it without the results database the baseline came from. Cases are written one per line, so a
re-exported baseline diffs well in review::

    {"format": "memory-harness-baseline", "version": 1, ...,
     "cases": [
        {"columns": {"sessions": 1, "update_tp": 1}, "hash": "...", "id": "c1", "tags": ["update"]},
        ...]}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness._files import write_file
from harness.errors import ConfigurationError
from harness.reports._casedata import (
    CaseData,
    RunInfo,
    column_template,
    dense,
    known_columns,
    load_case_data,
)
from harness.results.migrations import utc_now

FORMAT: Final = "memory-harness-baseline"
VERSION: Final = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BaselineMetric(_Strict):
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int = 0


class BaselineCase(_Strict):
    id: str = Field(min_length=1)
    hash: str
    tags: list[str] = Field(default_factory=list)
    columns: dict[str, float]


class BaselineFile(_Strict):
    format: Literal["memory-harness-baseline"]
    version: Literal[1]
    exported_at: str
    run: RunInfo
    metrics: dict[str, BaselineMetric] = Field(default_factory=dict)
    cases: list[BaselineCase]


def baseline_data(store: Any, ref: str) -> BaselineFile:
    """The baseline of run ``ref`` (id or name) of the results database ``store``."""
    run = store.find_run(ref)
    if run.status != "finished":
        raise ConfigurationError(
            f"run {run.run_id} is {run.status}: only a finished run can be a baseline "
            "(resume it with `harness run --resume`)"
        )
    data = load_case_data(store, run)
    cases = [
        BaselineCase(
            id=case_id,
            hash=data.hashes.get(case_id, ""),
            tags=list(data.tags.get(case_id, ())),
            columns={k: v for k, v in sorted(row.items()) if v},
        )
        for case_id, row in sorted(data.rows.items())
    ]
    metrics = {
        name: BaselineMetric(value=m.value, ci_low=m.ci_low, ci_high=m.ci_high, n=m.n)
        for name, m in store.run_metrics(run.run_id).items()
    }
    return BaselineFile(
        format=FORMAT,
        version=VERSION,
        exported_at=utc_now().isoformat(timespec="seconds") + "Z",
        run=data.run,
        metrics=metrics,
        cases=cases,
    )


def dumps(baseline: BaselineFile) -> str:
    """JSON text with one case per line (stable key order)."""
    head = baseline.model_dump(mode="json", exclude={"cases", "metrics"})
    text = json.dumps(head, indent=2, ensure_ascii=False, sort_keys=True)
    metrics = [
        f"    {json.dumps(name)}: " + _line(metric.model_dump(mode="json"))
        for name, metric in sorted(baseline.metrics.items())
    ]
    cases = ["    " + _line(case.model_dump(mode="json")) for case in baseline.cases]
    return (
        text[: text.rstrip().rfind("}")].rstrip()
        + ',\n  "metrics": '
        + _block(metrics, "{", "}")
        + ',\n  "cases": '
        + _block(cases, "[", "]")
        + "\n}\n"
    )


def _line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _block(lines: list[str], start: str, end: str) -> str:
    return start + "\n" + ",\n".join(lines) + "\n  " + end if lines else start + end


def write_baseline(baseline: BaselineFile, path: str | Path) -> Path:
    return write_file(path, dumps(baseline), "baseline file")


def _validation_problems(path: Path, error: ValidationError) -> str:
    lines = []
    for problem in error.errors()[:10]:
        loc = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        lines.append(f"  {path}: {loc}: {problem['msg']}")
    more = len(error.errors()) - 10
    return "\n".join(lines) + (f"\n  ... and {more} more" if more > 0 else "")


def read_baseline(path: str | Path) -> BaselineFile:
    """Load and check a baseline file; every error names the file and the field."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigurationError(f"cannot read baseline file {source}: {error.strerror}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigurationError(
            f"{source}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}"
        ) from None
    if isinstance(raw, dict) and raw.get("format") != FORMAT:
        raise ConfigurationError(
            f"{source}: not a memory-harness baseline (format is {raw.get('format')!r}); "
            "create one with `harness gate export RUN -o FILE`"
        )
    try:
        baseline = BaselineFile.model_validate(raw)
    except ValidationError as error:
        raise ConfigurationError(
            f"{source}: invalid baseline file\n{_validation_problems(source, error)}"
        ) from None
    _check_cases(source, baseline)
    return baseline


def _check_cases(source: Path, baseline: BaselineFile) -> None:
    known = known_columns()
    seen: set[str] = set()
    for i, case in enumerate(baseline.cases):
        if case.id in seen:
            raise ConfigurationError(f"{source}: cases[{i}]: case id {case.id!r} appears twice")
        seen.add(case.id)
        unknown = sorted(set(case.columns) - set(known))
        if unknown:
            raise ConfigurationError(
                f"{source}: cases[{i}] ({case.id}): unknown column {unknown[0]!r}"
            )


def baseline_case_data(baseline: BaselineFile) -> CaseData:
    """The baseline as per-case rows, ready to pair with a run's."""
    template = column_template()
    return CaseData(
        run=baseline.run,
        rows={case.id: dense(case.columns, template) for case in baseline.cases},
        hashes={case.id: case.hash for case in baseline.cases},
        tags={case.id: tuple(case.tags) for case in baseline.cases},
    )
