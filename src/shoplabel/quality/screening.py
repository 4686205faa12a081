r"""Online screening: is a worker answering at chance? A sequential test, one label at a time.

Every label that can be checked against a *reference* - the truth of a gold item, or the
leave-one-out posterior of an item when it settles (the other labels' posterior, without the
worker's own) - is one observation of a sequential likelihood-ratio test between

- :math:`H_0`: the worker answers like the project's *average worker* (the fitted model's
  fallback confusion matrix :math:`\bar\pi`), and
- :math:`H_1`: the worker answers *at chance*, uniformly over the :math:`K` classes,

.. math::

    P(y \mid H_0) = \sum_c r_c \, \bar\pi_{c y}, \qquad P(y \mid H_1) = 1 / K, \qquad
    \Lambda \leftarrow \max\big(\Lambda + \log P(y \mid H_1) - \log P(y \mid H_0),\;
    -2 \log(1/\alpha)\big)

where :math:`r` is the reference distribution. The worker is flagged once
:math:`\Lambda \ge \log(1/\alpha)`. Under :math:`H_0` the likelihood ratio is a martingale,
so (Ville's inequality) a worker who answers like the average worker crosses the threshold
from a start at 0 with probability at most :math:`\alpha`; the floor caps the credit a long
good record can bank (a worker who turns to random answering is still caught within about
:math:`3 \log(1/\alpha)` over the per-label drift), and a restart from the floor crosses with
probability at most :math:`\alpha^3`. Workers *worse* than average but better than chance sit
in between: the drift is zero about half-way between the two (in log-likelihood), which is
where the test starts to flag them. An uninformative reference (a 50/50 posterior) gives an
increment of about 0: no evidence either way. O(K) per label; the state is one float.

Reference: Wald (1945), *Sequential tests of statistical hypotheses*; Page (1954), CUSUM.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoplabel.quality.errors import InvalidQualityInput
from shoplabel.quality.gold import DEFAULT_ACCURACY_PRIOR
from shoplabel.quality.skills import WorkerSkill

__all__ = [
    "LabelEvidence",
    "chance_threshold",
    "class_skill",
    "fold_class_counts",
    "fold_llr",
    "label_evidence",
]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class LabelEvidence:
    """What one label checked against a reference says about its worker.

    Attributes:
        llr: :math:`\\log P(y \\mid \\text{chance}) - \\log P(y \\mid \\text{average worker})`;
            positive means the answer looks random.
        agreement: Probability the reference gives the worker's answer.
    """

    llr: float
    agreement: float


def _distribution(reference: ArrayLike) -> FloatArray:
    r = np.asarray(reference, dtype=np.float64).ravel()
    if r.size < 2 or (r < 0).any() or not np.isfinite(r).all() or r.sum() <= 0:
        raise InvalidQualityInput(f"a reference must be a distribution over >= 2 classes, got {r}")
    out: FloatArray = r / r.sum()
    return out


def label_evidence(reference: ArrayLike, answer: int, average: ArrayLike) -> LabelEvidence:
    """Evidence of one label.

    Args:
        reference: ``(n_labels,)`` reference distribution over the true class (one-hot for
            gold).
        answer: Position of the worker's answer.
        average: ``(n_labels, n_labels)`` confusion matrix of the average worker,
            ``P(answer | true)`` with the true class on axis 0 (rows sum to 1).

    Raises:
        InvalidQualityInput: Shapes disagree or ``answer`` is out of range.
    """
    r = _distribution(reference)
    pi = np.asarray(average, dtype=np.float64)
    k = r.size
    if pi.shape != (k, k) or not 0 <= answer < k:
        raise InvalidQualityInput(
            f"average confusion must be ({k}, {k}) and the answer in [0, {k}), "
            f"got {pi.shape} and {answer}"
        )
    p_good = float(r @ pi[:, answer])
    return LabelEvidence(
        llr=math.log(1.0 / k) - math.log(max(p_good, 1e-12)), agreement=float(r[answer])
    )


def chance_threshold(alpha: float) -> float:
    """``log(1 / alpha)``: the log-likelihood ratio at which a worker is flagged.

    Raises:
        InvalidQualityInput: ``alpha`` outside (0, 1).
    """
    if not 0.0 < alpha < 1.0:
        raise InvalidQualityInput(f"alpha must be in (0, 1), got {alpha!r}")
    return math.log(1.0 / alpha)


def fold_llr(llr: float, increments: Sequence[float], *, alpha: float) -> float:
    """Add label increments to the running statistic, floored at ``-2 log(1/alpha)``."""
    floor = -2.0 * chance_threshold(alpha)
    for inc in increments:
        llr = max(floor, llr + inc)
    return llr


def fold_class_counts(
    counts: Mapping[str, Sequence[float]],
    labels: Sequence[str],
    reference: ArrayLike,
    answer: int,
) -> dict[str, list[float]]:
    """Per-class soft counts after one checked label (inputs unchanged).

    ``counts[c] = [mass, right]``: the reference's total probability that the true class was
    ``c``, and the part of it where the worker answered ``c``. Gold gives whole counts.
    """
    r = _distribution(reference)
    if r.size != len(labels) or not 0 <= answer < r.size:
        raise InvalidQualityInput("reference, labels and answer disagree")
    out = {c: [float(v[0]), float(v[1])] for c, v in counts.items()}
    for k, label in enumerate(labels):
        if r[k] <= 0.0:
            continue
        mass, right = out.get(label, [0.0, 0.0])
        out[label] = [round(mass + float(r[k]), 6), round(right + float(r[k]) * (k == answer), 6)]
    return out


def class_skill(
    counts: Mapping[str, Sequence[float]],
    labels: Sequence[str],
    *,
    prior: tuple[float, float] = DEFAULT_ACCURACY_PRIOR,
) -> WorkerSkill:
    """Per-class recall posteriors (:class:`~shoplabel.quality.skills.WorkerSkill`, classes
    in ``labels`` order) from the soft counts of :func:`fold_class_counts`."""
    a0, b0 = prior
    mass = np.array([float(counts.get(c, (0.0, 0.0))[0]) for c in labels])
    right = np.array([float(counts.get(c, (0.0, 0.0))[1]) for c in labels])
    return WorkerSkill(a0 + right, b0 + np.maximum(mass - right, 0.0))
