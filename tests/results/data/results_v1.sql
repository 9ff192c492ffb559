-- A results database as written by schema version 1 (frozen: never edit).
-- tests/reports/test_db.py loads it and checks that the current code still reads it.
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
        max(value) FILTER (WHERE metric = 'micro_f1') AS "micro_f1",
        max(ci_low) FILTER (WHERE metric = 'micro_f1') AS "micro_f1_low",
        max(ci_high) FILTER (WHERE metric = 'micro_f1') AS "micro_f1_high",
        max(value) FILTER (WHERE metric = 'insert_f1') AS "insert_f1",
        max(ci_low) FILTER (WHERE metric = 'insert_f1') AS "insert_f1_low",
        max(ci_high) FILTER (WHERE metric = 'insert_f1') AS "insert_f1_high",
        max(value) FILTER (WHERE metric = 'update_f1') AS "update_f1",
        max(ci_low) FILTER (WHERE metric = 'update_f1') AS "update_f1_low",
        max(ci_high) FILTER (WHERE metric = 'update_f1') AS "update_f1_high",
        max(value) FILTER (WHERE metric = 'delete_f1') AS "delete_f1",
        max(ci_low) FILTER (WHERE metric = 'delete_f1') AS "delete_f1_low",
        max(ci_high) FILTER (WHERE metric = 'delete_f1') AS "delete_f1_high",
        max(value) FILTER (WHERE metric = 'exact_session_accuracy') AS "exact_session_accuracy",
        max(ci_low) FILTER (WHERE metric = 'exact_session_accuracy') AS "exact_session_accuracy_low",
        max(ci_high) FILTER (WHERE metric = 'exact_session_accuracy') AS "exact_session_accuracy_high",
        max(value) FILTER (WHERE metric = 'nothing_to_store_fpr') AS "nothing_to_store_fpr",
        max(ci_low) FILTER (WHERE metric = 'nothing_to_store_fpr') AS "nothing_to_store_fpr_low",
        max(ci_high) FILTER (WHERE metric = 'nothing_to_store_fpr') AS "nothing_to_store_fpr_high",
        max(value) FILTER (WHERE metric = 'final_f1') AS "final_f1",
        max(ci_low) FILTER (WHERE metric = 'final_f1') AS "final_f1_low",
        max(ci_high) FILTER (WHERE metric = 'final_f1') AS "final_f1_high",
        max(value) FILTER (WHERE metric = 'e2e_hybrid_recall@5') AS "e2e_hybrid_recall_at_5",
        max(ci_low) FILTER (WHERE metric = 'e2e_hybrid_recall@5') AS "e2e_hybrid_recall_at_5_low",
        max(ci_high) FILTER (WHERE metric = 'e2e_hybrid_recall@5') AS "e2e_hybrid_recall_at_5_high",
        max(value) FILTER (WHERE metric = 'e2e_hybrid_mrr') AS "e2e_hybrid_mrr",
        max(ci_low) FILTER (WHERE metric = 'e2e_hybrid_mrr') AS "e2e_hybrid_mrr_low",
        max(ci_high) FILTER (WHERE metric = 'e2e_hybrid_mrr') AS "e2e_hybrid_mrr_high",
        max(value) FILTER (WHERE metric = 'gold_hybrid_recall@5') AS "gold_hybrid_recall_at_5",
        max(ci_low) FILTER (WHERE metric = 'gold_hybrid_recall@5') AS "gold_hybrid_recall_at_5_low",
        max(ci_high) FILTER (WHERE metric = 'gold_hybrid_recall@5') AS "gold_hybrid_recall_at_5_high"
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

CREATE OR REPLACE VIEW op_outcomes AS
SELECT o.*,
       r.name AS run_name, r.model, r.template_name, r.template_hash, r.dataset_name,
       r.state_mode, r.matcher,
       c.split, c.tags, c.status AS case_status
