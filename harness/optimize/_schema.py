"""The optimizer's tables, as ordered migrations recorded in ``optimize_migrations``.

They live in the results database beside the runs they evaluate (every evaluation is a run;
``opt_scores.run_id`` points at it), but keep their own migration record, so the results schema
and this one evolve independently. A shipped migration is never edited; a change is a new one.
"""

from __future__ import annotations

from typing import Any

from harness.results.migrations import Migration, MigrationSet

_V1 = """
CREATE TABLE optimizations (
    opt_id          VARCHAR PRIMARY KEY,
    name            VARCHAR,
    status          VARCHAR NOT NULL,     -- running | finished | failed | interrupted
    phase           VARCHAR NOT NULL,     -- search | select | report | done
    config          JSON NOT NULL,        -- the full OptimizeConfig
    dataset_path    VARCHAR NOT NULL,
    dataset_hash    VARCHAR NOT NULL,     -- hash of the selected cases
    start_template  VARCHAR NOT NULL,
    start_hash      VARCHAR NOT NULL,
    metric          VARCHAR NOT NULL,
    splits          JSON NOT NULL,        -- {"train": [case ids], "dev": [...], "test": [...]}
    stop_reason     VARCHAR,
    winner_id       VARCHAR,
    out_path        VARCHAR,
    result          JSON,                 -- dev selection and the paired test report
    harness_version VARCHAR NOT NULL,
    git_revision    VARCHAR,
    started_at      TIMESTAMP NOT NULL,   -- UTC
    finished_at     TIMESTAMP,
    error           VARCHAR
);

CREATE TABLE opt_candidates (
    opt_id        VARCHAR NOT NULL,
    candidate_id  VARCHAR NOT NULL,       -- c0 is the start; cN was proposed in iteration N
    parent_id     VARCHAR,
    iteration     INTEGER NOT NULL,
    status        VARCHAR NOT NULL,       -- evaluated | screened_out
    template_hash VARCHAR NOT NULL,
    template_text VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (opt_id, candidate_id)
);

CREATE TABLE opt_scores (
    opt_id        VARCHAR NOT NULL,
    candidate_id  VARCHAR NOT NULL,
    case_id       VARCHAR NOT NULL,
    split         VARCHAR NOT NULL,       -- train | dev | test
    stage         VARCHAR NOT NULL,       -- start | screen | train | dev | test
    status        VARCHAR NOT NULL,       -- ok | error
    score         DOUBLE NOT NULL,        -- the per-case objective
    counts        JSON NOT NULL,          -- the additive counts (error cases: all gold missed)
    error         VARCHAR,
    run_id        VARCHAR NOT NULL,       -- the run that evaluated it (runs table)
    PRIMARY KEY (opt_id, candidate_id, case_id)
);

CREATE TABLE opt_proposals (
    opt_id          VARCHAR NOT NULL,
    iteration       INTEGER NOT NULL,
    parent_id       VARCHAR NOT NULL,
    minibatch       JSON NOT NULL,        -- the failing train case ids shown
    proposer        VARCHAR NOT NULL,
    messages        JSON NOT NULL,        -- the reflection prompt
    response        VARCHAR,
    outcome         VARCHAR NOT NULL,     -- accepted | rejected | invalid | duplicate | error
    error           VARCHAR,
    candidate_id    VARCHAR,
    parent_score    DOUBLE,               -- on the minibatch
    candidate_score DOUBLE,               -- on the minibatch
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (opt_id, iteration)
);

CREATE TABLE opt_spend (
    opt_id         VARCHAR NOT NULL,
    seq            INTEGER NOT NULL,
    iteration      INTEGER NOT NULL,      -- 0: the start evaluation and everything after search
    step           VARCHAR NOT NULL,      -- start | propose | screen | train | dev | test
    candidate_id   VARCHAR,
    run_id         VARCHAR,
    calls          INTEGER NOT NULL,      -- provider calls (cache hits excluded)
    cached_calls   INTEGER NOT NULL,
    cost_usd       DOUBLE NOT NULL,
    unpriced_calls INTEGER NOT NULL,
    input_tokens   BIGINT NOT NULL,
    output_tokens  BIGINT NOT NULL,
    max_call_cost  DOUBLE NOT NULL,
    bound_calls    INTEGER NOT NULL,      -- the worst case the step was admitted with
    recorded_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (opt_id, seq)
);

CREATE OR REPLACE VIEW opt_candidate_scores AS
SELECT c.opt_id, c.candidate_id, c.parent_id, c.iteration, c.status, s.split,
       count(s.case_id) AS cases, avg(s.score) AS mean_case_score,
       count(*) FILTER (WHERE s.status = 'error') AS errors
FROM opt_candidates c
LEFT JOIN opt_scores s USING (opt_id, candidate_id)
GROUP BY ALL;

CREATE OR REPLACE VIEW opt_spend_totals AS
SELECT opt_id, step, count(*) AS steps, sum(calls)::BIGINT AS calls,
       sum(cached_calls)::BIGINT AS cached_calls, sum(cost_usd) AS cost_usd,
       sum(unpriced_calls)::BIGINT AS unpriced_calls
FROM opt_spend GROUP BY ALL;
"""

OPTIMIZER_SCHEMA = MigrationSet(
    "optimize_migrations",
    "optimizer schema",
    (Migration(1, "optimizations, candidates, per-case scores, proposals, spend; views", _V1),),
)
LATEST_VERSION = OPTIMIZER_SCHEMA.latest


def migrate(con: Any, *, where: str = "results database") -> int:
    """Apply every optimizer migration not yet recorded; return the version reached."""
    return OPTIMIZER_SCHEMA.migrate(con, where=where)
