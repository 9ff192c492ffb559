"""How reports print numbers: values, intervals and p-values, with ``-`` for n/a."""

from __future__ import annotations


def fmt(value: float | None, *, signed: bool = False, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def fmt_interval(low: float | None, high: float | None, *, signed: bool = False) -> str:
    if low is None or high is None:
        return "-"
    return f"[{fmt(low, signed=signed)}, {fmt(high, signed=signed)}]"


def fmt_p(p: float | None) -> str:
    if p is None:
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def p_text(p: float | None) -> str:
    """``p < 0.001`` / ``p = 0.023`` for sentences."""
    if p is None:
        return "p undefined"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def answering_text(answer_model: str | None, judge_model: str | None) -> str:
    """``answers: M, judge: J`` (``-`` parts when absent): every answer figure names both."""
    if answer_model is None:
        return ""
    return f"answers: {answer_model}, judge: {judge_model or 'none'}"
