"""The files that ship with the harness: the bundled datasets (with their schemas) and templates.

The repository keeps them in its top-level ``datasets/`` and ``prompts/`` (their one copy); the
wheel build copies them into the package as ``harness/_data/`` (see ``setup.py``), so an
installed harness finds them by name from any directory, and a source checkout reads them in
place. Nothing is ever written here: results, reports, optimizer winners and calibrations go to
the working directory or the path given.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import ConfigurationError

PACKAGE = Path(__file__).resolve().parent
DATASET_SUFFIX = ".jsonl"


def bundled_root() -> Path:
    """``harness/_data`` in an installed wheel, else the source checkout's top level."""
    packaged = PACKAGE / "_data"
    return packaged if packaged.is_dir() else PACKAGE.parent


def bundled_path(*parts: str) -> Path:
    """A shipped file, e.g. ``bundled_path("datasets", "core.jsonl")``."""
    return bundled_root().joinpath(*parts)


def bundled_datasets() -> list[str]:
    """Names of the shipped datasets (``core``, ``long``, ...)."""
    folder = bundled_path("datasets")
    return sorted(p.stem for p in folder.glob(f"*{DATASET_SUFFIX}")) if folder.is_dir() else []


def resolve_data_file(ref: str | Path, *, what: str = "dataset") -> Path:
    """A data file given as a path, or by name: ``core`` (or ``core.jsonl``, or
    ``datasets/core.jsonl``) is ``datasets/core.jsonl`` under the working directory if present,
    else the bundled one. Raises :class:`ConfigurationError` naming what is missing."""
    path = Path(ref).expanduser()
    candidates = [path]
    if not path.is_absolute():
        if len(path.parts) == 1 and path.suffix in ("", DATASET_SUFFIX):
            candidates.append(Path("datasets") / f"{path.stem}{DATASET_SUFFIX}")
        candidates += [bundled_root() / candidate for candidate in list(candidates)]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    if path.exists():
        raise ConfigurationError(f"{what} {ref} is {_kind(path)}, not a file")
    known = ", ".join(bundled_datasets()) or "(none)"
    raise ConfigurationError(
        f"{what} file {ref} does not exist (neither a file nor a bundled dataset: {known})"
    )


def _kind(path: Path) -> str:
    if path.is_dir():
        return "a folder"
    if path.is_fifo():
        return "a named pipe"
    return "not a regular file"
