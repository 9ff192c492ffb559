"""The records scoring produces for each op and session: what the runner stores per op."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from harness.data.keyterms import KeyTermCheck

OP_TYPES = ("insert", "update", "delete")
CONFUSIONS = (
    "missed",
    "wrong_content",
    "duplicate_instead_of_update",
    "wrong_target_update",
    "delete_instead_of_update",
    "spurious",
)
Outcome = Literal[
    "matched",
    "optional_matched",
    "optional_unmatched",
    "missed",
    "wrong_content",
    "duplicate_instead_of_update",
    "wrong_target_update",
    "delete_instead_of_update",
    "spurious",
    "unlabeled",
]


@dataclass(frozen=True)
class OpOutcome:
    """What became of one gold or predicted op.

    ``index`` is the op's position in its session list (gold ``expected`` or the predicted ops,
    ``none`` ops included); ``id`` is the gold target key (ref or id) or the predicted memory id;
    ``target`` (gold side) is the predicted memory id the gold target maps to, when known.
    ``partner`` is the index of the op on the other side it was matched or linked with.
    ``counted`` says whether the op entered the TP/FP/FN counts.
    """

    side: Literal["gold", "predicted"]
    op: Literal["insert", "update", "delete"]
    index: int
    id: str
    outcome: Outcome
    reason: str
    counted: bool
    text: str | None = None
    target: str | None = None
    optional: bool = False
    partner: int | None = None
    partner_id: str | None = None
    similarity: float | None = None
    key_terms: KeyTermCheck | None = None


@dataclass
class SessionScore:
    """The outcome of one session: per-op records, counts, and the id map after it."""

    session: int
    partial: bool
    nothing_expected: bool
    gold: list[OpOutcome]
    predicted: list[OpOutcome]
    id_map: dict[str, str]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def exact(self) -> bool:
        """Every required gold op matched and nothing counted as a false positive."""
        return not any(self.counts[f"{t}_fn"] or self.counts[f"{t}_fp"] for t in OP_TYPES)

    @property
    def false_positive(self) -> bool:
        """In a session expecting nothing (non-partial): whether anything was predicted."""
        return self.nothing_expected and any(self.counts[f"{t}_fp"] for t in OP_TYPES)
