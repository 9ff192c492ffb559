"""Labeled datasets: the case format, loading with full validation, splits, stats, importers.

Names load on first use, so importing :mod:`harness.data` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "Case": "harness.data.models",
    "DatasetHeader": "harness.data.models",
    "ExistingMemory": "harness.data.models",
    "GoldOp": "harness.data.models",
    "MatcherPair": "harness.data.models",
    "Message": "harness.data.models",
    "Query": "harness.data.models",
    "Session": "harness.data.models",
    "Split": "harness.data.models",
    "Dataset": "harness.data.load",
    "load_dataset": "harness.data.load",
    "PairSet": "harness.data.pairs",
    "detect_kind": "harness.data.pairs",
    "load_pairs": "harness.data.pairs",
    "SchemaRegistry": "harness.data.schemas",
    "load_schemas": "harness.data.schemas",
    "SPLITS": "harness.data.splits",
    "split_for_id": "harness.data.splits",
    "split_of": "harness.data.splits",
    "DatasetStats": "harness.data.stats",
    "PairStats": "harness.data.stats",
    "dataset_stats": "harness.data.stats",
    "pair_stats": "harness.data.stats",
    "check_case": "harness.data.validate",
}

__all__ = [
    "SPLITS",
    "Case",
    "Dataset",
    "DatasetHeader",
    "DatasetStats",
    "ExistingMemory",
    "GoldOp",
    "MatcherPair",
    "Message",
    "PairSet",
    "PairStats",
    "Query",
    "SchemaRegistry",
    "Session",
    "Split",
    "check_case",
    "dataset_stats",
    "detect_kind",
    "load_dataset",
    "load_pairs",
    "load_schemas",
    "pair_stats",
    "split_for_id",
    "split_of",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from harness.data.load import Dataset, load_dataset
    from harness.data.models import (
        Case,
        DatasetHeader,
        ExistingMemory,
        GoldOp,
        MatcherPair,
        Message,
        Query,
        Session,
        Split,
    )
    from harness.data.pairs import PairSet, detect_kind, load_pairs
    from harness.data.schemas import SchemaRegistry, load_schemas
    from harness.data.splits import SPLITS, split_for_id, split_of
    from harness.data.stats import DatasetStats, PairStats, dataset_stats, pair_stats
    from harness.data.validate import check_case
