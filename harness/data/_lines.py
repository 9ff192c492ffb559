"""Reading a JSONL file one line at a time, and the canonical form its content hash is built on.

Blank lines and lines whose first non-blank characters are ``//`` are skipped, so hand-written
datasets can carry section comments; neither counts towards the content hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic_core import from_json

from harness.errors import DatasetError

HASH_VERSION = "memory-harness-dataset-v1"
"""Mixed into every dataset hash; bump it only if the canonical form itself changes."""


@dataclass(frozen=True, slots=True)
class Record:
    """One meaningful line: its 1-based number and either the parsed value or why it failed."""

    line: int
    value: Any = None
    error: str | None = None


def iter_records(path: Path) -> Iterator[Record]:
    """Yield every non-blank, non-comment line of ``path``, parsed as JSON.

    The file is read line by line (never whole), in binary so that a bad byte is reported with its
    line instead of aborting the read. Lines are parsed by pydantic-core's JSON parser (about twice
    as fast as the standard library's); a line it refuses is explained by the standard library.
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such dataset file") from None
    except OSError as error:
        raise DatasetError(f"{path}: cannot read: {error.strerror or error}") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield Record(number, error=f"not valid UTF-8 at byte {error.start + 1} of the line")
                continue
            if number == 1:
                text = text.removeprefix("\ufeff")
            stripped = text.strip()
            if not stripped or stripped.startswith("//"):
                continue
            try:
                yield Record(number, value=from_json(stripped))
            except ValueError:
                yield _parse_with_stdlib(number, stripped)


def _parse_with_stdlib(number: int, text: str) -> Record:
    """The standard library's verdict on a line the fast parser refused, in its familiar wording."""
    try:
        return Record(number, value=json.loads(text))
    except json.JSONDecodeError as error:
        return Record(number, error=f"invalid JSON at column {error.colno}: {error.msg}")


def canonical_json(value: Any) -> str:
    """The whitespace- and key-order-independent text of a JSON value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def record_hash(value: Any) -> str:
    """sha256 (hex) of the canonical text of one record."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def combine_hashes(header: Any, record_hashes: list[str]) -> str:
    """The dataset hash: the header and the *sorted* per-record hashes, so line order is ignored."""
    digest = hashlib.sha256()
    digest.update(HASH_VERSION.encode())
    digest.update(b"\nheader:")
    digest.update(b"" if header is None else canonical_json(header).encode("utf-8"))
    for value in sorted(record_hashes):
        digest.update(b"\n")
        digest.update(value.encode())
    return digest.hexdigest()
