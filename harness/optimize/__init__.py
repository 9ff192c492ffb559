"""Prompt optimization: improve an instruction template against the harness metric.

A reflective, evolutionary search (see :mod:`harness.optimize.loop`): a proposer model reads the
cases a template gets wrong and writes edited templates; candidates are screened on a minibatch,
kept on a per-case Pareto front over the train split, selected on dev and reported on test.

Names load on first use, so importing :mod:`harness.optimize` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "OptimizeConfig": "harness.optimize.config",
    "OptimizeResult": "harness.optimize.result",
    "aoptimize": "harness.optimize.api",
    "optimize": "harness.optimize.api",
    "build_result": "harness.optimize.result",
    "Budget": "harness.optimize.budget",
    "CallBounds": "harness.optimize.budget",
    "Spend": "harness.optimize.budget",
    "evaluation_bound": "harness.optimize.budget",
    "CaseResult": "harness.optimize.evaluate",
    "Evaluation": "harness.optimize.evaluate",
    "Evaluator": "harness.optimize.evaluate",
    "RunnerEvaluator": "harness.optimize.evaluate",
    "CaseFeedback": "harness.optimize.feedback",
    "Lineage": "harness.optimize.lineage",
    "case_score": "harness.optimize.objective",
    "set_score": "harness.optimize.objective",
    "pareto_front": "harness.optimize.pareto",
    "sample_parent": "harness.optimize.pareto",
    "Proposal": "harness.optimize.proposer",
    "parse_proposal": "harness.optimize.proposer",
    "reflection_messages": "harness.optimize.proposer",
    "validate_template": "harness.optimize.proposer",
    "HeldOutReport": "harness.optimize.report",
    "held_out_report": "harness.optimize.report",
    "OptimizeStore": "harness.optimize.store",
    "make_progress": "harness.optimize.progress",
}

__all__ = [
    "Budget",
    "CallBounds",
    "CaseFeedback",
    "CaseResult",
    "Evaluation",
    "Evaluator",
    "HeldOutReport",
    "Lineage",
    "OptimizeConfig",
    "OptimizeResult",
    "OptimizeStore",
    "Proposal",
    "RunnerEvaluator",
    "Spend",
    "aoptimize",
    "build_result",
    "case_score",
    "evaluation_bound",
    "held_out_report",
    "make_progress",
    "optimize",
    "pareto_front",
    "parse_proposal",
    "reflection_messages",
    "sample_parent",
    "set_score",
    "validate_template",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from harness.optimize.api import aoptimize, optimize
    from harness.optimize.budget import Budget, CallBounds, Spend, evaluation_bound
    from harness.optimize.config import OptimizeConfig
    from harness.optimize.evaluate import CaseResult, Evaluation, Evaluator, RunnerEvaluator
    from harness.optimize.feedback import CaseFeedback
    from harness.optimize.lineage import Lineage
    from harness.optimize.objective import case_score, set_score
    from harness.optimize.pareto import pareto_front, sample_parent
    from harness.optimize.progress import make_progress
    from harness.optimize.proposer import (
        Proposal,
        parse_proposal,
        reflection_messages,
        validate_template,
    )
    from harness.optimize.report import HeldOutReport, held_out_report
    from harness.optimize.result import OptimizeResult, build_result
    from harness.optimize.store import OptimizeStore
