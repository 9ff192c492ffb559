"""What code produced a run: harness, Python and package versions, git revision."""

from __future__ import annotations

import platform
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from harness import __version__

PACKAGES = (
    "litellm",
    "lancedb",
    "duckdb",
    "pydantic",
    "numpy",
    "onnxruntime",
    "tokenizers",
    "jinja2",
    "pyarrow",
)


def harness_version() -> str:
    return __version__


def python_version() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}"


@lru_cache(maxsize=1)
def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


@lru_cache(maxsize=1)
def git_revision() -> str | None:
    """The commit the harness code is at (``+dirty`` with uncommitted changes), if it runs from
    a git checkout of its own (an installed wheel has none: a repository it happens to sit in,
    such as a project's ``.venv``, is not the harness's)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists() or not (root / "pyproject.toml").is_file():
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "diff", "--quiet", "HEAD", "--", "harness"],
            capture_output=True,
            timeout=5,
        ).returncode
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if dirty == 1 else head or None
