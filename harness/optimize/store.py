"""Reading and writing the optimizer's tables (schema in :mod:`harness.optimize._schema`).

:class:`OptimizeStore` works on its own cursor of the results database a
:class:`~harness.results.db.ResultsStore` has open, so an optimization and the runs evaluating
its candidates land in one file. Every statement is parameterised; table and column names come
from the row classes below, never from input.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from harness.errors import ConfigurationError
from harness.optimize._schema import migrate
from harness.optimize.budget import Spend
from harness.results.tables import find_row, insert_rows, select_rows, transaction, update_row

R = TypeVar("R")


@dataclass
class OptimizationRow:
    TABLE: ClassVar[str] = "optimizations"
    JSON_FIELDS: ClassVar[frozenset[str]] = frozenset({"config", "splits", "result"})

    opt_id: str
    name: str | None
    status: str
    phase: str
    config: dict[str, Any]
    dataset_path: str
    dataset_hash: str
    start_template: str
    start_hash: str
    metric: str
    splits: dict[str, list[str]]
    stop_reason: str | None
    winner_id: str | None
    out_path: str | None
    result: dict[str, Any] | None
    harness_version: str
    git_revision: str | None
    started_at: datetime
    finished_at: datetime | None = None
    error: str | None = None


@dataclass
class CandidateRow:
    TABLE: ClassVar[str] = "opt_candidates"
    JSON_FIELDS: ClassVar[frozenset[str]] = frozenset()

    opt_id: str
    candidate_id: str
    parent_id: str | None
    iteration: int
    status: str
    template_hash: str
    template_text: str
    created_at: datetime


@dataclass
class ScoreRow:
    TABLE: ClassVar[str] = "opt_scores"
    JSON_FIELDS: ClassVar[frozenset[str]] = frozenset({"counts"})

    opt_id: str
    candidate_id: str
    case_id: str
    split: str
    stage: str
    status: str
    score: float
    counts: dict[str, float]  # extraction counts and, for answer objectives, answer columns
    error: str | None
    run_id: str


@dataclass
class ProposalRow:
    TABLE: ClassVar[str] = "opt_proposals"
    JSON_FIELDS: ClassVar[frozenset[str]] = frozenset({"minibatch", "messages"})

    opt_id: str
    iteration: int
    parent_id: str
    minibatch: list[str]
    proposer: str
    messages: list[dict[str, Any]]
    response: str | None
    outcome: str
    error: str | None
    candidate_id: str | None
    parent_score: float | None
    candidate_score: float | None
    created_at: datetime


@dataclass
class SpendRow:
    TABLE: ClassVar[str] = "opt_spend"
    JSON_FIELDS: ClassVar[frozenset[str]] = frozenset()

    opt_id: str
    seq: int
    iteration: int
    step: str
    candidate_id: str | None
    run_id: str | None
    calls: int
    cached_calls: int
    cost_usd: float
    unpriced_calls: int
    input_tokens: int
    output_tokens: int
    max_call_cost: float
    bound_calls: int
    recorded_at: datetime

    def spend(self) -> Spend:
        return Spend(
            calls=self.calls,
            cost_usd=self.cost_usd,
            cached_calls=self.cached_calls,
            unpriced_calls=self.unpriced_calls,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            max_call_cost=self.max_call_cost,
        )


class OptimizeStore:
    """The optimizer's rows, over a cursor of the results database's connection."""

    def __init__(self, connection: Any, *, where: str = "results database") -> None:
        self._con = connection.cursor()
        self.where = where
        self.schema_version = migrate(self._con, where=where)

    @classmethod
    def of(cls, results: Any) -> OptimizeStore:
        """The optimizer's store inside an open :class:`~harness.results.db.ResultsStore`."""
        return cls(results.connection, where=results.where)

    def close(self) -> None:
        self._con.close()

    # -- plumbing ----------------------------------------------------------------------------

    def _transaction(self) -> AbstractContextManager[Any]:
        return transaction(self._con)

    def _insert(self, con: Any, rows: Sequence[Any]) -> None:
        if rows:
            insert_rows(con, type(rows[0]), rows)

    def _select(self, cls: type[R], where: str, params: Sequence[Any], order: str) -> list[R]:
        return select_rows(self._con, cls, where, params, order)

    # -- optimizations -----------------------------------------------------------------------

    def create(self, row: OptimizationRow) -> None:
        with self._transaction() as con:
            self._insert(con, [row])

    def get(self, opt_id: str) -> OptimizationRow | None:
        found = self._select(OptimizationRow, "opt_id = ?", [opt_id], "opt_id")
        return found[0] if found else None

    def find(self, ref: str) -> OptimizationRow:
        """An optimization by id, or the latest one with that name."""
        row = find_row(self._con, OptimizationRow, "opt_id", ref, newest="started_at DESC")
        if row is not None:
            return row
        raise ConfigurationError(f"{self.where}: no optimization with id or name {ref!r}")

    def list(self) -> builtins.list[OptimizationRow]:
        return self._select(OptimizationRow, "true", [], "started_at, opt_id")

    def update(self, opt_id: str, **values: Any) -> None:
        """Set columns of an optimization row (names checked against the row class)."""
        with self._transaction() as con:
            update_row(con, OptimizationRow, "opt_id", opt_id, values)

    # -- candidates, scores, proposals -------------------------------------------------------

    def record(
        self,
        *,
        candidates: Sequence[CandidateRow] = (),
        scores: Sequence[ScoreRow] = (),
        proposals: Sequence[ProposalRow] = (),
    ) -> None:
        """Write rows of one step together (all or nothing)."""
        with self._transaction() as con:
            self._insert(con, list(candidates))
            self._insert(con, list(scores))
            self._insert(con, list(proposals))

    def candidates(self, opt_id: str) -> builtins.list[CandidateRow]:
        return self._select(CandidateRow, "opt_id = ?", [opt_id], "iteration, candidate_id")

    def scores(self, opt_id: str, *, split: str | None = None) -> builtins.list[ScoreRow]:
        if split is None:
            return self._select(ScoreRow, "opt_id = ?", [opt_id], "candidate_id, case_id")
        return self._select(
            ScoreRow, "opt_id = ? AND split = ?", [opt_id, split], "candidate_id, case_id"
        )

    def proposals(self, opt_id: str) -> builtins.list[ProposalRow]:
        return self._select(ProposalRow, "opt_id = ?", [opt_id], "iteration")

    # -- spend -------------------------------------------------------------------------------

    def add_spend(self, opt_id: str, row_values: dict[str, Any]) -> SpendRow:
        """Append one step's spend (``seq`` is assigned here)."""
        with self._transaction() as con:
            seq = con.execute(
                "SELECT coalesce(max(seq), 0) + 1 FROM opt_spend WHERE opt_id = ?", [opt_id]
            ).fetchone()[0]
            row = SpendRow(opt_id=opt_id, seq=seq, **row_values)
            self._insert(con, [row])
        return row

    def spend_rows(self, opt_id: str) -> builtins.list[SpendRow]:
        return self._select(SpendRow, "opt_id = ?", [opt_id], "seq")

    def spent(self, opt_id: str) -> Spend:
        return Spend.total(row.spend() for row in self.spend_rows(opt_id))
