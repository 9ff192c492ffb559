"""How well a matcher separates same-fact pairs from hard negatives, and its best threshold.

:func:`evaluate` scores a matcher on labeled pairs (``a`` = gold side with its key terms, ``b`` =
prediction, ``same`` = label); :func:`calibrate` picks the threshold that maximises accuracy.
``harness matchers calibrate`` writes the result for every offline matcher to
``calibration.json`` in the working directory (or ``-o PATH``); runs read the committed copy
beside this module (:func:`~harness.scoring.get_matcher`) unless
``HARNESS_CALIBRATION`` names another. A test re-calibrates on the shipped pairs, so the stored
numbers cannot go stale.

Threshold choice: accuracy only changes at observed similarities, so the candidates are the
intervals between consecutive distinct scores. The best interval maximises accuracy with key
terms; ties go to the interval most accurate *without* key terms (the threshold alone must carry
the decision wherever a gold side has no key terms, e.g. an untouched existing memory in the final
state); remaining ties to the lowest run of adjacent tied intervals. The threshold is the midpoint
of that run (clipped to the observed scores at its open ends): the widest margin on both sides,
and deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness._async import run_sync
from harness.data.keyterms import check_key_terms
from harness.data.models import MatcherPair
from harness.data.pairs import load_pairs
from harness.scoring._calibration_file import (
    CALIBRATED,
    CALIBRATION_ENV,
    CALIBRATION_FILE,
    FIXED_THRESHOLDS,
    OUTPUT_FILE,
    Calibration,
    CalibrationFile,
    MatcherReport,
    TagAccuracy,
    calibrated_threshold,
    calibration_path,
    default_calibration_path,
    load_calibration,
    write_calibration,
)
from harness.scoring._factory import get_matcher
from harness.scoring.matchers import GoldSide, Matcher

# The stored calibration's names, importable from here as before.
__all__ = [
    "CALIBRATED",
    "CALIBRATION_ENV",
    "CALIBRATION_FILE",
    "FIXED_THRESHOLDS",
    "HARD_NEGATIVE_TAGS",
    "OUTPUT_FILE",
    "Calibration",
    "CalibrationFile",
    "MatcherReport",
    "TagAccuracy",
    "acalibrate",
    "aevaluate",
    "best_threshold",
    "calibrate",
    "calibrate_file",
    "calibrated_threshold",
    "calibration_path",
    "default_calibration_path",
    "evaluate",
    "load_calibration",
    "markdown_tables",
    "report",
    "write_calibration",
]


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def report(
    matcher: str,
    pairs: Sequence[MatcherPair],
    accepted: Sequence[bool],
    *,
    threshold: float,
    key_terms: bool,
) -> MatcherReport:
    """Confusion counts, accuracy, P/R/F1 and per-tag accuracy of ``accepted`` against labels."""
    tp = sum(a and p.same for p, a in zip(pairs, accepted, strict=True))
    fp = sum(a and not p.same for p, a in zip(pairs, accepted, strict=True))
    fn = sum(not a and p.same for p, a in zip(pairs, accepted, strict=True))
    tn = len(pairs) - tp - fp - fn
    tags: dict[str, list[bool]] = {}
    for pair, verdict in zip(pairs, accepted, strict=True):
        for tag in pair.tags:
            tags.setdefault(tag, []).append(verdict == pair.same)
    return MatcherReport(
        matcher=matcher,
        threshold=threshold,
        key_terms=key_terms,
        n=len(pairs),
        accuracy=(tp + tn) / len(pairs) if pairs else math.nan,
        precision=_ratio(tp, tp + fp),
        recall=_ratio(tp, tp + fn),
        f1=_ratio(2 * tp, 2 * tp + fp + fn),
        tp=tp,
        fp=fp,
        tn=tn,
        fn=fn,
        per_tag={
            tag: TagAccuracy(n=len(hits), accuracy=sum(hits) / len(hits))
            for tag, hits in sorted(tags.items())
        },
        errors=[p.id for p, a in zip(pairs, accepted, strict=True) if a != p.same],
    )


async def _scores(matcher: Matcher, pairs: Sequence[MatcherPair]) -> tuple[list[float], list[bool]]:
    """Similarity of every pair (with the matcher's key terms off) and the key-term verdicts."""
    sims = await matcher.with_options(key_terms=False).asimilarities([(p.a, p.b) for p in pairs])
    gates = [check_key_terms(p.b, p.require, p.forbid).ok for p in pairs]
    return sims, gates


async def aevaluate(matcher: Matcher, pairs: Sequence[MatcherPair]) -> MatcherReport:
    """Score ``matcher`` (its threshold, its key-term switch) on labeled pairs."""
    items = [(GoldSide.of(p.a, p.require, p.forbid), p.b) for p in pairs]
    verdicts = await matcher.ajudge(items)
    return report(
        matcher.name,
        pairs,
        [v.accepted for v in verdicts],
        threshold=matcher.threshold,
        key_terms=matcher.key_terms,
    )


def evaluate(matcher: Matcher, pairs: Sequence[MatcherPair]) -> MatcherReport:
    return run_sync(aevaluate(matcher, pairs))


def best_threshold(
    scores: Sequence[float],
    labels: Sequence[bool],
    gates: Sequence[bool] | None = None,
    *,
    default: float = 0.5,
) -> float:
    """The threshold maximising the accuracy of ``accept = score >= t and gate``.

    Ties on that accuracy go to the threshold most accurate with the gates ignored (key terms
    cannot help where a gold side has none), then to the lowest run of tied intervals, whose
    midpoint is returned (see the module docstring). ``default`` is returned for no scores.
    """
    values = sorted(set(scores))
    if not values:
        return default
    gates = [True] * len(scores) if gates is None else list(gates)
    triples = list(zip(scores, labels, gates, strict=True))
    # Interval i (0..m) holds the thresholds accepting the pairs scoring above bounds[i]:
    # i = 0 accepts every pair, i = m none.
    bounds = [-math.inf, *values]
    ranks = [
        (
            sum((g and s > bound) == y for s, y, g in triples),
            sum((s > bound) == y for s, y, _ in triples),
        )
        for bound in bounds
    ]
    start = ranks.index(max(ranks))
    end = start
    while end + 1 < len(ranks) and ranks[end + 1] == ranks[start]:
        end += 1
    if start == len(values):  # only "reject everything" is best
        return math.nextafter(values[-1], math.inf)
    low = values[start - 1] if start > 0 else values[0]
    high = values[end] if end < len(values) else values[-1]
    return (low + high) / 2


async def acalibrate(matcher: Matcher, pairs: Sequence[MatcherPair]) -> Calibration:
    """Best thresholds with and without key terms, and the reports at them."""
    sims, gates = await _scores(matcher, pairs)
    labels = [p.same for p in pairs]
    fixed = FIXED_THRESHOLDS.get(matcher.name)
    default = matcher.default_threshold
    with_terms = (
        fixed if fixed is not None else best_threshold(sims, labels, gates, default=default)
    )
    plain = fixed if fixed is not None else best_threshold(sims, labels, default=default)
    accepted = [s >= with_terms and g for s, g in zip(sims, gates, strict=True)]
    return Calibration(
        threshold=with_terms,
        calibrated=fixed is None,
        embedder=matcher.description.get("embedder"),
        with_key_terms=report(matcher.name, pairs, accepted, threshold=with_terms, key_terms=True),
        without_key_terms=report(
            matcher.name, pairs, [s >= plain for s in sims], threshold=plain, key_terms=False
        ),
    )


def calibrate(matcher: Matcher, pairs: Sequence[MatcherPair]) -> Calibration:
    return run_sync(acalibrate(matcher, pairs))


def calibrate_file(
    path: str | Path, matchers: Sequence[str] = CALIBRATED, *, embedder: Any = None
) -> CalibrationFile:
    """Calibrate each named matcher on a pair file (read by :func:`~harness.data.load_pairs`)."""
    pair_set = load_pairs(path)
    results = {
        name: calibrate(get_matcher(name, threshold=0.0, embedder=embedder), pair_set.pairs)
        for name in matchers
    }
    return CalibrationFile(
        pairs_file=_portable(Path(path)),
        pairs_hash=pair_set.content_hash,
        n_pairs=len(pair_set),
        matchers=results,
    )


def _portable(path: Path) -> str:
    """The pair file relative to the working directory, or its bare name: never a machine path."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.name


HARD_NEGATIVE_TAGS = (
    "changed-value",
    "negation",
    "different-time",
    "different-person",
    "possibility",
    "different-attribute",
    "history-stale",
    "history-reversed",
)


def markdown_tables(data: CalibrationFile, *, tags: Sequence[str] = HARD_NEGATIVE_TAGS) -> str:
    """The calibration as the Markdown tables docs/scoring.md shows (a test keeps them in sync)."""

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.1f} %"

    def cut(value: float) -> str:
        return "none accepted" if value > 1.0 else f"{value:.3f}"

    lines = [
        "| matcher | threshold | accuracy | precision | recall | similarity alone: threshold, accuracy |",  # noqa: E501
        "|---|---|---|---|---|---|",
    ]
    for name, entry in data.matchers.items():
        report, alone = entry.with_key_terms, entry.without_key_terms
        label = f"`{name}`" + (" (default)" if name == "embedding" else "")
        fixed = "" if entry.calibrated else " (fixed)"
        lines.append(
            f"| {label} | {cut(entry.threshold)}{fixed} | {pct(report.accuracy)} | "
            f"{pct(report.precision)} | {pct(report.recall)} | "
            f"{cut(alone.threshold)}, {pct(alone.accuracy)} |"
        )
    embedding = data.matchers.get("embedding")
    if embedding is not None:
        lines += ["", "| hard negatives (`embedding`) | pairs | with key terms | cosine alone |"]
        lines.append("|---|---|---|---|")
        for tag in tags:
            with_terms = embedding.with_key_terms.per_tag.get(tag)
            by_cosine = embedding.without_key_terms.per_tag.get(tag)
            if with_terms is None or by_cosine is None:
                continue
            lines.append(
                f"| {tag} | {with_terms.n} | {pct(with_terms.accuracy)} "
                f"| {pct(by_cosine.accuracy)} |"
            )
    return "\n".join(lines)
