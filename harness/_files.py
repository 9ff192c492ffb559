"""Output files: refuse a path that cannot be written before the work that fills it, and turn a
failed write into a clear error naming the file (never a traceback)."""

from __future__ import annotations

import os
from pathlib import Path

from harness.errors import ConfigurationError


def check_writable(path: str | Path, what: str = "output file") -> Path:
    """``path`` as a Path, or ConfigurationError when it cannot become a file: a folder, a path
    under a file, or a folder without write permission."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise ConfigurationError(f"cannot write {what} {target}: it is a folder")
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigurationError(f"cannot write {what} {target}: {parent} is not a folder")
    writable = os.access(target, os.W_OK) if target.exists() else os.access(parent, os.W_OK)
    if not writable:
        raise ConfigurationError(f"cannot write {what} {target}: permission denied")
    return target


def write_file(path: str | Path, text: str, what: str = "output file") -> Path:
    """Write ``text`` (UTF-8), creating the folder; an OS error names the file."""
    target = check_writable(path, what)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ConfigurationError(f"cannot write {what} {target}: {reason}") from None
    return target
