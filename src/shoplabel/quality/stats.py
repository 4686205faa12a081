"""The collector of the rule engine: per-worker behaviour statistics.

:class:`WorkerStats` is what every rule condition reads. The service loads one worker's
recent events from the database and calls :func:`collect_stats`; conditions never see raw
rows, so they stay pure and testable with hand-made stats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from shoplabel.quality.errors import InvalidQualityInput
from shoplabel.quality.gold import BetaAccuracy

__all__ = ["WorkerStats", "collect_stats", "longest_run"]

DEFAULT_FAST_SECONDS = 2.0
"""A label submitted in under 2 s counts as "fast": too little to read a product title and a
query. Projects with one-glance tasks (image thumbnails) should lower it."""


def _fraction(name: str, value: float | None) -> None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise InvalidQualityInput(f"{name} must be in [0, 1], got {value!r}")


@dataclass(frozen=True, slots=True)
class WorkerStats:
    """Behaviour of one worker in one project (over the window the service chose).

    Attributes:
        n_labels: Labels submitted.
        median_seconds: Median time per label, ``None`` when unknown.
        fast_fraction: Share of labels faster than the collector's fast cutoff.
        constant_answer_fraction: Share of the worker's most common answer.
        longest_skip_streak: Longest run of consecutive skips.
        gold_accuracy: Beta posterior of accuracy on gold answers.
        n_gold: Gold answers scored.
        consensus_agreement: Share of labels equal to the item consensus (``None``: none).
        n_consensus: Labels on items that have a consensus.
        chance_llr: Running statistic of the online chance test
            (:mod:`~shoplabel.quality.screening`); positive when answers look random.
        n_scored: Labels checked against a reference (gold or a leave-one-out posterior).
        reference_agreement: Mean probability the references gave the worker's answers.
    """

    n_labels: int
    median_seconds: float | None = None
    fast_fraction: float = 0.0
    constant_answer_fraction: float = 0.0
    longest_skip_streak: int = 0
    gold_accuracy: BetaAccuracy = field(default_factory=BetaAccuracy)
    n_gold: int = 0
    consensus_agreement: float | None = None
    n_consensus: int = 0
    chance_llr: float = 0.0
    n_scored: int = 0
    reference_agreement: float | None = None

    def __post_init__(self) -> None:
        counts = (
            self.n_labels,
            self.longest_skip_streak,
            self.n_gold,
            self.n_consensus,
            self.n_scored,
        )
        if min(counts) < 0:
            raise InvalidQualityInput(f"worker statistics counts must be >= 0, got {counts}")
        _fraction("fast_fraction", self.fast_fraction)
        _fraction("constant_answer_fraction", self.constant_answer_fraction)
        _fraction("consensus_agreement", self.consensus_agreement)
        _fraction("reference_agreement", self.reference_agreement)
        if not math.isfinite(self.chance_llr):
            raise InvalidQualityInput(f"chance_llr must be finite, got {self.chance_llr!r}")
        med = self.median_seconds
        if med is not None and not (med >= 0.0 and math.isfinite(med)):
            raise InvalidQualityInput(f"median_seconds must be >= 0, got {med!r}")


def longest_run(flags: ArrayLike) -> int:
    """Length of the longest run of ``True`` in a 1-D boolean sequence (vectorised)."""
    arr = np.asarray(flags, dtype=bool).ravel()
    if not arr.any():
        return 0
    padded = np.concatenate(([False], arr, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[0::2]).max())


def collect_stats(
    seconds: ArrayLike,
    answers: Sequence[str],
    *,
    skips: Sequence[bool] = (),
    gold_credit: Sequence[float] = (),
    agreed: Sequence[bool] = (),
    fast_seconds: float = DEFAULT_FAST_SECONDS,
    gold_prior: tuple[float, float] = (2.0, 1.0),
) -> WorkerStats:
    """Summarise one worker's events into :class:`WorkerStats`.

    Args:
        seconds: ``(n_labels,)`` time spent on each submitted label (lease to submit).
        answers: ``(n_labels,)`` the submitted values as strings (non-categorical values as
            canonical JSON), in the same order.
        skips: The worker's lease outcomes in time order, ``True`` for a skip.
        gold_credit: Credit in [0, 1] of each gold answer (1/0 for categorical gold, or
            :func:`~shoplabel.quality.gold.ordinal_credit`).
        agreed: For each label on an item with a consensus, whether it matched it. Use a
            leave-one-out consensus (without this worker) so a worker does not agree with
            themselves.
        fast_seconds: Cutoff for ``fast_fraction``.
        gold_prior: Beta prior of the gold accuracy.

    Raises:
        InvalidQualityInput: ``seconds`` and ``answers`` differ in length, or bad values.
    """
    secs = np.asarray(seconds, dtype=np.float64).ravel()
    if secs.shape[0] != len(answers):
        raise InvalidQualityInput(
            f"seconds and answers must have the same length, got {secs.shape[0]}, {len(answers)}"
        )
    if (secs < 0).any() or not np.isfinite(secs).all():
        raise InvalidQualityInput("label durations must be finite and >= 0")
    credit = np.asarray(gold_credit, dtype=np.float64).ravel()
    if ((credit < 0) | (credit > 1)).any():
        raise InvalidQualityInput("gold credit must be in [0, 1]")
    agree = np.asarray(agreed, dtype=bool).ravel()
    n = secs.shape[0]
    top_share = 0.0
    if n:
        _, counts = np.unique(np.asarray(answers, dtype=object).astype(str), return_counts=True)
        top_share = float(counts.max() / n)
    return WorkerStats(
        n_labels=n,
        median_seconds=float(np.median(secs)) if n else None,
        fast_fraction=float((secs < fast_seconds).mean()) if n else 0.0,
        constant_answer_fraction=top_share,
        longest_skip_streak=longest_run(skips),
        gold_accuracy=BetaAccuracy.from_counts(
            float(credit.sum()), float((1.0 - credit).sum()), prior=gold_prior
        ),
        n_gold=int(credit.shape[0]),
        consensus_agreement=float(agree.mean()) if agree.size else None,
        n_consensus=int(agree.size),
    )
