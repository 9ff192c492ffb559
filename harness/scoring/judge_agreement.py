"""How far a judge model agrees with people: accuracy, Cohen's kappa and the confusion matrix.

A judge's J is only as good as its verdicts, so before trusting a judge model a user grades it on
hand-labelled judgements (:mod:`harness.data.judgements`). Judge errors (replies that could not be
read even after the repair turn) are counted on their own and left out of every ratio: they are
neither agreement nor disagreement. A ratio without a denominator is None.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.scoring.judging import JudgeVerdict, ajudge_answer

__all__ = [
    "AgreementCounts",
    "AgreementReport",
    "JudgedItem",
    "agreement",
    "ajudge_items",
    "cohen_kappa",
]


@dataclass(frozen=True)
class AgreementCounts:
    """Confusion counts of judge against human; rows are the human verdict."""

    human_correct_judge_correct: int = 0
    human_correct_judge_wrong: int = 0
    human_wrong_judge_correct: int = 0
    human_wrong_judge_wrong: int = 0
    judge_errors: int = 0

    @property
    def n(self) -> int:
        """Judgements with a judge verdict (errors excluded)."""
        return (
            self.human_correct_judge_correct
            + self.human_correct_judge_wrong
            + self.human_wrong_judge_correct
            + self.human_wrong_judge_wrong
        )

    @property
    def agreements(self) -> int:
        return self.human_correct_judge_correct + self.human_wrong_judge_wrong

    @property
    def accuracy(self) -> float | None:
        return self.agreements / self.n if self.n else None

    @property
    def kappa(self) -> float | None:
        return cohen_kappa(
            self.human_correct_judge_correct,
            self.human_correct_judge_wrong,
            self.human_wrong_judge_correct,
            self.human_wrong_judge_wrong,
        )

    def add(self, human: bool, judge: bool | None) -> AgreementCounts:
        """These counts with one more judgement."""
        key = "judge_errors" if judge is None else f"human_{_word(human)}_judge_{_word(judge)}"
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values[key] += 1
        return AgreementCounts(**values)


@dataclass(frozen=True)
class JudgedItem:
    """One labelled judgement with the judge's verdict on it."""

    id: str
    human: bool
    verdict: JudgeVerdict
    tags: tuple[str, ...] = ()
    protocol: str = ""
    type: str | None = None

    @property
    def agrees(self) -> bool | None:
        return None if self.verdict.correct is None else self.verdict.correct == self.human


@dataclass(frozen=True)
class AgreementReport:
    """Agreement overall, per protocol, per question type and per tag, plus the disagreements."""

    overall: AgreementCounts
    per_protocol: dict[str, AgreementCounts] = field(default_factory=dict)
    per_type: dict[str, AgreementCounts] = field(default_factory=dict)
    per_tag: dict[str, AgreementCounts] = field(default_factory=dict)
    disagreements: list[JudgedItem] = field(default_factory=list)
    errors: list[JudgedItem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""

        def counts(value: AgreementCounts) -> dict[str, Any]:
            return {
                "n": value.n,
                "accuracy": value.accuracy,
                "kappa": value.kappa,
                "confusion": {
                    "human_correct": {
                        "judge_correct": value.human_correct_judge_correct,
                        "judge_wrong": value.human_correct_judge_wrong,
                    },
                    "human_wrong": {
                        "judge_correct": value.human_wrong_judge_correct,
                        "judge_wrong": value.human_wrong_judge_wrong,
                    },
                },
                "judge_errors": value.judge_errors,
            }

        def item(value: JudgedItem) -> dict[str, Any]:
            return {
                "id": value.id,
                "human": _word(value.human),
                "judge": value.verdict.label,
                "reason": value.verdict.reason,
                "error": value.verdict.error,
            }

        return {
            "overall": counts(self.overall),
            "per_protocol": {k: counts(v) for k, v in self.per_protocol.items()},
            "per_type": {k: counts(v) for k, v in self.per_type.items()},
            "per_tag": {k: counts(v) for k, v in self.per_tag.items()},
            "disagreements": [item(i) for i in self.disagreements],
            "errors": [item(i) for i in self.errors],
        }


def cohen_kappa(cc: int, cw: int, wc: int, ww: int) -> float | None:
    """Cohen's kappa of a 2x2 table (human correct/wrong rows, judge correct/wrong columns).

    None when it is undefined: no judgements, or both raters constant and equal, so chance
    agreement is already 1.
    """
    n = cc + cw + wc + ww
    if n == 0:
        return None
    observed = (cc + ww) / n
    expected = ((cc + cw) * (cc + wc) + (wc + ww) * (cw + ww)) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def agreement(items: Iterable[JudgedItem]) -> AgreementReport:
    """Tally judged items into an :class:`AgreementReport` (pure)."""
    overall = AgreementCounts()
    per_protocol: dict[str, AgreementCounts] = defaultdict(AgreementCounts)
    per_type: dict[str, AgreementCounts] = defaultdict(AgreementCounts)
    per_tag: dict[str, AgreementCounts] = defaultdict(AgreementCounts)
    disagreements: list[JudgedItem] = []
    errors: list[JudgedItem] = []
    for item in items:
        verdict = item.verdict.correct
        overall = overall.add(item.human, verdict)
        per_protocol[item.protocol] = per_protocol[item.protocol].add(item.human, verdict)
        type_key = item.type or "(none)"
        per_type[type_key] = per_type[type_key].add(item.human, verdict)
        for tag in item.tags:
            per_tag[tag] = per_tag[tag].add(item.human, verdict)
        if item.agrees is None:
            errors.append(item)
        elif not item.agrees:
            disagreements.append(item)
    return AgreementReport(
        overall,
        dict(sorted(per_protocol.items())),
        dict(sorted(per_type.items())),
        dict(sorted(per_tag.items())),
        disagreements,
        errors,
    )


async def ajudge_items(
    model: Any, judgements: Sequence[Any], *, concurrency: int = 8
) -> list[JudgedItem]:
    """Have ``model`` grade every labelled judgement, at most ``concurrency`` calls at a time."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    slots = asyncio.Semaphore(concurrency)

    async def grade(judgement: Any) -> JudgedItem:
        async with slots:
            verdict = await ajudge_answer(
                model,
                judgement.question,
                judgement.gold_answer,
                judgement.response,
                protocol=judgement.protocol,
                type=judgement.type,
                abstention=judgement.abstention,
                question_date=judgement.question_date,
            )
        return JudgedItem(
            judgement.id,
            judgement.human_correct,
            verdict,
            tuple(judgement.tags),
            judgement.protocol,
            judgement.type,
        )

    return list(await asyncio.gather(*(grade(j) for j in judgements)))


def _word(value: bool) -> str:
    return "correct" if value else "wrong"
