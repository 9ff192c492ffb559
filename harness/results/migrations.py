"""The results database schema, as ordered migrations recorded in ``schema_migrations``.

A migration is applied once, in its own transaction, and never edited after it shipped: a schema
change is a new migration appended to :data:`MIGRATIONS`. Views are created with ``CREATE OR
REPLACE`` so a later migration can redefine them. ``docs/results.md`` documents every table
and view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from harness.errors import ConfigurationError


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


_V1_TABLES = """
CREATE TABLE runs (
    run_id              VARCHAR PRIMARY KEY,
    name                VARCHAR,
    status              VARCHAR NOT NULL,          -- running | finished | interrupted | failed
    dataset_path        VARCHAR NOT NULL,
    dataset_name        VARCHAR NOT NULL,
    dataset_hash        VARCHAR NOT NULL,          -- hash of the selected cases
    dataset_source_hash VARCHAR NOT NULL,          -- hash of the whole file
    selection           JSON,                      -- split / tags / limit applied
    n_cases             INTEGER NOT NULL,
    repeats             INTEGER NOT NULL,
    model               VARCHAR NOT NULL,
    template_name       VARCHAR NOT NULL,
    template_hash       VARCHAR NOT NULL,
    template_text       VARCHAR NOT NULL,
    instructions_hash   VARCHAR NOT NULL,          -- hash of the rendered instructions
    matcher             VARCHAR NOT NULL,
    matcher_threshold   DOUBLE,
    state_mode          VARCHAR NOT NULL,          -- predicted | gold
    parameters          JSON NOT NULL,             -- the full RunConfig
    components          JSON,                      -- matcher, retrieval, manager descriptions
    harness_version     VARCHAR NOT NULL,
    git_revision        VARCHAR,
    python_version      VARCHAR NOT NULL,
    package_versions    JSON,
    schema_version      INTEGER NOT NULL,
    started_at          TIMESTAMP NOT NULL,        -- UTC
    finished_at         TIMESTAMP,
    error               VARCHAR,
    metrics             JSON                       -- every aggregate, once finished
);

CREATE TABLE case_results (
    run_id         VARCHAR NOT NULL,
    case_id        VARCHAR NOT NULL,
    repeat         INTEGER NOT NULL,
    split          VARCHAR NOT NULL,
    tags           VARCHAR[] NOT NULL,
    case_hash      VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,               -- ok | error
    error_type     VARCHAR,
    error          VARCHAR,
    n_sessions     INTEGER NOT NULL,
    latency_s      DOUBLE NOT NULL,
    input_tokens   BIGINT NOT NULL,
    output_tokens  BIGINT NOT NULL,
    cost_usd       DOUBLE,
    n_calls        INTEGER NOT NULL,
    retries        INTEGER NOT NULL,
    cached_calls   INTEGER NOT NULL,
    counts         JSON,                           -- additive extraction counts
    retrieval      JSON,                           -- additive retrieval sums per state and mode
    timings        JSON,                           -- seconds per phase
    finished_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, case_id, repeat)
);

CREATE TABLE ops (
    run_id         VARCHAR NOT NULL,
    case_id        VARCHAR NOT NULL,
    repeat         INTEGER NOT NULL,
    session_index  INTEGER NOT NULL,
    side           VARCHAR NOT NULL,               -- gold | predicted
    op_index       INTEGER NOT NULL,
    op             VARCHAR NOT NULL,               -- insert | update | delete
    memory_id      VARCHAR,                        -- predicted memory id
    ref            VARCHAR,                        -- gold id or ref
    kind           VARCHAR,
    content        VARCHAR,
    optional       BOOLEAN NOT NULL,
    outcome        VARCHAR NOT NULL,
    counted        BOOLEAN NOT NULL,
    partner_index  INTEGER,
    partner_id     VARCHAR,
    similarity     DOUBLE,
    key_terms_ok   BOOLEAN,
    key_terms      VARCHAR,
    reason         VARCHAR NOT NULL,
    source         JSON
);

CREATE TABLE final_state (
    run_id      VARCHAR NOT NULL,
    case_id     VARCHAR NOT NULL,
    repeat      INTEGER NOT NULL,
    side        VARCHAR NOT NULL,                  -- gold | predicted
    memory_id   VARCHAR NOT NULL,
    content     VARCHAR NOT NULL,
    outcome     VARCHAR NOT NULL,
    partner_id  VARCHAR,
    similarity  DOUBLE,
    reason      VARCHAR
);

