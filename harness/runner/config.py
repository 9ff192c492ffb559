"""What a run is: every option that can change its results, as one strict, persisted model.

The whole :class:`RunConfig` is stored with the run (``runs.parameters``), and ``--resume``
rebuilds the run from it, so a field added here is recorded automatically. Options that cannot
change results (the results database, progress display, ``--json``) are not part of it, except
``concurrency``, kept for the record and the only field ``--resume`` may change.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness._bundled import resolve_data_file
from harness.scoring.metrics import StateMode
from harness.systems.registry import normalise_system

DEFAULT_DATASET = "datasets/core.jsonl"
DEFAULT_MODEL = "baseline/heuristic"
DEFAULT_PROMPT = "default"

SearchModeName = Literal["vector", "fts", "hybrid"]
SEARCH_MODES: tuple[SearchModeName, ...] = ("vector", "fts", "hybrid")
CacheModeName = Literal["read-write", "read-only", "off"]
SplitName = Literal["train", "dev", "test"]
JudgeProtocolName = Literal["locomo", "longmemeval"]

ENV_VARS: dict[str, str] = {
    "dataset": "HARNESS_DATASET",
    "model": "HARNESS_MODEL",
    "system": "HARNESS_SYSTEM",
    "prompt": "HARNESS_PROMPT",
    "concurrency": "HARNESS_CONCURRENCY",
    "cache": "HARNESS_CACHE",
    "matcher": "HARNESS_MATCHER",
    "judge_model": "HARNESS_JUDGE_MODEL",
    "answer_model": "HARNESS_ANSWER_MODEL",
}
"""Environment variables that set an option's default (the CLI documents them)."""


class RunConfig(BaseModel):
    """Everything that defines a run; unknown fields are refused, so a typo fails loudly.

    ``system`` is the system under test when it is not this project's own for ``model``: a
    peer library run on ``model`` (``langmem``, ``mem0``) or ``module:attr`` naming your own
    (:mod:`harness.systems`).

    Dataset selection (``split``, ``tags``, ``case_ids``, ``limit``) is applied in that order to
    the file's cases. ``state="gold"`` resets each case's store to the gold state before every
    session, so each session is scored on its own. ``search_modes`` are the retrieval modes each
    query is run in, end to end and over the gold final state, returning ``top_k`` memories;
    ``pooled`` also runs each query over the pool of every case's gold memories plus at least
    500 near-duplicate distractors (:mod:`harness.runner.pool`), scored as ``pooled_*``.
    ``retrieval_mode``/``query_limit`` are how the store manager finds the memories it shows the
    extractor. ``n_resamples``/``seed`` drive the bootstrap intervals.

    ``answer_model`` turns on the answer stage for queries with a reference answer: each is
    answered from the ``answer_top_k`` memories found in ``answer_search_mode`` (default: the
    system's own ``retrieval_mode``) through ``answer_template`` (default: ``locomo`` for LoCoMo
    imports, else ``default``), and judged by ``judge_model`` (when set) under
    ``judge_protocol`` (default: by the dataset's origin).
    """

    model_config = ConfigDict(extra="forbid")

    dataset: str = DEFAULT_DATASET
    model: str = DEFAULT_MODEL
    system: str | None = None
    prompt: str = DEFAULT_PROMPT
    name: str | None = None

    split: SplitName | None = None
    tags: list[str] = Field(default_factory=list)
    case_ids: list[str] = Field(default_factory=list)
    limit: int | None = Field(default=None, ge=0)

    repeats: int = Field(default=1, ge=1)
    concurrency: int = Field(default=8, ge=1)
    state: StateMode = "predicted"
    cache: CacheModeName = "read-write"

    enable_inserts: bool = True
    enable_updates: bool = True
    enable_deletes: bool = True
    max_steps: int = Field(default=1, ge=1)
    max_repairs: int = Field(default=1, ge=0)
    temperature: float | None = 0.0
    today: str | None = None
    retrieval_mode: SearchModeName = "vector"
    query_limit: int = Field(default=5, ge=1)

    matcher: str = "default"
    matcher_threshold: float | None = Field(default=None, allow_inf_nan=False)
    judge_model: str | None = None
    search_modes: list[SearchModeName] = Field(default_factory=lambda: list(SEARCH_MODES))
    top_k: int = Field(default=10, ge=1)
    pooled: bool = False
    embedder: str | None = None

    answer_model: str | None = None
    answer_template: str | None = None
    answer_search_mode: SearchModeName | None = None
    answer_top_k: int = Field(default=10, ge=1)
    judge_protocol: JudgeProtocolName | None = None

    n_resamples: int = Field(default=1000, ge=0)
    seed: int = 0

    @field_validator("search_modes")
    @classmethod
    def _modes(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one search mode is needed")
        return list(dict.fromkeys(value))

    @field_validator("system")
    @classmethod
    def _system(cls, value: str | None) -> str | None:
        return normalise_system(value)

    @field_validator("model", "dataset", "prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("model", "answer_model", "judge_model")
    @classmethod
    def _known_provider(cls, value: str | None, info: Any) -> str | None:
        from harness.models.names import check_model_name

        if value is not None:
            check_model_name(value.strip(), "--" + info.field_name.replace("_", "-"))
        return value

    @model_validator(mode="after")
    def _some_operation(self) -> RunConfig:
        if not (self.enable_inserts or self.enable_updates or self.enable_deletes):
            raise ValueError(
                "enable_inserts, enable_updates and enable_deletes are all off: the memory "
                "system could not change anything (every case would fail); enable at least one"
            )
        return self


def resolve_dataset_path(dataset: str) -> Path:
    """The dataset file: a path (relative to the working directory) or a bundled dataset's
    name (``core``), so ``harness run`` works from any directory after ``pip install``."""
    return resolve_data_file(dataset)


def env_default(field: str) -> str | None:
    """The environment variable's value for an option, if set and not blank."""
    name = ENV_VARS.get(field)
    value = os.environ.get(name, "").strip() if name else ""
    return value or None
