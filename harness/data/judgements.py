"""Hand-labelled judgements: the ground truth a judge model is checked against before its
verdicts are trusted as answer accuracy.

One JSON object per line::

    {"id": "j-001", "question": "Where did Ana move?", "gold_answer": "Lille",
     "response": "She moved to Lille in the north of France.", "human": "correct",
     "protocol": "locomo", "type": "single-hop", "tags": ["verbose-but-correct"]}

``human`` is the person's verdict (``correct`` or ``wrong``) under the rules of ``protocol``;
``type`` is the LoCoMo category or LongMemEval question type the judge prompt depends on;
``abstention`` marks questions whose right answer is that the information is not available.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.data._errors import problems_from
from harness.data._lines import combine_hashes, iter_records, record_hash
from harness.errors import DatasetError

__all__ = ["JudgementSet", "LabelledJudgement", "load_judgements"]


class LabelledJudgement(BaseModel):
    """A question, its reference answer, a response to grade and a person's verdict on it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    gold_answer: str = Field(min_length=1)
    response: str
    human: Literal["correct", "wrong"]
    protocol: Literal["locomo", "longmemeval"]
    type: str | None = None
    abstention: bool = False
    question_date: str | None = None
    tags: list[str] = Field(default_factory=list)
    note: str | None = None

    @field_validator("id")
    @classmethod
    def _printable_id(cls, value: str) -> str:
        if value != value.strip() or not value.isprintable():
            raise ValueError("must be printable with no surrounding spaces")
        return value

    @property
    def human_correct(self) -> bool:
        return self.human == "correct"


@dataclass(frozen=True)
class JudgementSet:
    """A validated judgement file; ``content_hash`` is defined as for case files."""

    path: Path
    judgements: list[LabelledJudgement]
    content_hash: str

    def __len__(self) -> int:
        return len(self.judgements)

    def __iter__(self) -> Iterator[LabelledJudgement]:
        return iter(self.judgements)


def load_judgements(path: str | Path) -> JudgementSet:
    """Read and validate a judgement file; raise :class:`DatasetError` listing every problem."""
    path = Path(path)
    problems: list[str] = []
    judgements: list[LabelledJudgement] = []
    hashes: list[str] = []
    first_line: dict[str, int] = {}
    for record in iter_records(path):
        where = f"{path}:{record.line}:"
        if record.error is not None:
            problems.append(f"{where} {record.error}")
            continue
        judgement = _parse(record.value, where, problems)
        if judgement is None:
            continue
        if judgement.id in first_line:
            line = first_line[judgement.id]
            problems.append(f"{where} id: duplicate id '{judgement.id}' (first at line {line})")
            continue
        first_line[judgement.id] = record.line
        judgements.append(judgement)
        hashes.append(record_hash(record.value))
    if problems:
        raise DatasetError(f"{path}: {len(problems)} problem(s); nothing was loaded", problems)
    if not judgements:
        raise DatasetError(f"{path}: holds no judgements")
    return JudgementSet(path, judgements, combine_hashes(None, hashes))


def _parse(value: Any, where: str, problems: list[str]) -> LabelledJudgement | None:
    if not isinstance(value, dict):
        problems.append(f"{where} expected a JSON object, got {type(value).__name__}")
        return None
    try:
        return LabelledJudgement.model_validate(value, strict=True)
    except ValidationError as error:
        for field, reason in problems_from(error, LabelledJudgement):
            problems.append(f"{where} {field}: {reason}")
        return None
