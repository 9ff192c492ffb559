# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Comparing runs: models and instruction templates
#
# This notebook reads the harness results database (DuckDB) into pandas and compares the
# recorded runs: a leaderboard with bootstrap intervals, a model x template table, micro F1 per
# case tag, what became of the gold ops, and quality against latency and tokens.
#
# It reads `$HARNESS_DB` (default `reports/harness.duckdb`) and writes its figures to
# `$HARNESS_FIGURES` (default `reports/figures`). Open it with Jupyter through jupytext, or run it
# as a plain script: `python notebooks/compare_runs.py`.

# %%
import os
import sys
from pathlib import Path

import duckdb
import matplotlib
import pandas as pd

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")  # a plain script: draw to files only
import matplotlib.pyplot as plt

try:
    from IPython.display import display
except ImportError:  # plain Python without IPython
    display = print

DB = Path(os.environ.get("HARNESS_DB") or "reports/harness.duckdb")
FIGURES = Path(os.environ.get("HARNESS_FIGURES") or "reports/figures")
FIGURES.mkdir(parents=True, exist_ok=True)
pd.set_option("display.width", 160)
con = duckdb.connect(str(DB), read_only=True)


def save(fig, name):
    """Keep every figure as a PNG beside the notebook's output."""
    fig.savefig(FIGURES / f"{name}.png", dpi=110, bbox_inches="tight")
    return fig


# %% [markdown]
# ## Leaderboard
#
# `run_summary` holds one row per run with the headline metrics, their 95% bootstrap interval
# (`*_low`, `*_high`) and usage totals. A run is labelled by its name, or `model / template`.

# %%
runs = con.sql(
    "SELECT * FROM run_summary WHERE status = 'finished' ORDER BY started_at, run_id"
).df()
runs["label"] = runs["name"].fillna(runs["model"] + " / " + runs["template_name"])
same_label = runs["label"].duplicated(keep=False)
runs["label"] = runs["label"].where(
    ~same_label, runs["label"] + " (" + runs["run_id"].str[-6:] + ")"
)
headline = ["micro_f1", "update_f1", "final_f1", "e2e_hybrid_recall_at_5"]
board = runs.set_index("label")[
    ["model", "template_name", "case_repeats", "errors", *headline,
     "micro_f1_low", "micro_f1_high", "input_tokens", "output_tokens", "mean_case_latency_s"]
].sort_values("micro_f1", ascending=False)  # fmt: skip
display(board.round(3))

# %%
ordered = runs.sort_values("micro_f1")
fig, ax = plt.subplots(figsize=(7, 0.45 * len(ordered) + 1.2))
ax.errorbar(
    ordered["micro_f1"],
    ordered["label"],
    xerr=[ordered["micro_f1"] - ordered["micro_f1_low"],
          ordered["micro_f1_high"] - ordered["micro_f1"]],
    fmt="o", capsize=3,
)  # fmt: skip
ax.set_xlim(0, 1.02)
ax.set_xlabel("micro F1 (95% bootstrap interval)")
ax.set_title("Micro F1 per run")
ax.grid(axis="x", alpha=0.3)
save(fig, "micro_f1_intervals")
plt.show()

# %% [markdown]
# ## Models x templates
#
# The newest finished run of each model and template. A template that helps one model may hurt
# another, so read across rows as well as down columns.

# %%
latest = runs.sort_values("started_at").groupby(["model", "template_name"]).tail(1)
grid = latest.pivot_table(index="model", columns="template_name", values="micro_f1")
display(grid.round(3))

fig, ax = plt.subplots(figsize=(7, 3.5))
grid.plot.bar(ax=ax, rot=0)
ax.set_ylim(0, 1.05)
ax.set_ylabel("micro F1")
ax.set_title("Micro F1 by model and template")
ax.legend(title="template")
save(fig, "model_template")
plt.show()

# %% [markdown]
# ## Micro F1 per tag
#
# Each case carries tags (`update`, `delete`, `nothing`, ...). Op counts are pooled over the
# cases of a tag, exactly as the run's micro F1 pools them over all cases; a blank cell means
# there was nothing to score (no gold op, no prediction).


# %%
def op_sum(kind):
    """SQL summing one count (tp, fp or fn) over the three op types of a case."""
    return " + ".join(
        f"coalesce(json_extract(counts, '$.{op}_{kind}')::DOUBLE, 0)"
        for op in ("insert", "update", "delete")
    )


