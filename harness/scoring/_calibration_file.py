"""The stored matcher calibration: ``calibration.json``, its models and the thresholds in it.

Read by :func:`~harness.scoring.get_matcher` for every run; written by
:mod:`harness.scoring.calibration`, which fits the thresholds.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from harness.errors import ConfigurationError

CALIBRATION_ENV = "HARNESS_CALIBRATION"
CALIBRATION_FILE = "calibration.json"
CALIBRATED = ("exact", "token_f1", "embedding")
"""Matchers ``harness matchers calibrate`` handles (``llm`` needs a model; threshold 0.5)."""
FIXED_THRESHOLDS = {"exact": 1.0, "llm": 0.5}
"""Matchers whose threshold is part of their definition and is not tuned."""


class TagAccuracy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n: int
    accuracy: float


class MatcherReport(BaseModel):
    """A matcher's verdicts on a pair set; "positive" means judged the same fact.

    ``precision``/``recall``/``f1`` are None when their denominator is zero.
    """

    model_config = ConfigDict(extra="forbid")

    matcher: str
    threshold: float
    key_terms: bool
    n: int
    accuracy: float
    precision: float | None
    recall: float | None
    f1: float | None
    tp: int
    fp: int
    tn: int
    fn: int
    per_tag: dict[str, TagAccuracy]
    errors: list[str]
    """Ids of the misjudged pairs."""


class Calibration(BaseModel):
    """One matcher calibrated: its threshold with key terms (the one used), the report at it,
    and, for comparison, the best it can do without key terms (own threshold and report)."""

    model_config = ConfigDict(extra="forbid")

    threshold: float
    calibrated: bool
    embedder: str | None = None
    with_key_terms: MatcherReport
    without_key_terms: MatcherReport


class CalibrationFile(BaseModel):
    """The content of ``calibration.json``."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    pairs_file: str
    pairs_hash: str
    n_pairs: int
    matchers: dict[str, Calibration]


def default_calibration_path() -> Path:
    """``calibration.json`` shipped inside the package."""
    return Path(str(resources.files("harness.scoring").joinpath(CALIBRATION_FILE)))


def calibration_path() -> Path:
    """The calibration in effect: ``HARNESS_CALIBRATION`` if set, else the shipped file."""
    value = os.environ.get(CALIBRATION_ENV, "").strip()
    return Path(value).expanduser() if value else default_calibration_path()


OUTPUT_FILE = Path(CALIBRATION_FILE)
"""Where a new calibration is written by default: the working directory, never the package."""


def write_calibration(data: CalibrationFile, path: str | Path | None = None) -> Path:
    """Write ``data`` to ``path`` (default ``./calibration.json``); runs read it when
    ``HARNESS_CALIBRATION`` names it."""
    target = Path(path) if path is not None else OUTPUT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8")
    _read.cache_clear()
    return target


def load_calibration(path: str | Path | None = None) -> CalibrationFile | None:
    """The stored calibration (None when the file does not exist)."""
    return _read(str(Path(path) if path is not None else calibration_path()))


@lru_cache(maxsize=8)
def _read(path: str) -> CalibrationFile | None:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return CalibrationFile.model_validate_json(text)
    except ValueError as error:
        raise ConfigurationError(f"{path}: not a valid matcher calibration: {error}") from None


def calibrated_threshold(name: str, *, key_terms: bool = True) -> float | None:
    """The stored threshold of matcher ``name`` (the key-term-free one when ``key_terms`` is
    False); a fixed threshold for ``exact``/``llm``; None when never calibrated."""
    if name in FIXED_THRESHOLDS:
        return FIXED_THRESHOLDS[name]
    data = load_calibration()
    entry = data.matchers.get(name) if data is not None else None
    if entry is None:
        return None
    return entry.threshold if key_terms else entry.without_key_terms.threshold
