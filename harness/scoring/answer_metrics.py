"""Answer-level metrics as additive per-case columns, so intervals and paired tests come free.

Each answered question adds to its case's columns (see :func:`answer_counts`); every metric is a
ratio of summed columns, computed by the same case bootstrap as the extraction metrics. Questions
fall in three families, reported apart:

- ordinary questions: ``qa_j`` (judge accuracy over judged questions), ``qa_f1``,
  ``qa_bleu1``, ``qa_em``; per category as ``qa_j[temporal]`` and so on;
- adversarial questions (LoCoMo category 5, no answer in the conversation):
  ``qa_adversarial_j`` and ``qa_adversarial_declined`` (offline: the answer declines);
- abstention questions (LongMemEval ``_abs``): ``qa_abstention_j``, ``qa_abstention_declined``.

Judge errors and failed answers are counted (``qa_judge_errors``, ``qa_answer_errors``) and left
out of every denominator: a question the judge could not grade is neither right nor wrong.
``context_tokens_mean`` is over every answered question.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.scoring.metrics import ratio

__all__ = [
    "CATEGORY_METRICS",
    "LOCOMO_CATEGORIES",
    "QA_COLUMNS",
    "QuestionResult",
    "answer_counts",
    "answer_formulas",
    "categories_in",
    "category_columns",
    "category_formula",
    "category_label",
    "latency_percentiles",
    "question_kind",
]

LOCOMO_CATEGORIES: dict[str, str] = {
    "1": "multi-hop",
    "2": "temporal",
    "3": "open-domain",
    "4": "single-hop",
    "5": "adversarial",
}
"""LoCoMo's category numbers as its own evaluation code names them (the paper lists the five
kinds in another order, and some evaluations label 1 and 3 the other way round)."""

QA_COLUMNS: tuple[str, ...] = (
    "qa_asked",
    "qa_answered",
    "qa_answer_errors",
    "qa_judge_errors",
    "context_tokens_sum",
    "qa_n",
    "qa_f1_sum",
    "qa_bleu1_sum",
    "qa_em_sum",
    "qa_judged",
    "qa_correct",
    *(
        f"qa_{family}_{column}"
        for family in ("adversarial", "abstention")
        for column in ("n", "declined_sum", "judged", "correct")
    ),
)
"""The additive per-case columns every overall answer metric is computed from."""


def category_label(source: str | None, category: str | None) -> str | None:
    """A readable category: LoCoMo numbers become names, other labels stay as they are."""
    if category is None:
        return None
    if source == "locomo":
        return LOCOMO_CATEGORIES.get(str(category), str(category))
    return str(category)


def question_kind(source: str | None, category: str | None, abstention: bool) -> str:
    """``answer``, ``adversarial`` (LoCoMo category 5) or ``abstention``."""
    if source == "locomo" and str(category) == "5":
        return "adversarial"
    return "abstention" if abstention else "answer"


@dataclass(frozen=True)
class QuestionResult:
    """What one answered question adds to its case's columns."""

    kind: str  # answer | adversarial | abstention
    category: str | None
    answered: bool  # False: the answer model failed
    f1: float | None = None
    bleu1: float | None = None
    em: float | None = None
    declined: bool | None = None
    verdict: bool | None = None  # None: not judged, or a judge error
    judge_error: bool = False
    context_tokens: int = 0


def _add(counts: dict[str, float], key: str, value: float) -> None:
    counts[key] = counts.get(key, 0.0) + value


def _add_scores(counts: dict[str, float], suffix: str, result: QuestionResult) -> None:
    _add(counts, f"qa_n{suffix}", 1)
    _add(counts, f"qa_f1_sum{suffix}", result.f1 or 0.0)
    _add(counts, f"qa_bleu1_sum{suffix}", result.bleu1 or 0.0)
    _add(counts, f"qa_em_sum{suffix}", result.em or 0.0)
    judged = result.verdict is not None
    _add(counts, f"qa_judged{suffix}", float(judged))
    _add(counts, f"qa_correct{suffix}", float(bool(result.verdict)))


