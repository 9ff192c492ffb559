"""The options compared runs differ in, for report and comparison headers.

Two runs of one model, template and dataset can still differ in how they ran (deletes off, the
gold state, another answer model, a different matcher): without saying so, their columns look
alike. The options are each run's stored configuration (``runs.parameters``); those a header
already shows or that cannot change results are left out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

NOT_COMPARED = frozenset({"name", "concurrency", "cache", "dataset", "model", "prompt"})
"""Shown elsewhere in the header (dataset, model, template) or unable to change results."""

ABSENT = "-"


def option_differences(
    parameters: Mapping[str, Mapping[str, Any] | None],
) -> dict[str, dict[str, str]]:
    """``{option: {run key: value as text}}`` for every option whose value is not the same in
    all runs (``parameters`` maps a run key to its stored configuration); an option a run's
    configuration lacks (recorded before it existed) shows as ``-``."""
    configs = {key: dict(value or {}) for key, value in parameters.items()}
    if len(configs) < 2:
        return {}
    names = sorted({name for config in configs.values() for name in config} - NOT_COMPARED)
    differences: dict[str, dict[str, str]] = {}
    for name in names:
        values = {
            key: _text(config[name]) if name in config else ABSENT
            for key, config in configs.items()
        }
        if len(set(values.values())) > 1:
            differences[name] = values
    return differences


def differences_text(differences: Mapping[str, Mapping[str, str]]) -> str:
    """One line: ``enable_deletes: A true, B false; state: A predicted, B gold``."""
    return "; ".join(
        f"{name}: " + ", ".join(f"{key} {value}" for key, value in values.items())
        for name, values in differences.items()
    )


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)
