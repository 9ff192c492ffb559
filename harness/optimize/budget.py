"""The optimizer's budget: what was spent, what a step may cost at worst, and whether it fits.

A *call* is a model call that reached a provider: extraction, judge and proposer calls alike. A
response served from the harness's cache costs nothing and is not counted (it is tallied as
``cached_calls``), so re-evaluating a template after ``--resume`` is free. Retries inside one call
belong to that call.

The rule is "never start a step that could cross a ceiling": before every step (an evaluation,
a proposal) the optimizer computes the step's worst case, adds the reserve it keeps for the final
dev selection and test report, and starts the step only if that fits in what is left. Calls are
bounded exactly (see :func:`evaluation_bound`). Dollars are known only after a call, so a step's
worst-case cost is its call bound times the most expensive call seen so far; calls whose model
has no price are counted as $0 and flagged (``unpriced_calls``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from harness.models.types import CallRecord


@dataclass(frozen=True)
class Spend:
    """Calls and dollars spent (or a step's worst case), additive."""

    calls: int = 0
    cost_usd: float = 0.0
    cached_calls: int = 0
    unpriced_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    max_call_cost: float = 0.0  # the most expensive single call seen (for estimates)

    def __add__(self, other: Spend) -> Spend:
        return Spend(
            calls=self.calls + other.calls,
            cost_usd=self.cost_usd + other.cost_usd,
            cached_calls=self.cached_calls + other.cached_calls,
            unpriced_calls=self.unpriced_calls + other.unpriced_calls,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            max_call_cost=max(self.max_call_cost, other.max_call_cost),
        )

    @classmethod
    def of(cls, records: Iterable[CallRecord]) -> Spend:
        """What a list of call records cost (cache hits are tallied, not charged)."""
        total = cls()
        for record in records:
            usage = record.usage
            if usage.cached:
                total = replace(total, cached_calls=total.cached_calls + 1)
                continue
            cost = usage.cost_usd
            total = total + cls(
                calls=1,
                cost_usd=cost or 0.0,
                unpriced_calls=int(cost is None),
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                max_call_cost=cost or 0.0,
            )
        return total

    @classmethod
    def total(cls, parts: Iterable[Spend]) -> Spend:
        out = cls()
        for part in parts:
            out = out + part
        return out

    def describe(self) -> str:
        flag = f" ({self.unpriced_calls} unpriced)" if self.unpriced_calls else ""
        return f"{self.calls} calls, ${self.cost_usd:.4f}{flag}"


@dataclass(frozen=True)
class Budget:
    """Ceilings; ``None`` means no ceiling of that kind."""

    max_calls: int | None = None
    max_cost: float | None = None
    max_iterations: int | None = None


@dataclass(frozen=True)
class CallBounds:
    """The most calls one session can make (extraction steps plus repairs, and judge calls),
    and one question of the answer stage (the answer, and a judgement retried once)."""

    extract_per_session: int
    judge_per_session: int = 0
    per_question: int = 0

    @property
    def per_session(self) -> int:
        return self.extract_per_session + self.judge_per_session


def extraction_bound(max_steps: int, max_repairs: int) -> int:
    """A manager call makes at most ``max_steps`` model calls plus ``max_repairs`` repair calls."""
    return max_steps + max_repairs


def evaluation_bound(session_counts: Sequence[int], bounds: CallBounds, questions: int = 0) -> int:
    """Worst-case calls of evaluating a template on cases with these session counts and this
    many questions for the answer stage."""
    return sum(session_counts) * bounds.per_session + questions * bounds.per_question


def worst_case(calls: int, spent: Spend) -> Spend:
    """A step's worst case: ``calls`` calls, each as dear as the dearest call seen so far."""
    return Spend(calls=calls, cost_usd=calls * spent.max_call_cost)


def refusal(budget: Budget, spent: Spend, step: Spend, reserve: Spend = Spend()) -> str | None:
    """Why ``step`` (with ``reserve`` kept back) may not start, or None when it fits."""
    if budget.max_calls is not None:
        need = spent.calls + step.calls + reserve.calls
        if need > budget.max_calls:
            return (
                f"call budget: {spent.calls} spent + {step.calls} for the next step"
                f" + {reserve.calls} reserved > {budget.max_calls}"
            )
    if budget.max_cost is not None:
        need_cost = spent.cost_usd + step.cost_usd + reserve.cost_usd
        if need_cost > budget.max_cost + 1e-12:
            return (
                f"cost budget: ${spent.cost_usd:.4f} spent + ${step.cost_usd:.4f} for the next"
                f" step + ${reserve.cost_usd:.4f} reserved > ${budget.max_cost:.4f}"
            )
    return None


def iterations_left(budget: Budget, done: int) -> bool:
    return budget.max_iterations is None or done < budget.max_iterations