tag_counts = con.sql(f"""
    WITH per_case AS (
        SELECT run_id, case_id, unnest(tags) AS tag,
               {op_sum("tp")} AS tp, {op_sum("fp")} AS fp, {op_sum("fn")} AS fn
        FROM case_results WHERE status = 'ok'
    )
    SELECT run_id, tag, sum(tp) AS tp, sum(fp) AS fp, sum(fn) AS fn,
           count(DISTINCT case_id) AS cases
    FROM per_case GROUP BY run_id, tag
""").df()
tag_counts = tag_counts.merge(runs[["run_id", "label"]], on="run_id")
denominator = 2 * tag_counts["tp"] + tag_counts["fp"] + tag_counts["fn"]
tag_counts["micro_f1"] = (2 * tag_counts["tp"] / denominator).where(denominator > 0)
per_tag = tag_counts.pivot_table(index="label", columns="tag", values="micro_f1")
display(per_tag.round(2))

# %%
fig, ax = plt.subplots(figsize=(0.55 * per_tag.shape[1] + 3, 0.45 * per_tag.shape[0] + 1.5))
image = ax.imshow(per_tag.to_numpy(dtype=float), cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
ax.set_xticks(range(per_tag.shape[1]), per_tag.columns, rotation=50, ha="right")
ax.set_yticks(range(per_tag.shape[0]), per_tag.index)
for (row, col), value in pd.DataFrame(per_tag.to_numpy()).stack().items():
    ax.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize=7)
fig.colorbar(image, ax=ax, label="micro F1")
ax.set_title("Micro F1 per tag")
save(fig, "per_tag")
plt.show()

# %% [markdown]
# ## What became of the gold ops
#
# `op_outcomes` joins every scored op with its run. Shares of the counted gold ops per outcome
# class show *how* a run fails: missed ops, wrong content, a duplicate insert instead of an
# update, an update of the wrong memory, a delete instead of an update.

# %%
outcomes = (
    con.sql("""
    SELECT run_id, outcome, count(*) AS n FROM op_outcomes
    WHERE side = 'gold' AND counted GROUP BY ALL
""")
    .df()
    .merge(runs[["run_id", "label"]], on="run_id")
)
shares = outcomes.pivot_table(index="label", columns="outcome", values="n", fill_value=0)
shares = shares.div(shares.sum(axis=1), axis=0)
display(shares.round(3))

fig, ax = plt.subplots(figsize=(8, 0.45 * len(shares) + 1.5))
shares.plot.barh(stacked=True, ax=ax, colormap="tab10", width=0.7)
ax.set_xlim(0, 1)
ax.set_xlabel("share of counted gold ops")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=3, fontsize=8)
ax.set_title("Gold op outcomes per run")
save(fig, "op_outcomes")
plt.show()

# %% [markdown]
# ## Quality against cost
#
# Mean latency per case against micro F1; the marker area grows with the tokens used.

# %%
fig, ax = plt.subplots(figsize=(6, 4))
tokens = (runs["input_tokens"].fillna(0) + runs["output_tokens"].fillna(0)).astype(float)
ax.scatter(
    runs["mean_case_latency_s"], runs["micro_f1"], s=40 + 300 * tokens / max(tokens.max(), 1)
)
for _, run in runs.iterrows():
    ax.annotate(run["label"], (run["mean_case_latency_s"], run["micro_f1"]), fontsize=7,
                xytext=(4, 4), textcoords="offset points")  # fmt: skip
ax.set_xlabel("mean case latency (s)")
ax.set_ylabel("micro F1")
ax.set_title("Quality against latency")
save(fig, "quality_latency")
plt.show()

# %% [markdown]
# ## Paired differences
#
# Intervals that overlap do not settle whether one run beats another: on the same cases a
# paired test is far more sensitive. `compare_runs` computes B - A per metric with a paired
# bootstrap interval and a permutation p-value (the same numbers as `harness compare`).

# %%
from harness.reports.compare import CompareOptions, compare_runs  # noqa: E402
from harness.results import open_results  # noqa: E402

if len(runs) >= 2:
    best, rest = board.index[0], board.index[1:]
    ids = dict(zip(runs["label"], runs["run_id"], strict=True))
    with open_results(DB, read_only=True) as store:
        comparison = compare_runs(
            store,
            [ids[best], *(ids[label] for label in rest)],
            CompareOptions(metrics=["micro_f1", "update_f1"], reference=ids[best],
                           n_resamples=500, n_permutations=500),
        )  # fmt: skip
    label_of = dict(zip(runs["run_id"], runs["label"], strict=True))
    labels = {column.key: label_of[column.run.run_id] for column in comparison.runs}
    paired = pd.DataFrame(
        [{"a": labels[pair.a], "b": labels[pair.b], "metric": d.metric, "b - a": d.diff,
          "low": d.low, "high": d.high, "p": d.p, "verdict": d.verdict}
         for pair in comparison.pairs for d in pair.diffs]
    )  # fmt: skip
    display(paired.round(3))

# %%
con.close()
