"""Published answer-level figures of other memory systems, with their source and conditions.

Figures are only comparable under the same answer model, judge, answer prompt and category
mapping; a report that shows them says so beside its own runs' answer model and judge.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LOCOMO_J", "PublishedFigures"]


@dataclass(frozen=True)
class PublishedFigures:
    """One published table: what was measured, on what, by whom, under which models."""

    metric: str
    benchmark: str
    source: str
    answer_model: str
    judge_model: str
    figures: tuple[tuple[str, float], ...]  # (system, value in percent)
    caveat: str


LOCOMO_J = PublishedFigures(
    metric="J (LLM-judge accuracy, %, categories 1-4)",
    benchmark="LoCoMo",
    source="Chhikara et al., Mem0: Building Production-Ready AI Agents with Scalable Long-Term "
    "Memory, arXiv 2504.19413 (2025)",
    answer_model="gpt-4o-mini",
    judge_model="gpt-4o-mini",
    figures=(("Mem0", 66.88), ("Zep", 65.99), ("LangMem", 58.10), ("OpenAI memory", 52.90)),
    caveat="Not directly comparable with a run that uses another answer model, judge, answer "
    "template or category mapping: each run below states its own answer model and judge.",
)
"""The mem0 paper's LoCoMo J with gpt-4o-mini as answer model and judge."""