CREATE TABLE queries (
    run_id        VARCHAR NOT NULL,
    case_id       VARCHAR NOT NULL,
    repeat        INTEGER NOT NULL,
    query_index   INTEGER NOT NULL,
    query_id      VARCHAR,
    query         VARCHAR NOT NULL,
    state         VARCHAR NOT NULL,                -- end_to_end | gold
    mode          VARCHAR NOT NULL,                -- vector | fts | hybrid
    relevance     VARCHAR NOT NULL,                -- ids | messages
    relevant      JSON NOT NULL,
    n_relevant    INTEGER NOT NULL,
    retrieved     JSON NOT NULL,                   -- memory ids, best first
    retrieved_refs JSON NOT NULL,                  -- the gold id/ref of each, null if none
    recall_at_1   DOUBLE NOT NULL,
    recall_at_3   DOUBLE NOT NULL,
    recall_at_5   DOUBLE NOT NULL,
    recall_at_10  DOUBLE NOT NULL,
    mrr           DOUBLE NOT NULL,
    ndcg_at_1     DOUBLE NOT NULL,
    ndcg_at_3     DOUBLE NOT NULL,
    ndcg_at_5     DOUBLE NOT NULL,
    ndcg_at_10    DOUBLE NOT NULL,
    latency_s     DOUBLE
);

CREATE TABLE llm_calls (
    run_id         VARCHAR NOT NULL,
    case_id        VARCHAR NOT NULL,
    repeat         INTEGER NOT NULL,
    session_index  INTEGER,                        -- null: not made while replaying a session
    call_index     INTEGER NOT NULL,
    model          VARCHAR NOT NULL,
    purpose        VARCHAR NOT NULL,               -- extract | judge | query | ...
    input_tokens   BIGINT NOT NULL,
    output_tokens  BIGINT NOT NULL,
    cost_usd       DOUBLE,
    latency_s      DOUBLE NOT NULL,
    retries        INTEGER NOT NULL,
    cached         BOOLEAN NOT NULL,
    error          VARCHAR,
    cache_key      VARCHAR
);

CREATE TABLE run_metrics (
    run_id   VARCHAR NOT NULL,
    metric   VARCHAR NOT NULL,
    value    DOUBLE,
    ci_low   DOUBLE,
    ci_high  DOUBLE,
    n        INTEGER NOT NULL,
    PRIMARY KEY (run_id, metric)
);
"""

V1_SUMMARY_METRICS: tuple[str, ...] = (
    "micro_f1",
    "insert_f1",
    "update_f1",
    "delete_f1",
    "exact_session_accuracy",
    "nothing_to_store_fpr",
    "final_f1",
    "e2e_hybrid_recall@5",
    "e2e_hybrid_mrr",
    "gold_hybrid_recall@5",
)
"""Metrics migration 1's ``run_summary`` view pivots into columns (``@`` becomes ``_at_``).

Frozen with migration 1, on purpose not the metric catalogue's live lists: editing those must not
change what a shipped migration creates. Pivot other metrics in a new migration."""


def _column(metric: str) -> str:
    return metric.replace("@", "_at_")


def _run_summary_sql(headline: tuple[str, ...]) -> str:
    pivots = ",\n        ".join(
        f"max(value) FILTER (WHERE metric = '{m}') AS \"{_column(m)}\",\n        "
        f"max(ci_low) FILTER (WHERE metric = '{m}') AS \"{_column(m)}_low\",\n        "
        f"max(ci_high) FILTER (WHERE metric = '{m}') AS \"{_column(m)}_high\""
        for m in headline
    )
    return f"""
CREATE OR REPLACE VIEW run_summary AS
WITH cases AS (
    SELECT run_id,
           count(*)::BIGINT AS case_repeats,
           count(DISTINCT case_id) AS cases,
           count(*) FILTER (WHERE status = 'error') AS errors,
           sum(input_tokens)::BIGINT AS input_tokens,
           sum(output_tokens)::BIGINT AS output_tokens,
           sum(cost_usd) AS cost_usd,
           sum(n_calls)::BIGINT AS n_calls,
           sum(retries)::BIGINT AS retries,
           avg(latency_s) AS mean_case_latency_s
    FROM case_results GROUP BY run_id
), metrics AS (
    SELECT run_id,
        {pivots}
    FROM run_metrics GROUP BY run_id
)
SELECT r.run_id, r.name, r.status, r.model, r.template_name, r.template_hash,
       r.dataset_name, r.dataset_hash, r.state_mode, r.matcher, r.repeats, r.n_cases,
       r.started_at, r.finished_at,
       coalesce(c.case_repeats, 0) AS case_repeats, coalesce(c.errors, 0) AS errors,
       c.input_tokens, c.output_tokens, c.cost_usd, c.n_calls, c.retries, c.mean_case_latency_s,
       m.* EXCLUDE (run_id)
FROM runs r
LEFT JOIN cases c USING (run_id)
LEFT JOIN metrics m USING (run_id);
"""


_V1_OP_OUTCOMES = """
CREATE OR REPLACE VIEW op_outcomes AS
SELECT o.*,
       r.name AS run_name, r.model, r.template_name, r.template_hash, r.dataset_name,
       r.state_mode, r.matcher,
       c.split, c.tags, c.status AS case_status
FROM ops o
JOIN runs r USING (run_id)
JOIN case_results c USING (run_id, case_id, repeat);
"""

_V2_ANSWERS = """
ALTER TABLE case_results ADD COLUMN answer_counts JSON;  -- additive answer-metric columns