def answer_counts(results: Iterable[QuestionResult]) -> dict[str, float]:
    """The additive columns of one case (repeats are summed by the caller)."""
    counts: dict[str, float] = {}
    for result in results:
        _add(counts, "qa_asked", 1)
        if not result.answered:
            _add(counts, "qa_answer_errors", 1)
            continue
        _add(counts, "qa_answered", 1)
        _add(counts, "context_tokens_sum", result.context_tokens)
        _add(counts, "qa_judge_errors", float(result.judge_error))
        if result.kind == "answer":
            _add_scores(counts, "", result)
            if result.category is not None:
                _add_scores(counts, f"[{result.category}]", result)
            continue
        family = f"qa_{result.kind}"
        _add(counts, f"{family}_n", 1)
        _add(counts, f"{family}_declined_sum", float(bool(result.declined)))
        _add(counts, f"{family}_judged", float(result.verdict is not None))
        _add(counts, f"{family}_correct", float(bool(result.verdict)))
    return counts


def _ratio(numerator: str, denominator: str) -> Any:
    return lambda c: ratio(c[numerator], c[denominator])


def answer_formulas(columns: Iterable[str] = ()) -> dict[str, Any]:
    """Metric name -> formula; per-category metrics for every ``qa_n[...]`` column given."""
    formulas: dict[str, Any] = {
        "qa_j": _ratio("qa_correct", "qa_judged"),
        "qa_f1": _ratio("qa_f1_sum", "qa_n"),
        "qa_bleu1": _ratio("qa_bleu1_sum", "qa_n"),
        "qa_em": _ratio("qa_em_sum", "qa_n"),
    }
    for family in ("adversarial", "abstention"):
        formulas[f"qa_{family}_j"] = _ratio(f"qa_{family}_correct", f"qa_{family}_judged")
        formulas[f"qa_{family}_declined"] = _ratio(f"qa_{family}_declined_sum", f"qa_{family}_n")
    formulas["qa_judge_error_rate"] = _ratio("qa_judge_errors", "qa_answered")
    formulas["qa_answer_error_rate"] = _ratio("qa_answer_errors", "qa_asked")
    formulas["context_tokens_mean"] = _ratio("context_tokens_sum", "qa_answered")
    for column in sorted(columns):
        if column.startswith("qa_n[") and column.endswith("]"):
            suffix = column[len("qa_n") :]
            formulas[f"qa_j{suffix}"] = _ratio(f"qa_correct{suffix}", f"qa_judged{suffix}")
            for metric in ("f1", "bleu1", "em"):
                formulas[f"qa_{metric}{suffix}"] = _ratio(f"qa_{metric}_sum{suffix}", column)
    return formulas


CATEGORY_METRICS: tuple[str, ...] = ("qa_j", "qa_f1", "qa_bleu1", "qa_em")
"""The answer metrics that exist per category, as ``qa_j[temporal]`` and so on."""

_CATEGORY_NAME = re.compile(r"^(qa_(?:j|f1|bleu1|em))\[(.+)\]$")


def category_formula(name: str) -> Any:
    """The formula of a per-category metric name such as ``qa_j[temporal]``; None otherwise."""
    found = _CATEGORY_NAME.match(name)
    if found is None:
        return None
    return answer_formulas([f"qa_n[{found.group(2)}]"])[name]


def categories_in(rows: Mapping[str, Mapping[str, float]]) -> list[str]:
    """The question categories with at least one ordinary question in the per-case rows."""
    return sorted(
        column[len("qa_n[") : -1]
        for column in category_columns(set().union(*rows.values()))
        if any(row.get(column, 0.0) for row in rows.values())
    )


def category_columns(columns: Iterable[str]) -> list[str]:
    """The per-category ``qa_n[...]`` columns among ``columns`` (of per-case rows)."""
    return sorted({c for c in columns if c.startswith("qa_n[")})


def latency_percentiles(name: str, seconds: Iterable[float | None]) -> dict[str, float | None]:
    """``{name}_p50`` and ``{name}_p95`` of the recorded latencies (None when there are none).

    Percentiles are not additive, so they come from the per-question rows, without an interval.
    """
    import numpy as np

    values = np.array([s for s in seconds if s is not None], dtype=float)
    if values.size == 0:
        return {f"{name}_p50": None, f"{name}_p95": None}
    p50, p95 = np.percentile(values, [50, 95])
    return {f"{name}_p50": float(p50), f"{name}_p95": float(p95)}