FROM ops o
JOIN runs r USING (run_id)
JOIN case_results c USING (run_id, case_id, repeat);
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL);
INSERT INTO schema_migrations VALUES (1, 'runs, case results, ops, final state, queries, llm calls, metrics, views', TIMESTAMP '2025-01-01 00:00:00');
INSERT INTO runs (run_id, name, status, dataset_path, dataset_name, dataset_hash, dataset_source_hash, selection, n_cases, repeats, model, template_name, template_hash, template_text, instructions_hash, matcher, matcher_threshold, state_mode, parameters, components, harness_version, git_revision, python_version, package_versions, schema_version, started_at, finished_at, error, metrics) VALUES ('20250101-000000-ref001', 'reference-v1', 'finished', 'tests/runner/data/tiny.jsonl', 'tiny', 'e4a3f601341a68767a3894c20f5d75bca4ad765dd2e31cf3d747db362eb9c6f5', 'e4a3f601341a68767a3894c20f5d75bca4ad765dd2e31cf3d747db362eb9c6f5', '{}', 3, 1, 'scripted/reference', 'default', '580a82ea74a09bef3293983ba15dd998b363a50a7c4f409eb4f5110bdce6723d', '{#- default: the library''s own instructions (harness.memory DEFAULT_INSTRUCTIONS), as a template.
    Variables: enable_inserts, enable_updates, enable_deletes, schemas, today, user_name. -#}
You keep the long-term memory of an assistant about its user. Read the conversation and record what will still help in later conversations: the user''s preferences, facts about them and the people in their life, their plans and goals, and corrections of anything stored before.
- One self-contained fact per memory, about the user ("User prefers dark mode"), specific enough to make sense without the conversation.
- When something changes or was wrong, update the memory that holds it instead of adding a near-duplicate. Delete a memory (if deleting is allowed) when the user asks you to forget it or it is plainly no longer true.
- Never store secrets such as passwords, card or account numbers, or keys. Skip small talk, one-off requests and anything only the assistant said that the user did not confirm.
- If nothing is worth remembering, change nothing.
{%- if user_name %}

The user''s name is {{ user_name }}.
{%- endif %}
{%- if today %}

Today is {{ today }}; resolve relative dates ("next Tuesday") against it.
{%- endif %}
', '4615e7eaa042329c143a028c28873e1b9d14be31f7d7a241dcc471f843d914d9', 'exact', 1.0, 'predicted', '{"dataset": "tests/runner/data/tiny.jsonl", "model": "scripted/reference", "prompt": "default", "name": "reference-v1", "split": null, "tags": [], "case_ids": [], "limit": null, "repeats": 1, "concurrency": 8, "state": "predicted", "cache": "read-write", "enable_inserts": true, "enable_updates": true, "enable_deletes": true, "max_steps": 1, "max_repairs": 1, "temperature": 0.0, "today": null, "retrieval_mode": "vector", "query_limit": 5, "matcher": "exact", "matcher_threshold": null, "judge_model": null, "search_modes": ["vector", "fts", "hybrid"], "top_k": 10, "embedder": null, "n_resamples": 100, "seed": 0}', '{"extractor": "scripted/reference", "kind": "llm", "manager": {"enable_inserts": true, "enable_updates": true, "enable_deletes": true, "max_steps": 1, "max_repairs": 1, "temperature": 0.0}, "store_manager": {"namespace": ["run", "{run_id}", "{case_id}", "{repeat}"], "query_limit": 5, "retrieval": {"source": "conversation", "mode": "vector"}}, "cache": "read-write", "matcher": {"name": "exact", "threshold": 1.0, "key_terms": true}, "retrieval": {"modes": ["vector", "fts", "hybrid"], "top_k": 10}, "embedder": "default", "bootstrap": {"n_resamples": 100, "seed": 0}}', '0.1.0', NULL, 'CPython 3.11.7', '{"duckdb": "1.2.0"}', 1, TIMESTAMP '2025-01-01 00:00:00', TIMESTAMP '2025-01-01 00:00:09', NULL, '{"case_repeats": 3, "errors": 0, "metrics": {"insert_precision": {"value": 0.0, "ci_low": 0.0, "ci_high": 0.0, "n": 2}, "insert_recall": {"value": 0.0, "ci_low": 0.0, "ci_high": 0.0, "n": 1}, "insert_f1": {"value": 0.0, "ci_low": 0.0, "ci_high": 0.0, "n": 2}, "update_precision": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 1}, "update_recall": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 1}, "update_f1": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 1}, "delete_precision": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 1}, "delete_recall": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 1}, "delete_f1": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 1}, "micro_precision": {"value": 0.5, "ci_low": 0.5, "ci_high": 0.5, "n": 2}, "micro_recall": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "micro_f1": {"value": 0.5714285714285714, "ci_low": 0.5, "ci_high": 0.6666666666666666, "n": 2}, "exact_session_accuracy": {"value": 0.5, "ci_low": 0.0, "ci_high": 1.0, "n": 3}, "nothing_to_store_fpr": {"value": 0.5, "ci_low": 0.0, "ci_high": 1.0, "n": 2}, "final_precision": {"value": 0.5, "ci_low": 0.5, "ci_high": 0.5, "n": 2}, "final_recall": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "final_f1": {"value": 0.5714285714285714, "ci_low": 0.5, "ci_high": 0.6666666666666666, "n": 2}, "e2e_vector_recall@1": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_vector_recall@3": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_vector_recall@5": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_vector_recall@10": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_vector_ndcg@1": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_vector_ndcg@3": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_vector_ndcg@5": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_vector_ndcg@10": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_vector_mrr": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_fts_recall@1": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_fts_recall@3": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_fts_recall@5": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_fts_recall@10": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_fts_ndcg@1": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_fts_ndcg@3": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_fts_ndcg@5": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_fts_ndcg@10": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_fts_mrr": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_hybrid_recall@1": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_hybrid_recall@3": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_hybrid_recall@5": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_hybrid_recall@10": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_hybrid_ndcg@1": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_hybrid_ndcg@3": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_hybrid_ndcg@5": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_hybrid_ndcg@10": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "e2e_hybrid_mrr": {"value": 0.6666666666666666, "ci_low": 0.5, "ci_high": 1.0, "n": 2}, "gold_vector_recall@1": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_vector_recall@3": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_vector_recall@5": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_vector_recall@10": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_vector_ndcg@1": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_vector_ndcg@3": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_vector_ndcg@5": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_vector_ndcg@10": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_vector_mrr": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_fts_recall@1": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_fts_recall@3": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_fts_recall@5": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_fts_recall@10": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_fts_ndcg@1": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_fts_ndcg@3": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_fts_ndcg@5": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_fts_ndcg@10": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_fts_mrr": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_hybrid_recall@1": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_hybrid_recall@3": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_hybrid_recall@5": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_hybrid_recall@10": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_hybrid_ndcg@1": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_hybrid_ndcg@3": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_hybrid_ndcg@5": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_hybrid_ndcg@10": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "gold_hybrid_mrr": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}, "error_rate": {"value": 0.0, "ci_low": 0.0, "ci_high": 0.0, "n": 3}, "input_tokens": {"value": 400.0, "ci_low": null, "ci_high": null, "n": 3}, "output_tokens": {"value": 40.0, "ci_low": null, "ci_high": null, "n": 3}, "cost_usd": {"value": null, "ci_low": null, "ci_high": null, "n": 3}, "n_calls": {"value": 4.0, "ci_low": null, "ci_high": null, "n": 3}, "retries": {"value": 0.0, "ci_low": null, "ci_high": null, "n": 3}, "cached_calls": {"value": 0.0, "ci_low": null, "ci_high": null, "n": 3}, "mean_case_latency_s": {"value": 1.9253712776665755, "ci_low": null, "ci_high": null, "n": 3}}}');
INSERT INTO case_results (run_id, case_id, repeat, split, tags, case_hash, status, error_type, error, n_sessions, latency_s, input_tokens, output_tokens, cost_usd, n_calls, retries, cached_calls, counts, retrieval, timings, finished_at) VALUES ('20250101-000000-ref001', 'tiny-chat', 0, 'test', ['nothing'], '03784d6eac623bdb4ca62bcd29821aabaf7160d4f26dea2af587e2f4f228896d', 'ok', NULL, NULL, 1, 0.25, 100, 10, NULL, 1, 0, 0, '{"insert_tp": 0, "insert_fp": 0, "insert_fn": 0, "update_tp": 0, "update_fp": 0, "update_fn": 0, "delete_tp": 0, "delete_fp": 0, "delete_fn": 0, "sessions": 1, "exact_sessions": 1, "empty_sessions": 1, "empty_sessions_fp": 0, "final_tp": 0, "final_fp": 0, "final_fn": 0, "missed": 0, "wrong_content": 0, "duplicate_instead_of_update": 0, "wrong_target_update": 0, "delete_instead_of_update": 0, "spurious": 0}', '{}', '{"total_s": 0.5}', TIMESTAMP '2025-01-01 00:00:09');
INSERT INTO case_results (run_id, case_id, repeat, split, tags, case_hash, status, error_type, error, n_sessions, latency_s, input_tokens, output_tokens, cost_usd, n_calls, retries, cached_calls, counts, retrieval, timings, finished_at) VALUES ('20250101-000000-ref001', 'tiny-forget', 0, 'test', ['delete'], '1fd8642df460b3e39c1d422e080cc82c189c2bd563a2d202156c2201e0be0d54', 'ok', NULL, NULL, 2, 0.25, 200, 20, NULL, 2, 0, 0, '{"insert_tp": 0, "insert_fp": 1, "insert_fn": 0, "update_tp": 0, "update_fp": 0, "update_fn": 0, "delete_tp": 1, "delete_fp": 0, "delete_fn": 0, "sessions": 2, "exact_sessions": 1, "empty_sessions": 1, "empty_sessions_fp": 1, "final_tp": 1, "final_fp": 1, "final_fn": 0, "missed": 0, "wrong_content": 0, "duplicate_instead_of_update": 0, "wrong_target_update": 0, "delete_instead_of_update": 0, "spurious": 1}', '{"e2e_vector_queries": 1.0, "e2e_vector_recall@1": 1.0, "e2e_vector_recall@3": 1.0, "e2e_vector_recall@5": 1.0, "e2e_vector_recall@10": 1.0, "e2e_vector_ndcg@1": 1.0, "e2e_vector_ndcg@3": 1.0, "e2e_vector_ndcg@5": 1.0, "e2e_vector_ndcg@10": 1.0, "e2e_vector_mrr": 1.0, "e2e_fts_queries": 1.0, "e2e_fts_recall@1": 1.0, "e2e_fts_recall@3": 1.0, "e2e_fts_recall@5": 1.0, "e2e_fts_recall@10": 1.0, "e2e_fts_ndcg@1": 1.0, "e2e_fts_ndcg@3": 1.0, "e2e_fts_ndcg@5": 1.0, "e2e_fts_ndcg@10": 1.0, "e2e_fts_mrr": 1.0, "e2e_hybrid_queries": 1.0, "e2e_hybrid_recall@1": 1.0, "e2e_hybrid_recall@3": 1.0, "e2e_hybrid_recall@5": 1.0, "e2e_hybrid_recall@10": 1.0, "e2e_hybrid_ndcg@1": 1.0, "e2e_hybrid_ndcg@3": 1.0, "e2e_hybrid_ndcg@5": 1.0, "e2e_hybrid_ndcg@10": 1.0, "e2e_hybrid_mrr": 1.0, "gold_vector_queries": 1.0, "gold_vector_recall@1": 1.0, "gold_vector_recall@3": 1.0, "gold_vector_recall@5": 1.0, "gold_vector_recall@10": 1.0, "gold_vector_ndcg@1": 1.0, "gold_vector_ndcg@3": 1.0, "gold_vector_ndcg@5": 1.0, "gold_vector_ndcg@10": 1.0, "gold_vector_mrr": 1.0, "gold_fts_queries": 1.0, "gold_fts_recall@1": 1.0, "gold_fts_recall@3": 1.0, "gold_fts_recall@5": 1.0, "gold_fts_recall@10": 1.0, "gold_fts_ndcg@1": 1.0, "gold_fts_ndcg@3": 1.0, "gold_fts_ndcg@5": 1.0, "gold_fts_ndcg@10": 1.0, "gold_fts_mrr": 1.0, "gold_hybrid_queries": 1.0, "gold_hybrid_recall@1": 1.0, "gold_hybrid_recall@3": 1.0, "gold_hybrid_recall@5": 1.0, "gold_hybrid_recall@10": 1.0, "gold_hybrid_ndcg@1": 1.0, "gold_hybrid_ndcg@3": 1.0, "gold_hybrid_ndcg@5": 1.0, "gold_hybrid_ndcg@10": 1.0, "gold_hybrid_mrr": 1.0}', '{"total_s": 0.5}', TIMESTAMP '2025-01-01 00:00:09');
INSERT INTO case_results (run_id, case_id, repeat, split, tags, case_hash, status, error_type, error, n_sessions, latency_s, input_tokens, output_tokens, cost_usd, n_calls, retries, cached_calls, counts, retrieval, timings, finished_at) VALUES ('20250101-000000-ref001', 'tiny-update', 0, 'test', ['update', 'insert'], 'c32a56ec0f034521b6943ccb0418dea369910633a4c3ab134f31e7b62fce9ec1', 'ok', NULL, NULL, 1, 0.25, 100, 10, NULL, 1, 0, 0, '{"insert_tp": 0, "insert_fp": 1, "insert_fn": 1, "update_tp": 1, "update_fp": 0, "update_fn": 0, "delete_tp": 0, "delete_fp": 0, "delete_fn": 0, "sessions": 1, "exact_sessions": 0, "empty_sessions": 0, "empty_sessions_fp": 0, "final_tp": 1, "final_fp": 1, "final_fn": 1, "missed": 1, "wrong_content": 0, "duplicate_instead_of_update": 0, "wrong_target_update": 0, "delete_instead_of_update": 0, "spurious": 1}', '{"e2e_vector_queries": 2.0, "e2e_vector_recall@1": 1.0, "e2e_vector_recall@3": 1.0, "e2e_vector_recall@5": 1.0, "e2e_vector_recall@10": 1.0, "e2e_vector_ndcg@1": 1.0, "e2e_vector_ndcg@3": 1.0, "e2e_vector_ndcg@5": 1.0, "e2e_vector_ndcg@10": 1.0, "e2e_vector_mrr": 1.0, "e2e_fts_queries": 2.0, "e2e_fts_recall@1": 1.0, "e2e_fts_recall@3": 1.0, "e2e_fts_recall@5": 1.0, "e2e_fts_recall@10": 1.0, "e2e_fts_ndcg@1": 1.0, "e2e_fts_ndcg@3": 1.0, "e2e_fts_ndcg@5": 1.0, "e2e_fts_ndcg@10": 1.0, "e2e_fts_mrr": 1.0, "e2e_hybrid_queries": 2.0, "e2e_hybrid_recall@1": 1.0, "e2e_hybrid_recall@3": 1.0, "e2e_hybrid_recall@5": 1.0, "e2e_hybrid_recall@10": 1.0, "e2e_hybrid_ndcg@1": 1.0, "e2e_hybrid_ndcg@3": 1.0, "e2e_hybrid_ndcg@5": 1.0, "e2e_hybrid_ndcg@10": 1.0, "e2e_hybrid_mrr": 1.0, "gold_vector_queries": 2.0, "gold_vector_recall@1": 2.0, "gold_vector_recall@3": 2.0, "gold_vector_recall@5": 2.0, "gold_vector_recall@10": 2.0, "gold_vector_ndcg@1": 2.0, "gold_vector_ndcg@3": 2.0, "gold_vector_ndcg@5": 2.0, "gold_vector_ndcg@10": 2.0, "gold_vector_mrr": 2.0, "gold_fts_queries": 2.0, "gold_fts_recall@1": 2.0, "gold_fts_recall@3": 2.0, "gold_fts_recall@5": 2.0, "gold_fts_recall@10": 2.0, "gold_fts_ndcg@1": 2.0, "gold_fts_ndcg@3": 2.0, "gold_fts_ndcg@5": 2.0, "gold_fts_ndcg@10": 2.0, "gold_fts_mrr": 2.0, "gold_hybrid_queries": 2.0, "gold_hybrid_recall@1": 2.0, "gold_hybrid_recall@3": 2.0, "gold_hybrid_recall@5": 2.0, "gold_hybrid_recall@10": 2.0, "gold_hybrid_ndcg@1": 2.0, "gold_hybrid_ndcg@3": 2.0, "gold_hybrid_ndcg@5": 2.0, "gold_hybrid_ndcg@10": 2.0, "gold_hybrid_mrr": 2.0}', '{"total_s": 0.5}', TIMESTAMP '2025-01-01 00:00:09');
INSERT INTO ops (run_id, case_id, repeat, session_index, side, op_index, op, memory_id, ref, kind, content, optional, outcome, counted, partner_index, partner_id, similarity, key_terms_ok, key_terms, reason, source) VALUES ('20250101-000000-ref001', 'tiny-update', 0, 0, 'gold', 0, 'update', 'm1', 'm1', 'Memory', 'User prefers dark mode', false, 'matched', true, 0, 'm1', 1.0, true, 'key terms ok', 'update of ''m1'' matched: similarity 1.000 >= threshold 1.000; key terms ok', '["a1"]');
INSERT INTO ops (run_id, case_id, repeat, session_index, side, op_index, op, memory_id, ref, kind, content, optional, outcome, counted, partner_index, partner_id, similarity, key_terms_ok, key_terms, reason, source) VALUES ('20250101-000000-ref001', 'tiny-update', 0, 0, 'gold', 1, 'insert', NULL, 'g1', 'Memory', 'User drinks green tea', false, 'missed', true, NULL, NULL, NULL, NULL, NULL, 'not produced: no predicted insert states this content; closest prediction: insert ''9818a02b-cbe4-54a2-a0bd-877ae6b35b11'' (similarity 0.000 < threshold 1.000; missing ''green tea'')', '["a1"]');
INSERT INTO ops (run_id, case_id, repeat, session_index, side, op_index, op, memory_id, ref, kind, content, optional, outcome, counted, partner_index, partner_id, similarity, key_terms_ok, key_terms, reason, source) VALUES ('20250101-000000-ref001', 'tiny-update', 0, 0, 'predicted', 0, 'update', 'm1', 'm1', 'Memory', 'User prefers dark mode', false, 'matched', true, 0, 'm1', 1.0, true, 'key terms ok', 'update of ''m1'' matched: similarity 1.000 >= threshold 1.000; key terms ok', '["a1"]');
INSERT INTO ops (run_id, case_id, repeat, session_index, side, op_index, op, memory_id, ref, kind, content, optional, outcome, counted, partner_index, partner_id, similarity, key_terms_ok, key_terms, reason, source) VALUES ('20250101-000000-ref001', 'tiny-update', 0, 0, 'predicted', 1, 'insert', '9818a02b-cbe4-54a2-a0bd-877ae6b35b11', NULL, 'Memory', 'User drinks tea', false, 'spurious', true, NULL, NULL, NULL, NULL, NULL, 'no gold op matches it', '["a1"]');
INSERT INTO final_state (run_id, case_id, repeat, side, memory_id, content, outcome, partner_id, similarity, reason) VALUES ('20250101-000000-ref001', 'tiny-update', 0, 'gold', 'g1', 'User drinks green tea', 'missed', NULL, NULL, NULL);
INSERT INTO final_state (run_id, case_id, repeat, side, memory_id, content, outcome, partner_id, similarity, reason) VALUES ('20250101-000000-ref001', 'tiny-update', 0, 'gold', 'm1', 'User prefers dark mode', 'matched', 'm1', 1.0, 'similarity 1.000 >= threshold 1.000; key terms ok');
INSERT INTO final_state (run_id, case_id, repeat, side, memory_id, content, outcome, partner_id, similarity, reason) VALUES ('20250101-000000-ref001', 'tiny-update', 0, 'predicted', '9818a02b-cbe4-54a2-a0bd-877ae6b35b11', 'User drinks tea', 'spurious', NULL, NULL, NULL);
INSERT INTO final_state (run_id, case_id, repeat, side, memory_id, content, outcome, partner_id, similarity, reason) VALUES ('20250101-000000-ref001', 'tiny-update', 0, 'predicted', 'm1', 'User prefers dark mode', 'matched', 'm1', 1.0, 'similarity 1.000 >= threshold 1.000; key terms ok');
INSERT INTO queries (run_id, case_id, repeat, query_index, query_id, query, state, mode, relevance, relevant, n_relevant, retrieved, retrieved_refs, recall_at_1, recall_at_3, recall_at_5, recall_at_10, mrr, ndcg_at_1, ndcg_at_3, ndcg_at_5, ndcg_at_10, latency_s) VALUES ('20250101-000000-ref001', 'tiny-update', 0, 0, NULL, 'Does the user like dark mode?', 'end_to_end', 'vector', 'ids', '["m1"]', 1, '["m1", "9818a02b-cbe4-54a2-a0bd-877ae6b35b11"]', '["m1", null]', 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.25);
INSERT INTO queries (run_id, case_id, repeat, query_index, query_id, query, state, mode, relevance, relevant, n_relevant, retrieved, retrieved_refs, recall_at_1, recall_at_3, recall_at_5, recall_at_10, mrr, ndcg_at_1, ndcg_at_3, ndcg_at_5, ndcg_at_10, latency_s) VALUES ('20250101-000000-ref001', 'tiny-update', 0, 0, NULL, 'Does the user like dark mode?', 'gold', 'vector', 'ids', '["m1"]', 1, '["m1", "g1"]', '["m1", "g1"]', 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.25);
INSERT INTO queries (run_id, case_id, repeat, query_index, query_id, query, state, mode, relevance, relevant, n_relevant, retrieved, retrieved_refs, recall_at_1, recall_at_3, recall_at_5, recall_at_10, mrr, ndcg_at_1, ndcg_at_3, ndcg_at_5, ndcg_at_10, latency_s) VALUES ('20250101-000000-ref001', 'tiny-update', 0, 1, NULL, 'Which tea does the user drink?', 'end_to_end', 'vector', 'ids', '["g1"]', 1, '["9818a02b-cbe4-54a2-a0bd-877ae6b35b11", "m1"]', '[null, "m1"]', 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.25);
INSERT INTO queries (run_id, case_id, repeat, query_index, query_id, query, state, mode, relevance, relevant, n_relevant, retrieved, retrieved_refs, recall_at_1, recall_at_3, recall_at_5, recall_at_10, mrr, ndcg_at_1, ndcg_at_3, ndcg_at_5, ndcg_at_10, latency_s) VALUES ('20250101-000000-ref001', 'tiny-update', 0, 1, NULL, 'Which tea does the user drink?', 'gold', 'vector', 'ids', '["g1"]', 1, '["g1", "m1"]', '["g1", "m1"]', 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.25);
INSERT INTO llm_calls (run_id, case_id, repeat, session_index, call_index, model, purpose, input_tokens, output_tokens, cost_usd, latency_s, retries, cached, error, cache_key) VALUES ('20250101-000000-ref001', 'tiny-chat', 0, 0, 0, 'scripted/reference', 'extract', 100, 10, NULL, 0.25, 0, false, NULL, 'ad09cf8a05a90470622abeecc27a37650b80c541a78cce43dd9c52d80d6fa897');
INSERT INTO llm_calls (run_id, case_id, repeat, session_index, call_index, model, purpose, input_tokens, output_tokens, cost_usd, latency_s, retries, cached, error, cache_key) VALUES ('20250101-000000-ref001', 'tiny-forget', 0, 0, 0, 'scripted/reference', 'extract', 100, 10, NULL, 0.25, 0, false, NULL, '4de7ff3ae9fb88ea07de776d88131683a1ac55c8d4766f1ce0e743c319a0e794');
INSERT INTO llm_calls (run_id, case_id, repeat, session_index, call_index, model, purpose, input_tokens, output_tokens, cost_usd, latency_s, retries, cached, error, cache_key) VALUES ('20250101-000000-ref001', 'tiny-forget', 0, 1, 1, 'scripted/reference', 'extract', 100, 10, NULL, 0.25, 0, false, NULL, 'a32ed84d4aecc1535205a59356d6c9fbddf3e1f0b8d3f83902944e8b18b3975f');
INSERT INTO llm_calls (run_id, case_id, repeat, session_index, call_index, model, purpose, input_tokens, output_tokens, cost_usd, latency_s, retries, cached, error, cache_key) VALUES ('20250101-000000-ref001', 'tiny-update', 0, 0, 0, 'scripted/reference', 'extract', 100, 10, NULL, 0.25, 0, false, NULL, 'eee17fe2c6e5ab7a4c2a21f5a2ddbdf4181377bbf2c90c3b39b799e5f3e80db7');
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'cached_calls', 0.0, NULL, NULL, 3);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'cost_usd', NULL, NULL, NULL, 3);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'delete_f1', 1.0, 1.0, 1.0, 1);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'delete_precision', 1.0, 1.0, 1.0, 1);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'delete_recall', 1.0, 1.0, 1.0, 1);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'e2e_fts_mrr', 0.6666666666666666, 0.5, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'e2e_fts_recall@10', 0.6666666666666666, 0.5, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'e2e_fts_recall@5', 0.6666666666666666, 0.5, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'e2e_hybrid_mrr', 0.6666666666666666, 0.5, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'e2e_hybrid_recall@10', 0.6666666666666666, 0.5, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'e2e_hybrid_recall@5', 0.6666666666666666, 0.5, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'e2e_vector_mrr', 0.6666666666666666, 0.5, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'e2e_vector_recall@10', 0.6666666666666666, 0.5, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'e2e_vector_recall@5', 0.6666666666666666, 0.5, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'error_rate', 0.0, 0.0, 0.0, 3);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'exact_session_accuracy', 0.5, 0.0, 1.0, 3);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'final_f1', 0.5714285714285714, 0.5, 0.6666666666666666, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'final_precision', 0.5, 0.5, 0.5, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'final_recall', 0.6666666666666666, 0.5, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'gold_fts_mrr', 1.0, 1.0, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'gold_fts_recall@10', 1.0, 1.0, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'gold_fts_recall@5', 1.0, 1.0, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'gold_hybrid_mrr', 1.0, 1.0, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'gold_hybrid_recall@10', 1.0, 1.0, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'gold_hybrid_recall@5', 1.0, 1.0, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'gold_vector_mrr', 1.0, 1.0, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'gold_vector_recall@10', 1.0, 1.0, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'gold_vector_recall@5', 1.0, 1.0, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'input_tokens', 400.0, NULL, NULL, 3);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'insert_f1', 0.0, 0.0, 0.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'insert_precision', 0.0, 0.0, 0.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'insert_recall', 0.0, 0.0, 0.0, 1);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'mean_case_latency_s', 1.9253712776665755, NULL, NULL, 3);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'micro_f1', 0.5714285714285714, 0.5, 0.6666666666666666, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'micro_precision', 0.5, 0.5, 0.5, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'micro_recall', 0.6666666666666666, 0.5, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'n_calls', 4.0, NULL, NULL, 3);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'nothing_to_store_fpr', 0.5, 0.0, 1.0, 2);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'output_tokens', 40.0, NULL, NULL, 3);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'retries', 0.0, NULL, NULL, 3);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'update_f1', 1.0, 1.0, 1.0, 1);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'update_precision', 1.0, 1.0, 1.0, 1);
INSERT INTO run_metrics (run_id, metric, value, ci_low, ci_high, n) VALUES ('20250101-000000-ref001', 'update_recall', 1.0, 1.0, 1.0, 1);
