"""Baselines: systems under test that call no model, plugged in where a memory manager goes.

``baseline/noop`` changes nothing, ``baseline/oracle`` replays the gold ops (it must score 1.0),
``baseline/heuristic`` is the rule-based floor and the zero-key default. The runner looks a
baseline up by its model name in :func:`get_baseline` and asks the built object what it needs
(:attr:`Baseline.replays_gold`) rather than comparing names.

Names load on first use, so importing :mod:`harness.baselines` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "BASELINE_NAMES": "harness.baselines.registry",
    "Baseline": "harness.baselines.registry",
    "GoldContext": "harness.baselines.registry",
    "HeuristicBaseline": "harness.baselines.registry",
    "HeuristicOptions": "harness.baselines.registry",
    "NoopBaseline": "harness.baselines.registry",
    "OracleBaseline": "harness.baselines.registry",
    "baseline_for_run": "harness.baselines.registry",
    "get_baseline": "harness.baselines.registry",
    "is_baseline": "harness.baselines.registry",
    "oracle_context": "harness.baselines.registry",
}

__all__ = [
    "BASELINE_NAMES",
    "Baseline",
    "GoldContext",
    "HeuristicBaseline",
    "HeuristicOptions",
    "NoopBaseline",
    "OracleBaseline",
    "baseline_for_run",
    "get_baseline",
    "is_baseline",
    "oracle_context",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from harness.baselines.registry import (
        BASELINE_NAMES,
        Baseline,
        GoldContext,
        HeuristicBaseline,
        HeuristicOptions,
        NoopBaseline,
        OracleBaseline,
        baseline_for_run,
        get_baseline,
        is_baseline,
        oracle_context,
    )