CREATE TABLE answers (
    run_id            VARCHAR NOT NULL,
    case_id           VARCHAR NOT NULL,
    repeat            INTEGER NOT NULL,
    query_index       INTEGER NOT NULL,
    query_id          VARCHAR,
    question          VARCHAR NOT NULL,
    gold_answer       VARCHAR,
    category          VARCHAR,                     -- readable category / question type
    kind              VARCHAR NOT NULL,            -- answer | adversarial | abstention
    question_date     VARCHAR,
    context_source    VARCHAR NOT NULL,            -- memories | conversation | none
    search_mode       VARCHAR,
    retrieved         JSON NOT NULL,               -- memory ids shown, best first
    context           JSON NOT NULL,               -- id, text, session_date, speaker, source
    context_tokens    INTEGER NOT NULL,
    answer_model      VARCHAR NOT NULL,
    answer            VARCHAR,
    answer_error      VARCHAR,
    search_latency_s  DOUBLE,                      -- the search alone
    answer_latency_s  DOUBLE,                      -- the answer call alone
    f1                DOUBLE,
    bleu1             DOUBLE,
    em                DOUBLE,
    declined          BOOLEAN,
    judge_model       VARCHAR,
    judge_protocol    VARCHAR,
    verdict           VARCHAR,                     -- correct | wrong | error; null: not judged
    judge_reason      VARCHAR,
    judge_error       VARCHAR
);
"""

_V3_PARENT = """
ALTER TABLE runs ADD COLUMN parent_run_id VARCHAR;  -- harness rejudge: the run judged again
"""

_V4_UNKNOWN_USAGE = "".join(
    f"ALTER TABLE case_results ALTER COLUMN {column} DROP NOT NULL;\n"
    for column in ("input_tokens", "output_tokens", "n_calls", "retries", "cached_calls")
)  # NULL: unknown, for a system that calls its models itself (LangMem, Mem0)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "runs, case results, ops, final state, queries, llm calls, metrics, views",
              _V1_TABLES + _run_summary_sql(V1_SUMMARY_METRICS) + _V1_OP_OUTCOMES),
    Migration(2, "answers: the answer stage's per-question rows and per-case sums",
              _V2_ANSWERS),
    Migration(3, "runs.parent_run_id: the run a re-judged run copied its answers from",
              _V3_PARENT),
    Migration(4, "case_results: model-call totals may be NULL (unknown to the harness)",
              _V4_UNKNOWN_USAGE),
)  # fmt: skip

LATEST_VERSION = MIGRATIONS[-1].version


def utc_now() -> datetime:
    """Now in UTC, naive: every TIMESTAMP column holds UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class MigrationSet:
    """One schema's ordered migrations and the table recording which are applied.

    The results schema (``schema_migrations``) and the optimizer's tables
    (``optimize_migrations``) share a database but evolve independently; both go through this.
    """

    record_table: str
    label: str  # how errors name the schema: "schema", "optimizer schema"
    migrations: tuple[Migration, ...]

    def __post_init__(self) -> None:
        versions = [m.version for m in self.migrations]
        if versions != list(range(1, len(versions) + 1)):
            raise AssertionError(f"migrations must be numbered 1..n in order, got {versions}")

    @property
    def latest(self) -> int:
        return self.migrations[-1].version

    def applied(self, con: Any) -> list[int]:
        """The versions recorded in ``con`` (creating the record table if missing)."""
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {self.record_table} ("
            " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
        rows = con.execute(f"SELECT version FROM {self.record_table} ORDER BY 1").fetchall()
        return [row[0] for row in rows]

    def applied_read_only(self, con: Any) -> list[int]:
        """The versions recorded in ``con``, without creating anything."""
        found = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        if self.record_table not in {row[0] for row in found}:
            return []
        return [
            row[0] for row in con.execute(f"SELECT version FROM {self.record_table}").fetchall()
        ]

    def migrate(self, con: Any, *, where: str = "results database") -> int:
        """Apply every migration not yet recorded, each in its own transaction; return the
        version reached. A database newer than this harness is refused, naming ``where``."""
        done = self.applied(con)
        if done and max(done) > self.latest:
            raise ConfigurationError(
                f"{where}: {self.label} version {max(done)} is newer than this harness supports "
                f"({self.latest}); upgrade memory-harness to read it"
            )
        for migration in self.migrations:
            if migration.version in done:
                continue
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(migration.sql)
                con.execute(
                    f"INSERT INTO {self.record_table} VALUES (?, ?, ?)",
                    [migration.version, migration.name, utc_now()],
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return self.latest


RESULTS_SCHEMA = MigrationSet("schema_migrations", "schema", MIGRATIONS)


def migrate(con: Any, *, where: str = "results database") -> int:
    """Apply every results migration not yet recorded; return the schema version reached."""
    return RESULTS_SCHEMA.migrate(con, where=where)
