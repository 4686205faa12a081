r"""Calibrated auto-labelling: the confidence threshold whose auto-labels meet a target
accuracy with a one-sided Clopper-Pearson bound.

Given held-out items with a model confidence $c_i$ and whether the model was right
$r_i \in \{0, 1\}$, the set above a threshold $t$ has $n_t$ items and $k_t$ correct. Its
accuracy is at least the one-sided $(1-\alpha)$ Clopper-Pearson lower bound
$L(k, n) = B^{-1}(\alpha;\, k,\, n-k+1)$ (the $\alpha$ quantile of a Beta distribution).

Thresholds are tested as a fixed sequence, from the highest to the lowest confidence, and
the scan stops at the first threshold that fails: testing in an order fixed before the
outcomes are seen controls the chance of accepting any failing threshold at $\alpha$ (the
"Learn then Test" argument), where picking the best of many thresholds would not. The scan
starts at the $n_0$ top items where a record half-way between the target and perfect,
$\lfloor n_0 (1 + \text{target}) / 2 \rfloor$ right, would pass (234 items for 95%), or at a
quarter of the held-out items if that is fewer (never under the perfect-record size): a start
where only a perfect record passes ($n \geq \ln\alpha / \ln(\text{target})$, 59 items)
ends the scan at the first disagreement with a noisy reference among the top 59. $n_0$
depends only on the target and the number of held-out items, never on the outcomes, so the
sequence stays fixed in advance.

References: Clopper & Pearson (1934), doi:10.1093/biomet/26.4.404; Angelopoulos, Bates,
Candès, Jordan, Lei (2021), "Learn then Test", arXiv:2110.01052.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import beta

__all__ = [
    "ThresholdCalibration",
    "calibrate_threshold",
    "clopper_pearson_lower",
    "clopper_pearson_upper",
    "min_items_for",
    "scan_start",
    "spot_checks_fail",
]


def clopper_pearson_lower(k: int, n: int, *, alpha: float = 0.05) -> float:
    """One-sided lower confidence bound of a binomial proportion (0 when ``n == 0``)."""
    if n <= 0 or k <= 0:
        return 0.0
    return float(beta.ppf(alpha, k, n - k + 1))


def clopper_pearson_upper(k: int, n: int, *, alpha: float = 0.05) -> float:
    """One-sided upper confidence bound of a binomial proportion (1 when ``n == 0``)."""
    if n <= 0 or k >= n:
        return 1.0
    return float(beta.ppf(1.0 - alpha, k + 1, n - k))


def min_items_for(target: float, *, alpha: float = 0.05) -> int:
    """Fewest items whose all-correct record has a lower bound of at least ``target``."""
    return math.ceil(math.log(alpha) / math.log(target))


#: The scan starts within the top 1/_START_SHARE of the held-out items, so small sets can
#: still reach high thresholds.
_START_SHARE = 4


def scan_start(n: int, target: float, *, alpha: float = 0.05) -> int:
    """Where the fixed-sequence scan starts on ``n`` held-out items (see the module doc)."""
    perfect = min_items_for(target, alpha=alpha)
    halfway = (1.0 + target) / 2.0
    for size in range(perfect, n // _START_SHARE + 1):
        if clopper_pearson_lower(math.floor(size * halfway), size, alpha=alpha) >= target:
            return size
    return max(perfect, n // _START_SHARE)


@dataclass(frozen=True, slots=True)
class ThresholdCalibration:
    """The outcome of a calibration; ``threshold`` is ``None`` when no threshold passes.

    ``n_covered`` / ``n_correct``: held-out items at or above the threshold and how many the
    model got right; ``lower_bound``: their accuracy's lower bound; ``coverage``: the share
    of held-out items the threshold would auto-label.
    """

    threshold: float | None
    target: float
    alpha: float
    n_holdout: int
    n_covered: int
    n_correct: int
    lower_bound: float
    coverage: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "target": self.target,
            "alpha": self.alpha,
            "n_holdout": self.n_holdout,
            "n_covered": self.n_covered,
            "n_correct": self.n_correct,
            "lower_bound": round(self.lower_bound, 6),
            "coverage": round(self.coverage, 6),
        }


def calibrate_threshold(
    confidence: ArrayLike, correct: ArrayLike, *, target: float, alpha: float = 0.05
) -> ThresholdCalibration:
    """The lowest threshold of the fixed-sequence scan whose covered set passes.

    Args:
        confidence: Model confidence per held-out item, shape ``(n,)``.
        correct: Whether the model's label was right, shape ``(n,)``.
        target: Accuracy the auto-labelled set must reach, in (0, 1).
        alpha: One minus the confidence level of the bound.
    """
    conf = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=bool)
    order = np.argsort(-conf, kind="stable")
    conf, ok = conf[order], ok[order]
    n = len(conf)
    hits = np.cumsum(ok)
    best = ThresholdCalibration(None, target, alpha, n, 0, 0, 0.0, 0.0)
    start = scan_start(n, target, alpha=alpha)
    for end in range(start, n + 1):
        # Ties: a threshold covers every item with the same confidence, so test only at
        # the last item of a run of equal confidences.
        if end < n and conf[end] == conf[end - 1]:
            continue
        k = int(hits[end - 1])
        bound = clopper_pearson_lower(k, end, alpha=alpha)
        if bound < target:
            break
        best = ThresholdCalibration(
            float(conf[end - 1]), target, alpha, n, end, k, bound, end / n if n else 0.0
        )
    return best


def spot_checks_fail(k: int, n: int, *, target: float, alpha: float = 0.05) -> bool:
    """True when spot checks show, at level ``alpha``, that accuracy is below ``target``
    (the upper Clopper-Pearson bound of ``k`` right out of ``n`` is under it)."""
    return n > 0 and clopper_pearson_upper(k, n, alpha=alpha) < target
