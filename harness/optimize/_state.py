"""The search state as plain data, rebuilt from the database on every start or resume.

Everything the search decides (the front, the parent, the minibatch, the winner) is a function of
this state and the seed, so a resumed optimization makes exactly the choices the interrupted one
would have made.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.optimize.budget import Spend
from harness.optimize.objective import set_score
from harness.optimize.pareto import pareto_front
from harness.optimize.store import CandidateRow, OptimizeStore, ScoreRow

START_ID = "c0"


def candidate_id(iteration: int) -> str:
    return f"c{iteration}"


@dataclass
class SearchState:
    opt_id: str
    metric: str
    splits: dict[str, list[str]]
    candidates: dict[str, CandidateRow] = field(default_factory=dict)
    scores: dict[str, dict[str, ScoreRow]] = field(default_factory=dict)
    iterations_done: int = 0
    spent: Spend = field(default_factory=Spend)

    @classmethod
    def load(
        cls, store: OptimizeStore, opt_id: str, metric: str, splits: dict[str, list[str]]
    ) -> SearchState:
        state = cls(opt_id, metric, splits)
        for row in store.candidates(opt_id):
            state.candidates[row.candidate_id] = row
        for score in store.scores(opt_id):
            state.scores.setdefault(score.candidate_id, {})[score.case_id] = score
        proposals = store.proposals(opt_id)
        state.iterations_done = max((p.iteration for p in proposals), default=0)
        state.spent = store.spent(opt_id)
        return state

    def add(self, candidate: CandidateRow, scores: list[ScoreRow]) -> None:
        self.candidates[candidate.candidate_id] = candidate
        self.add_scores(scores)

    def add_scores(self, scores: list[ScoreRow]) -> None:
        for score in scores:
            self.scores.setdefault(score.candidate_id, {})[score.case_id] = score

    def source(self, candidate: str) -> str:
        return self.candidates[candidate].template_text

    def evaluated(self) -> list[str]:
        """Candidates fully evaluated on train, in creation order."""
        return [c for c, row in self.candidates.items() if row.status == "evaluated"]

    def has(self, candidate: str, split: str) -> bool:
        row = self.scores.get(candidate, {})
        return all(case in row for case in self.splits[split])

    def case_scores(self, candidate: str) -> dict[str, float]:
        return {case: row.score for case, row in self.scores.get(candidate, {}).items()}

    def train_matrix(self) -> dict[str, dict[str, float]]:
        return {c: self.case_scores(c) for c in self.evaluated()}

    def front(self) -> dict[str, int]:
        return pareto_front(self.train_matrix(), self.splits["train"])

    def objective(self, candidate: str, split: str) -> float | None:
        """The set-level objective on a split; None unless every case of it was evaluated."""
        if not self.splits[split] or not self.has(candidate, split):
            return None
        rows = self.scores[candidate]
        return set_score([rows[case].counts for case in self.splits[split]], self.metric)

    def best(self, split: str) -> tuple[str | None, float | None]:
        values = [(self.objective(c, split), c) for c in self.candidates]
        scored = [(v, c) for v, c in values if v is not None]
        if not scored:
            return None, None
        value, best = max(scored, key=lambda item: item[0])
        return best, value

    def hashes(self) -> dict[str, str]:
        """Template hash -> the first candidate with it."""
        out: dict[str, str] = {}
        for candidate, row in self.candidates.items():
            out.setdefault(row.template_hash, candidate)
        return out
