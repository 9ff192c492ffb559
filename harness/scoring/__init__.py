"""Scoring: matching predicted ops against gold ops, extraction and retrieval metrics, and the
statistics around them. Everything here is a pure function over plain data; the matchers are the
only part that calls a model (embeddings or an LLM judge).

What the runner calls, per case: :func:`ascore_case` (or :func:`score_case`) with the predicted
ops of each session and the final memories; then, over all cases, :func:`aggregate`. Retrieval is
scored per query with :func:`score_ranking` / :func:`score_provenance`.

Names load on first use, so importing :mod:`harness.scoring` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "KeyTermCheck": "harness.data.keyterms",
    "check_key_terms": "harness.data.keyterms",
    "GoldSide": "harness.scoring.matchers",
    "Judgement": "harness.scoring.matchers",
    "Matcher": "harness.scoring.matchers",
    "MATCHER_NAMES": "harness.scoring._factory",
    "get_matcher": "harness.scoring._factory",
    "token_f1": "harness.scoring.matchers",
    "GoldMemory": "harness.scoring.gold",
    "GoldState": "harness.scoring.gold",
    "gold_states": "harness.scoring.gold",
    "CONFUSIONS": "harness.scoring.outcomes",
    "OP_TYPES": "harness.scoring.outcomes",
    "OpOutcome": "harness.scoring.outcomes",
    "SessionScore": "harness.scoring.outcomes",
    "JudgementTable": "harness.scoring.ops",
    "ascore_session": "harness.scoring.ops",
    "match_session": "harness.scoring.ops",
    "score_session": "harness.scoring.ops",
    "session_pairs": "harness.scoring.ops",
    "FinalStateScore": "harness.scoring.final_state",
    "match_final_state": "harness.scoring.final_state",
    "CaseScore": "harness.scoring.metrics",
    "COUNT_COLUMNS": "harness.scoring.metrics",
    "EXTRACTION_METRICS": "harness.scoring.metrics",
    "Metrics": "harness.scoring.metrics",
    "aggregate": "harness.scoring.metrics",
    "ascore_case": "harness.scoring.metrics",
    "match_case": "harness.scoring.metrics",
    "score_case": "harness.scoring.metrics",
    "RetrievalScore": "harness.scoring.retrieval",
    "map_relevant": "harness.scoring.retrieval",
    "retrieval_columns": "harness.scoring.retrieval",
    "retrieval_metrics": "harness.scoring.retrieval",
    "score_provenance": "harness.scoring.retrieval",
    "score_ranking": "harness.scoring.retrieval",
    "Estimate": "harness.scoring.stats",
    "PairedEstimate": "harness.scoring.stats",
    "bootstrap": "harness.scoring.stats",
    "paired_bootstrap": "harness.scoring.stats",
    "permutation_test": "harness.scoring.stats",
    "Calibration": "harness.scoring.calibration",
    "MatcherReport": "harness.scoring.calibration",
    "calibrate": "harness.scoring.calibration",
    "calibrate_file": "harness.scoring.calibration",
    "evaluate": "harness.scoring.calibration",
    "load_calibration": "harness.scoring.calibration",
}

__all__ = [
    "CONFUSIONS",
    "COUNT_COLUMNS",
    "EXTRACTION_METRICS",
    "MATCHER_NAMES",
    "OP_TYPES",
    "Calibration",
    "CaseScore",
    "Estimate",
    "FinalStateScore",
    "GoldMemory",
    "GoldSide",
    "GoldState",
    "Judgement",
    "JudgementTable",
    "KeyTermCheck",
    "Matcher",
    "MatcherReport",
    "Metrics",
    "OpOutcome",
    "PairedEstimate",
    "RetrievalScore",
    "SessionScore",
    "aggregate",
    "ascore_case",
    "ascore_session",
    "bootstrap",
    "calibrate",
    "calibrate_file",
    "check_key_terms",
    "evaluate",
    "get_matcher",
    "gold_states",
    "load_calibration",
    "map_relevant",
    "match_case",
    "match_final_state",
    "match_session",
    "paired_bootstrap",
    "permutation_test",
    "retrieval_columns",
    "retrieval_metrics",
    "score_case",
    "score_provenance",
    "score_ranking",
    "score_session",
    "session_pairs",
    "token_f1",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from harness.data.keyterms import KeyTermCheck, check_key_terms
    from harness.scoring._factory import MATCHER_NAMES, get_matcher
    from harness.scoring.calibration import (
        Calibration,
        MatcherReport,
        calibrate,
        calibrate_file,
        evaluate,
        load_calibration,
    )
    from harness.scoring.final_state import FinalStateScore, match_final_state
    from harness.scoring.gold import GoldMemory, GoldState, gold_states
    from harness.scoring.matchers import GoldSide, Judgement, Matcher, token_f1
    from harness.scoring.metrics import (
        COUNT_COLUMNS,
        EXTRACTION_METRICS,
        CaseScore,
        Metrics,
        aggregate,
        ascore_case,
        match_case,
        score_case,
    )
    from harness.scoring.ops import (
        JudgementTable,
        ascore_session,
        match_session,
        score_session,
        session_pairs,
    )
    from harness.scoring.outcomes import CONFUSIONS, OP_TYPES, OpOutcome, SessionScore
    from harness.scoring.retrieval import (
        RetrievalScore,
        map_relevant,
        retrieval_columns,
        retrieval_metrics,
        score_provenance,
        score_ranking,
    )
    from harness.scoring.stats import (
        Estimate,
        PairedEstimate,
        bootstrap,
        paired_bootstrap,
        permutation_test,
    )
