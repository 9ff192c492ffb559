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


MAX_LINE_BYTES = 256 * 1024 * 1024
"""Longest line read (a long-context case is a few MB); a longer one is refused unread."""


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
    if path.exists() and not path.is_file():  # a folder; a pipe would block the read for ever
        kind = "a folder" if path.is_dir() else "not a regular file"
        raise DatasetError(f"{path}: is {kind}, not a dataset file")
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such dataset file") from None
    except OSError as error:
        raise DatasetError(f"{path}: cannot read: {error.strerror or error}") from None
    with handle:
        for number, raw in enumerate(_lines(handle), start=1):
            if raw is None:
                yield Record(number, error=f"line longer than {MAX_LINE_BYTES:,} bytes")
                continue
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
                value = from_json(stripped)
            except ValueError as error:
                yield _parse_with_stdlib(number, stripped, error)
                continue
            duplicate = _duplicate_key(stripped, value)
            if duplicate is not None:
                yield Record(number, error=duplicate)
            else:
                yield Record(number, value=value)


def _lines(handle: Any) -> Iterator[bytes | None]:
    """The file's lines; None for a line over :data:`MAX_LINE_BYTES`, which is skipped unread,
    so a file without line breaks cannot fill the memory."""
    limit = MAX_LINE_BYTES
    while raw := handle.readline(limit + 1):
        if len(raw) <= limit:
            yield raw
            continue
        while raw and not raw.endswith(b"\n"):
            raw = handle.readline(1 << 20)
        yield None


def _parse_with_stdlib(number: int, text: str, fast_error: ValueError) -> Record:
    """The standard library's verdict on a line the fast parser refused, in its familiar wording."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return Record(number, error=f"invalid JSON at column {error.colno}: {error.msg}")
    except RecursionError:
        return Record(number, error="invalid JSON: nested too deeply")
    except ValueError as error:  # an integer of more than 4300 digits, ...
        return Record(number, error=f"invalid JSON: {str(error).split(':')[0]}")
    try:
        canonical_json(value).encode("utf-8")
    except UnicodeEncodeError as error:
        return Record(
            number,
            error=f"a lone surrogate escape (\\u{ord(error.object[error.start]):04x}) is not "
            "valid Unicode text",
        )
    return Record(number, error=f"invalid JSON: {fast_error}")


def _duplicate_key(text: str, value: Any) -> str | None:
    """Why ``text`` is refused for a key that appears twice in one object, or None.

    JSON parsers keep the last of duplicate keys, silently dropping data, so the line is parsed
    once more with a hook that sees every key. (Counting keys with a regular expression instead
    costs seconds on the long lines of an imported benchmark.)
    """
    if not isinstance(value, dict | list) or "{" not in text:
        return None

    def refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, item in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen[key] = item
        return seen

    try:
        json.loads(text, object_pairs_hook=refuse_duplicates)
    except _Duplicate as duplicate:
        return f"duplicate key {duplicate.args[0]!r} in one object (only one value may be given)"
    return None


class _Duplicate(Exception):
    pass


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
