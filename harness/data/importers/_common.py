"""What every importer shares: reading the source, and writing a file the loader accepts."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.data.load import Dataset, load_dataset
from harness.data.models import Case
from harness.errors import DatasetError


@dataclass
class ImportResult:
    """The converted cases, and notes about source records that could not be used as they were."""

    cases: list[Case]
    warnings: list[str] = field(default_factory=list)


def read_json(source: str | Path) -> Any:
    """Parse a whole JSON source file; errors name the file, line and column."""
    path = Path(source)
    try:
        with path.open("r", encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        raise DatasetError(f"{path}: not valid UTF-8 (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise DatasetError(
            f"{path}:{error.lineno}: invalid JSON at column {error.colno}: {error.msg}"
        ) from None


def as_records(data: Any, source: Path, what: str) -> list[dict[str, Any]]:
    """One object or a list of objects, as a list; anything else is refused."""
    records = data if isinstance(data, list) else [data]
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise DatasetError(f"{source}: item {index} is not a {what} object")
    return records


def require_keys(record: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    missing = [key for key in keys if key not in record]
    if missing:
        raise DatasetError(f"{where}: missing {', '.join(repr(k) for k in missing)}")


def unique_id(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted#2``, ``wanted#3``... when a source repeats an id."""
    candidate, number = wanted, 1
    while candidate in taken:
        number += 1
        candidate = f"{wanted}#{number}"
    taken.add(candidate)
    return candidate


def write_cases(cases: list[Case], out: str | Path, *, force: bool = False) -> Dataset:
    """Write ``cases`` as JSONL, validate the file with the loader, then move it into place.

    Nothing is written to ``out`` unless the whole file validates; an existing ``out`` is kept
    unless ``force``.
    """
    target = Path(out)
    if target.exists() and not force:
        raise DatasetError(f"{target}: already exists (pass force=True / --force to replace it)")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.partial")
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            for case in cases:  # pydantic's own JSON writer: several times faster than json.dumps
                handle.write(case.model_dump_json(by_alias=True, exclude_defaults=True) + "\n")
        try:
            dataset = load_dataset(temporary)
        except DatasetError as error:
            raise DatasetError(
                f"{target}: the converted cases do not validate (an importer bug)", error.problems
            ) from error
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return replace(dataset, path=target)
