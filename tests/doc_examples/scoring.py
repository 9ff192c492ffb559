"""docs/scoring.md: the example calls no chat model; the checks look at the outcome."""

from __future__ import annotations

from doc_examples import Example, Scripted


def one_case_check(ns: dict, ctx: Scripted) -> None:
    session = ns["score"].sessions[0]
    [predicted] = session.predicted
    assert predicted.outcome == "duplicate_instead_of_update" and predicted.partner_id == "m1"
    assert session.counts["update_fn"] == 1 and session.counts["insert_fp"] == 1
    # Final state: p1 matches the gold m1 (dark mode); the stale m1 ("light") is a false positive.
    assert (ns["score"].final.tp, ns["score"].final.fp, ns["score"].final.fn) == (1, 1, 0)
    assert ctx.model.requests == []


EXAMPLES = {"scoring-one-case": Example(check=one_case_check)}
