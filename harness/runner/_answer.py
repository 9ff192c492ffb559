"""The answer stage: after a case's last session, answer its questions and grade the answers.

For every query with a reference answer (or whose right answer is to decline), the stage
searches the store of the system under test as that system searches, renders the answer
template, calls the answer model and scores the answer offline (EM, F1, BLEU-1); with a judge
model it also asks the judge. Up to twice the run's concurrency questions are in flight, their
model calls sharing the run's call slots (the answer and judge calls of all cases, at most
``concurrency`` at once), so a slow model keeps every slot busy. Recorded latencies are those
of the search and the answer call alone: never time queued for a question or call slot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.baselines.reference import REFERENCE_CONTEXT
from harness.data.models import Case, Query
from harness.errors import ModelError
from harness.memory.schemas import memory_text
from harness.memory.store.base import BaseStore
from harness.models import ResponseCache, get_model
from harness.models._litellm import count_tokens
from harness.models.types import GenerateConfig
from harness.models.usage import call_purpose
from harness.results.records import AnswerRow
from harness.runner._queries import RowKey
from harness.runner.config import RunConfig, SearchModeName
from harness.scoring.answer_metrics import (
    QuestionResult,
    answer_counts,
    category_label,
    question_kind,
)
from harness.scoring.answers import score_answer
from harness.scoring.judging import ajudge_answer, protocol_for
from harness.templates import load_prompt

_DECLINE_GOLD = "The information is not available."
QUESTIONS_PER_CALL_SLOT = 2
"""Questions in flight per model call allowed at once (the run's ``concurrency``, see
:mod:`harness.models.limits`): while one question searches, renders or scores, another's call
keeps the slot busy."""


@dataclass
class Answering:
    """The answer stage of a run: models, template choice, search settings and slots."""

    config: RunConfig
    context_source: str  # memories | conversation | none
    model: Any
    judge: Any | None
    slots: asyncio.Semaphore
    _templates: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, config: RunConfig) -> Answering | None:
        """None when the run has no answer model; errors name the bad option at once."""
        if config.answer_model is None:
            return None

        cache = ResponseCache(mode=config.cache)
        model = get_model(config.answer_model, cache=cache)
        judge = get_model(config.judge_model, cache=cache) if config.judge_model else None
        answering = cls(
            config,
            REFERENCE_CONTEXT.get(config.model, "memories"),
            model,
            judge,
            asyncio.Semaphore(QUESTIONS_PER_CALL_SLOT * config.concurrency),
        )
        if config.answer_template is not None:
            answering.template(None)
        return answering

    @property
    def mode(self) -> SearchModeName:
        return self.config.answer_search_mode or self.config.retrieval_mode

    def template(self, source: str | None) -> Any:
        name = self.config.answer_template or ("locomo" if source == "locomo" else "default")
        if name not in self._templates:
            self._templates[name] = load_prompt("answer", name)
        return self._templates[name]

    def protocol(self, source: str | None) -> str:
        return protocol_for(source, self.config.judge_protocol)

    def describe(self) -> dict[str, Any]:
        """The run record's description of the stage (template hashes included)."""
        config = self.config
        return {
            "answer_model": config.answer_model,
            "context": self.context_source,
            "search_mode": self.mode if self.context_source == "memories" else None,
            "top_k": config.answer_top_k,
            "template": config.answer_template or "by dataset origin (locomo or default)",
            "judge_model": config.judge_model,
            "judge_protocol": config.judge_protocol or "by dataset origin",
        }


def answerable(query: Query, source: str | None) -> bool:
    """Whether the stage answers ``query``: it has a reference answer or must be declined."""
    kind = question_kind(source, query.category, query.abstention)
    return query.answer is not None or kind != "answer"


class _Turns:
    """Message id -> (session date, speaker), and the whole conversation as context items."""

    def __init__(self, case: Case) -> None:
        self.where: dict[str, tuple[str | None, str]] = {}
        self.items: list[dict[str, Any]] = []
        for session in case.sessions:
            for message in session.messages:
                speaker = message.name or message.role
                self.where[message.id] = (session.date, speaker)
                self.items.append(_item(message.id, message.content, session.date, speaker))

    def describe(self, memory_id: str, text: str, source: Sequence[str], score: Any) -> dict:
        found = [self.where[s] for s in source if s in self.where]
        dates = sorted(d for d, _ in found if d)
        speakers = list(dict.fromkeys(speaker for _, speaker in found))
        item = _item(memory_id, text, dates[-1] if dates else None, " and ".join(speakers) or None)
        return {**item, "source": list(source), "score": score}


def _item(memory_id: str, text: str, date: str | None, speaker: str | None) -> dict[str, Any]:
    return {
        "id": memory_id,
        "text": text,
        "session_date": date,
        "speaker": speaker,
        "source": [memory_id],
        "score": None,
    }


