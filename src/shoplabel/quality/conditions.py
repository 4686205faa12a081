"""Rule conditions: predicates over :class:`~shoplabel.quality.stats.WorkerStats`.

Each condition is a read-only registry entry: its parameters (with defaults, ranges and
strictness direction) and a check that returns ``None`` when it does not fire, or a reason
sentence with the numbers ("median 1.2 s per label < 3 s over 40 labels") when it does.
Every condition is monotone in each parameter, which is what makes rule containment
(:func:`implies`) decidable by comparing parameters one by one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from shoplabel.quality.gold import BetaAccuracy
from shoplabel.quality.params import ParamSpec, Stricter
from shoplabel.quality.screening import chance_threshold
from shoplabel.quality.stats import WorkerStats

__all__ = ["CONDITIONS", "ConditionSpec", "implies"]

Check = Callable[[WorkerStats, Mapping[str, float]], "str | None"]
_LOW, _HIGH = Stricter.LOWER, Stricter.HIGHER
_LEVEL_HI = 0.999


@dataclass(frozen=True, slots=True)
class ConditionSpec:
    """A rule condition: name, parameters and its check."""

    name: str
    params: tuple[ParamSpec, ...]
    check: Check
    doc: str


def _count(name: str, default: int, doc: str) -> ParamSpec:
    return ParamSpec(name, default, 0, 1_000_000, integer=True, stricter=_HIGH, doc=doc)


def _too_fast(s: WorkerStats, p: Mapping[str, float]) -> str | None:
    if s.n_labels < p["min_labels"]:
        return None
    parts = []
    if s.median_seconds is not None and s.median_seconds < p["max_median_seconds"]:
        parts.append(f"median {s.median_seconds:.3g} s per label < {p['max_median_seconds']:g} s")
    if s.fast_fraction > p["max_fast_fraction"]:
        parts.append(f"{s.fast_fraction:.0%} fast labels > {p['max_fast_fraction']:.0%}")
    return f"{' and '.join(parts)} over {s.n_labels} labels" if parts else None


def _constant(s: WorkerStats, p: Mapping[str, float]) -> str | None:
    share = s.constant_answer_fraction
    if s.n_labels < p["min_labels"] or share <= p["max_share"]:
        return None
    return f"{share:.0%} of {s.n_labels} labels are the same answer > {p['max_share']:.0%}"


def _skips(s: WorkerStats, p: Mapping[str, float]) -> str | None:
    if s.longest_skip_streak <= p["max_streak"]:
        return None
    return f"{s.longest_skip_streak} skips in a row > {p['max_streak']:g}"


def _low_gold(s: WorkerStats, p: Mapping[str, float]) -> str | None:
    if s.n_gold < p["min_gold"] or s.n_gold == 0:
        return None
    upper = s.gold_accuracy.upper(p["level"])
    if upper >= p["min_accuracy"]:
        return None
    return (
        f"gold accuracy {s.gold_accuracy.mean:.0%} over {s.n_gold} gold answers, "
        f"{p['level']:.0%} upper bound {upper:.0%} < {p['min_accuracy']:.0%}"
    )


def _low_agreement(s: WorkerStats, p: Mapping[str, float]) -> str | None:
    a, n = s.consensus_agreement, s.n_consensus
    if a is None or n == 0 or n < p["min_labels"]:
        return None
    upper = BetaAccuracy(1.0 + a * n, 1.0 + (1.0 - a) * n).upper(p["level"])
    if upper >= p["min_agreement"]:
        return None
    return (
        f"agreement with consensus {a:.0%} over {n} labels, "
        f"{p['level']:.0%} upper bound {upper:.0%} < {p['min_agreement']:.0%}"
    )


def _near_chance(s: WorkerStats, p: Mapping[str, float]) -> str | None:
    if s.n_scored < max(p["min_scored"], 1):
        return None
    threshold = chance_threshold(p["alpha"])
    if s.chance_llr < threshold:
        return None
    if s.reference_agreement is not None and s.reference_agreement > p["max_agreement"]:
        return None  # worse than average but tracking the references: not at chance
    agree = "" if s.reference_agreement is None else f", mean agreement {s.reference_agreement:.0%}"
    return (
        f"answers look random: over {s.n_scored} checked labels{agree}, chance is "
        f"{math.exp(min(s.chance_llr, 700.0)):.3g} times as likely as the average worker "
        f"(>= 1/alpha = {1.0 / p['alpha']:.3g})"
    )


_LEVEL_DOC = "credibility of the upper bound; higher needs more evidence before firing"

CONDITIONS: Final[Mapping[str, ConditionSpec]] = MappingProxyType(
    {
        "too_fast": ConditionSpec(
            "too_fast",
            (
                ParamSpec("max_median_seconds", 3.0, 0.0, 3600.0, stricter=_LOW,
                          doc="fires when the median seconds per label is below this"),
                ParamSpec("max_fast_fraction", 0.5, 0.0, 1.0, stricter=_HIGH,
                          doc="... or when the share of fast labels is above this"),
                _count("min_labels", 20, "labels needed before the condition can fire"),
            ),
            _too_fast,
            "Answers faster than anyone can read the item.",
        ),
        "constant_answers": ConditionSpec(
            "constant_answers",
            (
                ParamSpec("max_share", 0.95, 0.0, 1.0, stricter=_HIGH,
                          doc="fires when the most common answer's share is above this"),
                _count("min_labels", 30, "labels needed before the condition can fire"),
            ),
            _constant,
            "Nearly always the same answer, whatever the item.",
        ),
        "skip_streak": ConditionSpec(
            "skip_streak",
            (_count("max_streak", 20, "fires when the longest run of skips is above this"),),
            _skips,
            "Long runs of skipped tasks (cherry-picking or an idle tab).",
        ),
        "low_gold_accuracy": ConditionSpec(
            "low_gold_accuracy",
            (
                ParamSpec("min_accuracy", 0.7, 0.0, 1.0, stricter=_LOW,
                          doc="fires when the upper credible bound is below this"),
                ParamSpec("level", 0.9, 0.5, _LEVEL_HI, stricter=_HIGH, doc=_LEVEL_DOC),
                _count("min_gold", 8, "gold answers needed before the condition can fire"),
            ),
            _low_gold,
            "Confidently below the accuracy bar on gold items.",
        ),
        "low_agreement": ConditionSpec(
            "low_agreement",
            (
                ParamSpec("min_agreement", 0.6, 0.0, 1.0, stricter=_LOW,
                          doc="fires when the upper credible bound is below this"),
                ParamSpec("level", 0.9, 0.5, _LEVEL_HI, stricter=_HIGH, doc=_LEVEL_DOC),
                _count("min_labels", 20, "labels on items with a consensus needed first"),
            ),
            _low_agreement,
            "Confidently disagreeing with the (leave-one-out) consensus.",
        ),
        "near_chance": ConditionSpec(
            "near_chance",
            (
                ParamSpec("alpha", 0.01, 1e-9, 0.5, stricter=_LOW,
                          doc="bound on the chance of flagging a worker who answers like the "
                              "average worker (threshold log(1/alpha))"),
                _count("min_scored", 10, "labels checked against a reference needed first"),
                ParamSpec("max_agreement", 0.65, 0.0, 1.0, stricter=_LOW,
                          doc="... and only while the mean probability the references gave "
                              "the worker's answers is at most this"),
            ),
            _near_chance,
            "Answers indistinguishable from random, by a sequential test run on every checked "
            "label (gold, or the item's leave-one-out posterior).",
        ),
    }
)  # fmt: skip


def implies(condition: str, a: Mapping[str, float], b: Mapping[str, float]) -> bool:
    """Whether ``condition`` with params ``a`` can only fire where it fires with ``b``.

    True when every parameter of ``a`` is at least as strict as the same parameter of ``b``
    (exact for these conditions, which are monotone in each parameter). A missing parameter
    takes its default.
    """
    for spec in CONDITIONS[condition].params:
        x, y = a.get(spec.name, spec.default), b.get(spec.name, spec.default)
        if (x > y) if spec.stricter is Stricter.LOWER else (x < y):
            return False
    return True
