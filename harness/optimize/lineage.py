"""The winner as a template file: its source under a ``{# ... #}`` header stating where it came
from (start template, ancestry, optimization id) and how it scored on each split.

Jinja2 comments never reach the model, so the header changes the file's content hash but not the
instructions. A header left by an earlier optimization is replaced, not stacked: the new header's
lineage already names the file it started from.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

HEADER_MARK = "harness optimize"
_OPEN = "{#- "
_CLOSE = " -#}"


@dataclass(frozen=True)
class SplitScores:
    """Start and winner on one split (``None``: not evaluated there)."""

    n_cases: int
    start: float | None
    winner: float | None


@dataclass(frozen=True)
class Lineage:
    """Everything the header states."""

    opt_id: str
    start_name: str
    start_hash: str
    chain: tuple[str, ...]  # candidate ids, start first, winner last
    metric: str
    dataset: str
    dataset_hash: str
    model: str
    proposer: str
    splits: Mapping[str, SplitScores] = field(default_factory=dict)
    test_diff: tuple[float, float, float, float | None] | None = None  # diff, low, high, p
    confidence: float = 0.95


def ancestry(parents: Mapping[str, str | None], candidate: str) -> tuple[str, ...]:
    """The chain of candidate ids from the root to ``candidate``."""
    chain = [candidate]
    seen = {candidate}
    while (parent := parents.get(chain[-1])) is not None:
        if parent in seen:
            raise ValueError(f"candidate lineage loops at {parent!r}")
        chain.append(parent)
        seen.add(parent)
    return tuple(reversed(chain))


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def header(info: Lineage) -> str:
    """The ``{#- ... -#}`` comment block (no ``#}`` can occur inside it)."""
    lines = [
        f"{HEADER_MARK}: optimization {info.opt_id}",
        f"parent template: {info.start_name} (sha256 {info.start_hash[:16]})",
        f"lineage: {' -> '.join(info.chain)}",
        f"objective: {info.metric}; dataset {info.dataset} (sha256 {info.dataset_hash[:16]})",
        f"extraction model: {info.model}; proposer: {info.proposer}",
    ]
    for split, scores in info.splits.items():
        lines.append(
            f"{split} ({scores.n_cases} cases): start {_num(scores.start)}, "
            f"winner {_num(scores.winner)}"
        )
    if info.test_diff is not None:
        diff, low, high, p = info.test_diff
        pct = round(info.confidence * 100)
        p_text = "n/a" if p is None else f"{p:.3f}"
        lines.append(
            f"test difference (held out): {diff:+.4f}, {pct}% CI [{low:+.4f}, {high:+.4f}], "
            f"p = {p_text}"
        )
    body = "\n    ".join(line.replace("#}", "# }") for line in lines)
    return f"{_OPEN}{body}{_CLOSE}\n"


def strip_header(source: str) -> str:
    """``source`` without a leading header written by an earlier optimization."""
    text = source.lstrip()
    if text.startswith(_OPEN + HEADER_MARK):
        end = text.find(_CLOSE)
        if end != -1:
            return text[end + len(_CLOSE) :].lstrip("\n")
    return source


def winner_source(source: str, info: Lineage) -> str:
    return header(info) + strip_header(source)


def default_out_path(prompts: Path, start_name: str, opt_id: str) -> Path:
    """``<prompts>/<start>-opt-<short id>.j2``."""
    stem = Path(start_name).stem if ("/" in start_name or os.sep in start_name) else start_name
    short = opt_id.rsplit("-", 1)[-1]
    return prompts / f"{stem}-opt-{short}.j2"


def write_template(path: Path, text: str) -> Path:
    """Write atomically (a temp file renamed into place), creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
