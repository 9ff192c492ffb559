"""Where benchmark JSON comes from: one file, a folder of files, or a zip of them.

Every record carries a label that names its origin (``locomo10.zip:data/.../26.json item 0``), so
errors and duplicate-id reports can point at it, and the file stem, which names a conversation
when the record does not.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from harness.data.importers._common import as_records, read_json
from harness.errors import DatasetError


@dataclass(frozen=True)
class SourceRecord:
    """One JSON object of a benchmark source and where it came from."""

    record: dict[str, Any]
    where: str  # e.g. "data/26.json: item 0"
    stem: str  # the file's stem ("26"); a name of last resort
    index: int  # position in its file
    single: bool  # the file held one object, not a list


def _parse(text: bytes, label: str) -> Any:
    try:
        return json.loads(text.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise DatasetError(f"{label}: not valid UTF-8 (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise DatasetError(
            f"{label}:{error.lineno}: invalid JSON at column {error.colno}: {error.msg}"
        ) from None


def _records(data: Any, label: str, stem: str, what: str) -> Iterator[SourceRecord]:
    single = not isinstance(data, list)
    for index, record in enumerate(as_records(data, Path(label), what)):
        yield SourceRecord(record, f"{label}: item {index}", stem, index, single)


def read_sources(source: str | Path, what: str) -> list[SourceRecord]:
    """The records of a ``.json`` file, of every ``*.json`` in a folder, or of every ``*.json`` in a
    ``.zip`` (in name order; macOS ``__MACOSX`` entries are skipped)."""
    path = Path(source)
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise DatasetError(f"{path}: a folder without any .json file")
        return [r for file in files for r in _records(read_json(file), str(file), file.stem, what)]
    if path.suffix.lower() == ".zip" and path.is_file():
        return _zip_records(path, what)
    return list(_records(read_json(path), str(path), path.stem, what))


def _zip_records(path: Path, what: str) -> list[SourceRecord]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise DatasetError(f"{path}: not a zip file") from None
    with archive:
        names = sorted(
            name
            for name in archive.namelist()
            if name.lower().endswith(".json") and "__MACOSX" not in name
        )
        if not names:
            raise DatasetError(f"{path}: the zip holds no .json file")
        records: list[SourceRecord] = []
        for name in names:
            label = f"{path}:{name}"
            data = _parse(archive.read(name), label)
            records.extend(_records(data, label, PurePosixPath(name).stem, what))
    return records
