"""Matcher calibration pairs (``a`` = gold statement, ``b`` = candidate, ``same`` = label).

Besides the field rules, ``a`` must pass its own ``require``/``forbid`` (it is the gold side).
A ``b`` labeled ``same`` that the key terms reject is allowed: realistic key terms miss some
paraphrases, and that is part of what the pairs measure (``pair_stats`` counts them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from harness.data._errors import problems_from
from harness.data._lines import combine_hashes, iter_records, record_hash
from harness.data.keyterms import check_key_terms
from harness.data.load import looks_like_pair
from harness.data.models import MatcherPair
from harness.errors import DatasetError


@dataclass(frozen=True)
class PairSet:
    """A validated pair file; ``content_hash`` is defined as for case files."""

    path: Path
    pairs: list[MatcherPair]
    content_hash: str
    lines: dict[str, int] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.pairs)

    def __iter__(self) -> Iterator[MatcherPair]:
        return iter(self.pairs)


JUDGEMENT_FIELDS = frozenset({"question", "response", "human"})
"""Fields that mark a record of a hand-labelled judgement file (``harness judges agreement``)."""


def detect_kind(path: str | Path) -> Literal["cases", "pairs", "judgements"]:
    """``pairs`` when the first record is a matcher pair, ``judgements`` when it is a labelled
    answer judgement, else ``cases``."""
    for record in iter_records(Path(path)):
        value = record.value
        if isinstance(value, dict) and "header" in value:
            continue
        if isinstance(value, dict) and value.keys() >= JUDGEMENT_FIELDS:
            return "judgements"
        return "pairs" if looks_like_pair(value) else "cases"
    return "cases"


def check_pair(pair: MatcherPair) -> list[tuple[str, str]]:
    """Key terms the gold side ``a`` itself fails."""
    problems: list[tuple[str, str]] = []
    for index, item in enumerate(pair.require):
        options = [item] if isinstance(item, str) else item
        if not options or not all(o.strip() for o in options):
            problems.append((f"require[{index}]", "empty key term"))
        elif not check_key_terms(pair.a, require=[item]).ok:
            shown = " or ".join(f"'{o}'" for o in options)
            problems.append((f"require[{index}]", f"the gold side 'a' lacks {shown}"))
    for index, term in enumerate(pair.forbid):
        if not term.strip():
            problems.append((f"forbid[{index}]", "empty key term"))
        elif not check_key_terms(pair.a, forbid=[term]).ok:
            problems.append((f"forbid[{index}]", f"the gold side 'a' contains '{term}'"))
    return problems


def key_terms_accept(pair: MatcherPair) -> bool:
    """Whether ``b`` passes the key terms of ``a``."""
    return check_key_terms(pair.b, pair.require, pair.forbid).ok


def load_pairs(path: str | Path) -> PairSet:
    """Read and validate a pair file; raise :class:`DatasetError` listing every problem."""
    path = Path(path)
    problems: list[str] = []
    pairs: list[MatcherPair] = []
    hashes: list[str] = []
    lines: dict[str, int] = {}

    def report(line: int, where: str, reason: str) -> None:
        prefix = f"{path}:{line}:"
        problems.append(f"{prefix} {where}: {reason}" if where else f"{prefix} {reason}")

    for record in iter_records(path):
        if record.error is not None:
            report(record.line, "", record.error)
            continue
        pair = _parse(record.value, record.line, report)
        if pair is None:
            continue
        if pair.id in lines:
            first = lines[pair.id]
            report(record.line, "id", f"duplicate pair id '{pair.id}' (first at line {first})")
            continue
        lines[pair.id] = record.line
        for where, reason in check_pair(pair):
            report(record.line, where, reason)
        pairs.append(pair)
        hashes.append(record_hash(record.value))
    if problems:
        raise DatasetError(f"{path}: {len(problems)} problem(s); nothing was loaded", problems)
    if not pairs:
        raise DatasetError(f"{path}: holds no pairs")
    return PairSet(path, pairs, combine_hashes(None, hashes), lines)


def _parse(value: Any, line: int, report: Any) -> MatcherPair | None:
    try:
        return MatcherPair.model_validate(value, strict=True)
    except ValidationError as error:
        for where, reason in problems_from(error, MatcherPair):
            report(line, where, reason)
        return None
