"""The labeled case format (one JSON object per line), as pydantic models.

Field-level rules live here; rules that need the whole case (targets exist at that point of the
replay, refs defined before use, ...) live in :mod:`harness.data.validate`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

Split = Literal["train", "dev", "test"]
KeyTerm = str | list[str]
"""A required term, or a list of alternatives of which at least one must occur."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _identifier(value: str) -> str:
    """Ids name cases and memories in the store, the results and the reports: never empty,
    never a control character (a line break in an id breaks every table it appears in)."""
    if not value.strip():
        raise ValueError("must not be empty")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters (line breaks, tabs, ...)")
    return value


Identifier = Annotated[str, AfterValidator(_identifier)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def check_iso_date(value: str | None) -> str | None:
    """Keep an ISO 8601 date or date-time as written; refuse anything else.

    The text is kept (not normalised) so a dataset's content hash does not depend on how a
    parser would re-print it; only whether it parses is checked.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            date.fromisoformat(text)
        else:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"'{value}' is not an ISO 8601 date or date-time (e.g. 2023-05-08 or 2023-05-08T13:56)"
        ) from None
    return value


class Message(_Strict):
    id: Identifier
    role: Literal["user", "assistant", "system"]
    content: str
    name: str | None = None


class ExistingMemory(_Strict):
    id: Identifier
    content: str | dict[str, Any]
    kind: str | None = Field(default=None, description="Schema name; defaults to the case schema.")


class GoldOp(_Strict):
    """One expected operation.

    ``insert`` carries ``ref`` (a label later ops and queries may point at) and ``content``;
    ``update`` names its target by ``id`` (a memory in ``existing``) or ``ref`` (an earlier insert)
    and carries the new ``content``; ``delete`` names its target only.
    """

    op: Literal["insert", "update", "delete"]
    id: Identifier | None = None
    ref: Identifier | None = None
    content: str | dict[str, Any] | None = None
    kind: str | None = None
    optional: bool = False
    require: list[KeyTerm] = Field(default_factory=list)
    forbid: list[str] = Field(default_factory=list)
    source: list[str] = Field(default_factory=list, description="Message ids the fact comes from.")

    @model_validator(mode="after")
    def _shape(self) -> GoldOp:
        if self.op == "insert":
            if self.ref is None:
                raise ValueError("an insert needs a 'ref' label")
            if self.id is not None:
                raise ValueError("an insert takes 'ref', not 'id'")
            if self.content is None:
                raise ValueError("an insert needs 'content'")
        else:
            if (self.id is None) == (self.ref is None):
                article = "an" if self.op == "update" else "a"
                raise ValueError(
                    f"{article} {self.op} needs exactly one of 'id' or 'ref' as its target"
                )
            if self.op == "update" and self.content is None:
                raise ValueError("an update needs the new 'content'")
            if self.op == "delete" and (self.content is not None or self.require or self.forbid):
                raise ValueError("a delete takes no 'content', 'require' or 'forbid'")
        return self

    @property
    def target(self) -> str:
        """The memory this op creates or changes: the insert's ref, else the id or ref named."""
        return self.ref if self.op == "insert" or self.id is None else self.id  # type: ignore[return-value]


class Session(_Strict):
    """One conversation replayed through the manager, with the ops it should produce.

    ``partial`` marks labels that are not exhaustive (imported benchmarks): they count for recall,
    but unmatched predictions in the session are not counted as spurious.
    """

    id: Identifier | None = None
    messages: list[Message] = Field(min_length=1)
    expected: list[GoldOp] = Field(default_factory=list)
    partial: bool = False
    date: str | None = Field(default=None, description="ISO 8601 data time of the session.")
    metadata: dict[str, Any] = Field(default_factory=dict)

    _date = field_validator("date")(check_iso_date)


class Query(_Strict):
    """A question asked after the last session.

    ``relevant`` lists memory ids/refs; ``relevant_messages`` lists message ids, for data whose
    relevance is known only by evidence turns: a stored memory is then relevant when its
    provenance includes one of them. ``relevant_sessions`` lists session ids whose evidence is
    known only at the session level (LongMemEval answer sessions with no turn marked): every
    turn of such a session is evidence for the rank metrics, but not for the turn-level ones.
    A query with none of them is not scored for retrieval, so it needs an ``answer``
    (answer-level evaluation) to be of use.

    ``answer`` is the reference answer, ``category`` the benchmark category or question type,
    ``abstention`` marks a question whose right answer is that it cannot be known, and
    ``question_date`` (ISO 8601) the data time the question is asked at.
    """

    id: Identifier | None = None
    query: str
    relevant: list[str] = Field(default_factory=list)
    relevant_messages: list[str] = Field(default_factory=list)
    relevant_sessions: list[str] = Field(default_factory=list)
    answer: str | None = None
    category: str | None = None
    abstention: bool = False
    question_date: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    _question_date = field_validator("question_date")(check_iso_date)

    @model_validator(mode="after")
    def _has_relevance(self) -> Query:
        if not self.scored_for_retrieval and self.answer is None:
            raise ValueError(
                "a query needs 'relevant', 'relevant_messages', 'relevant_sessions' or an 'answer'"
            )
        return self

    @property
    def scored_for_retrieval(self) -> bool:
        """Whether the query marks relevant memories, evidence messages or evidence sessions."""
        return bool(self.relevant or self.relevant_messages or self.relevant_sessions)


class Case(_Strict):
    id: Identifier
    tags: list[str] = Field(default_factory=list)
    schema_: str = Field(default="Memory", alias="schema")
    existing: list[ExistingMemory] = Field(default_factory=list)
    sessions: list[Session] = Field(min_length=1)
    queries: list[Query] = Field(default_factory=list)
    split: Split | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class MatcherPair(_Strict):
    """A labeled pair for calibrating content matchers; ``a`` is the gold side."""

    id: Identifier
    a: str
    b: str
    same: bool
    require: list[KeyTerm] = Field(default_factory=list)
    forbid: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)


class DatasetHeader(_Strict):
    """The optional first line of a case file: ``{"header": {...}}``.

    ``schemas`` maps a schema name to a JSON Schema (an object with ``properties``) that cases may
    name in ``schema``/``kind`` besides the built-in ``Memory`` and the ``SCHEMAS`` of a
    ``schemas.py`` beside the file.
    """

    schemas: dict[str, dict[str, Any]] = Field(default_factory=dict)
    description: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