async def _context(
    answering: Answering, store: BaseStore, namespace: tuple[str, ...], query: Query, turns: _Turns
) -> tuple[list[dict[str, Any]], float | None]:
    """What the answer model is shown, and the seconds the search alone took."""
    if answering.context_source == "conversation":
        return list(turns.items), None
    if answering.context_source == "none":
        return [], None
    clock = asyncio.get_running_loop()  # the clock model call latencies are measured on
    started = clock.time()
    items = await store.asearch(
        namespace, query=query.query, limit=answering.config.answer_top_k, mode=answering.mode
    )
    took = clock.time() - started
    context = [
        turns.describe(
            item.key,
            memory_text(item.value.get("content")),
            item.value.get("source") or [],
            item.score,
        )
        for item in items
        if item.namespace == namespace
    ]
    return context, took


async def answer_case(
    answering: Answering,
    store: BaseStore,
    case: Case,
    namespace: tuple[str, ...],
    key: RowKey,
) -> tuple[list[AnswerRow], dict[str, float]]:
    """The answer rows of one case x repeat and their additive metric columns."""
    source = case.metadata.get("source")
    turns = _Turns(case)
    plan = [(i, q) for i, q in enumerate(case.queries) if answerable(q, source)]
    rows = await asyncio.gather(
        *(
            _answer_one(answering, store, case, namespace, key, index, query, turns)
            for index, query in plan
        )
    )
    return list(rows), answer_counts(_result(row) for row in rows)


async def _answer_one(
    answering: Answering,
    store: BaseStore,
    case: Case,
    namespace: tuple[str, ...],
    key: RowKey,
    index: int,
    query: Query,
    turns: _Turns,
) -> AnswerRow:
    source = case.metadata.get("source")
    kind = question_kind(source, query.category, query.abstention)
    async with answering.slots:
        context, search_s = await _context(answering, store, namespace, query, turns)
        prompt = answering.template(source).render_values(
            {
                "question": query.query,
                "question_date": query.question_date,
                "source": answering.context_source,
                "memories": context,
            }
        )
        answer, error, answer_s = await _ask(answering, prompt)
        gold = query.answer if query.answer is not None else _DECLINE_GOLD
        verdict = await _judge(answering, source, query, gold, answer, kind)
    text = "\n".join(item["text"] for item in context)
    row = AnswerRow(
        run_id=key.run_id,
        case_id=key.case_id,
        repeat=key.repeat,
        query_index=index,
        query_id=query.id,
        question=query.query,
        gold_answer=query.answer,
        category=category_label(source, query.category),
        kind=kind,
        question_date=query.question_date,
        context_source=answering.context_source,
        search_mode=answering.mode if answering.context_source == "memories" else None,
        retrieved=[item["id"] for item in context] if search_s is not None else [],
        context=context,
        context_tokens=count_tokens(text=text) if text else 0,
        answer_model=answering.config.answer_model or "",
        answer=answer,
        answer_error=error,
        search_latency_s=search_s,
        answer_latency_s=answer_s,
        f1=None,
        bleu1=None,
        em=None,
        declined=None,
    )
    _score(row, gold, kind)
    if verdict is not None:
        row.judge_model = answering.config.judge_model
        row.judge_protocol = answering.protocol(source)
        row.verdict, row.judge_reason = verdict.label, verdict.reason
        row.judge_error = verdict.error
    return row


async def _ask(answering: Answering, prompt: str) -> tuple[str | None, str | None, float | None]:
    """(answer, error, seconds of the call alone; 0 for a cache hit)."""
    config = GenerateConfig(temperature=answering.config.temperature, max_tokens=300)
    try:
        with call_purpose("answer"):
            response = await answering.model.agenerate(
                [{"role": "user", "content": prompt}], config=config
            )
    except ModelError as exc:
        return None, str(exc), None
    return (response.text or "").strip(), None, response.usage.latency_s


async def _judge(
    answering: Answering, source: Any, query: Query, gold: str, answer: str | None, kind: str
) -> Any:
    if answering.judge is None or answer is None:
        return None

    return await ajudge_answer(
        answering.judge,
        query.query,
        gold,
        answer,
        protocol=answering.protocol(source),
        type=category_label(source, query.category),
        abstention=kind != "answer",
        question_date=query.question_date,
    )


def _score(row: AnswerRow, gold: str, kind: str) -> None:
    if row.answer is None:
        return
    scores = score_answer(gold, row.answer)
    row.declined = scores.declined
    if kind == "answer":
        row.f1, row.bleu1, row.em = scores.f1, scores.bleu1, scores.em


def _result(row: AnswerRow) -> Any:
    return QuestionResult(
        kind=row.kind,
        category=row.category,
        answered=row.answer is not None,
        f1=row.f1,
        bleu1=row.bleu1,
        em=row.em,
        declined=row.declined,
        verdict=None if row.verdict in (None, "error") else row.verdict == "correct",
        judge_error=row.verdict == "error",
        context_tokens=row.context_tokens,
    )
