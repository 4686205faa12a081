"""Agreement and uncertainty metrics: worker accuracy, Krippendorff's alpha, Fleiss' kappa,
per-item entropy and margin (for routing uncertain items)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from shoplabel.inference.errors import InvalidOptions, ShapeMismatch
from shoplabel.inference.matrix import AnnotationMatrix, GoldLabels, vote_counts

__all__ = [
    "WorkerAccuracy",
    "entropy",
    "fleiss_kappa",
    "krippendorff_alpha",
    "margin",
    "worker_accuracy",
]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class WorkerAccuracy:
    """Per-worker accuracy against a reference.

    Attributes:
        worker_ids: Codebook of the arrays.
        accuracy: ``(n_workers,)`` share of scored answers equal to the reference (NaN when
            the worker has no scored answer).
        n_scored: ``(n_workers,)`` number of answers on tasks with a reference.
    """

    worker_ids: tuple[str, ...]
    accuracy: FloatArray
    n_scored: NDArray[np.int64]


def worker_accuracy(
    m: AnnotationMatrix, *, gold: GoldLabels | None = None, probas: FloatArray | None = None
) -> WorkerAccuracy:
    """Worker accuracy against gold labels or against a consensus.

    Args:
        m: The annotations.
        gold: Score only answers on gold tasks, against the gold label.
        probas: ``(n_tasks, n_labels)`` consensus; answers are scored against its top label.

    Raises:
        InvalidOptions: Neither or both of ``gold`` and ``probas``.
    """
    if (gold is None) == (probas is None):
        raise InvalidOptions("give exactly one of gold or probas")
    reference = np.full(m.n_tasks, -1, dtype=np.intp)
    if gold is not None:
        reference[gold.task_idx] = gold.label_idx
    elif probas is not None:
        if probas.shape != (m.n_tasks, m.n_labels):
            raise ShapeMismatch(f"probas must have shape {(m.n_tasks, m.n_labels)}")
        reference = np.argmax(probas, axis=1).astype(np.intp)
    ref = reference[m.task_idx]
    scored = ref >= 0
    n = np.bincount(m.worker_idx[scored], minlength=m.n_workers)
    hits = np.bincount(
        m.worker_idx[scored], weights=(m.label_idx[scored] == ref[scored]), minlength=m.n_workers
    )
    acc = np.divide(hits, n, out=np.full(m.n_workers, np.nan), where=n > 0)
    return WorkerAccuracy(m.worker_ids, acc, n.astype(np.int64))


def entropy(probas: FloatArray) -> FloatArray:
    """``(n_tasks,)`` Shannon entropy (nats) of each row of ``(n_tasks, n_labels)`` probas."""
    safe = np.where(probas > 0.0, probas, 1.0)
    out: FloatArray = -np.sum(probas * np.log(safe), axis=1)
    return out


def margin(probas: FloatArray) -> FloatArray:
    """``(n_tasks,)`` top probability minus the runner-up (1 for a single label)."""
    if probas.shape[1] < 2:
        return np.ones(probas.shape[0])
    top2 = np.sort(probas, axis=1)[:, -2:]
    out: FloatArray = top2[:, 1] - top2[:, 0]
    return out


def fleiss_kappa(m: AnnotationMatrix) -> float:
    r"""Fleiss' kappa, generalised to a varying number of raters per item.

    $\kappa = (\bar P - P_e)/(1 - P_e)$ with $\bar P$ the mean pairwise agreement of items
    with at least two labels and $P_e = \sum_k p_k^2$ from all their labels.
    Returns NaN when no item has two labels or when $P_e = 1$ (one label used).

    Reference: Fleiss (1971), *Measuring nominal scale agreement among many raters*.
    """
    counts = vote_counts(m)
    n = counts.sum(axis=1)
    used = n >= 2
    if not used.any():
        return float("nan")
    c, nn = counts[used], n[used]
    p_item = (np.sum(c * c, axis=1) - nn) / (nn * (nn - 1.0))
    p_label = c.sum(axis=0) / nn.sum()
    p_e = float(np.sum(p_label**2))
    if p_e >= 1.0:
        return float("nan")
    return float((p_item.mean() - p_e) / (1.0 - p_e))


def krippendorff_alpha(m: AnnotationMatrix, *, level: str = "nominal") -> float:
    r"""Krippendorff's alpha for nominal, ordinal or interval labels.

    $\alpha = 1 - D_o / D_e$ from the coincidence matrix of pairable values (items with at
    least two labels). ``ordinal`` and ``interval`` use the label codebook order (positions
    $0..K-1$) as the scale. Returns NaN when there is no disagreement to expect ($D_e=0$).

    Reference: Krippendorff (2011), *Computing Krippendorff's alpha-reliability*.

    Raises:
        InvalidOptions: Unknown ``level``.
    """
    counts = vote_counts(m)
    n = counts.sum(axis=1)
    c = counts[n >= 2]
    nn = n[n >= 2]
    if c.size == 0:
        return float("nan")
    # Coincidences o_kl = sum_u n_uk (n_ul - [k = l]) / (n_u - 1).
    weighted = c / (nn - 1.0)[:, None]
    coincidence = weighted.T @ c - np.diag(weighted.sum(axis=0))
    n_k = coincidence.sum(axis=1)
    total = n_k.sum()
    delta = _distance(m.n_labels, n_k, level)
    observed = float(np.sum(coincidence * delta)) / total
    expected = float(n_k @ delta @ n_k) / (total * (total - 1.0))
    if expected == 0.0:
        return float("nan")
    return float(1.0 - observed / expected)


def _distance(n_labels: int, n_k: FloatArray, level: str) -> FloatArray:
    k = np.arange(n_labels, dtype=np.float64)
    if level == "nominal":
        return 1.0 - np.eye(n_labels)
    if level == "interval":
        out: FloatArray = (k[:, None] - k[None, :]) ** 2
        return out
    if level == "ordinal":
        cum = np.concatenate([[0.0], np.cumsum(n_k)])
        lo, hi = np.minimum.outer(k, k).astype(int), np.maximum.outer(k, k).astype(int)
        between = cum[hi + 1] - cum[lo] - (n_k[lo] + n_k[hi]) / 2.0
        ordinal: FloatArray = between**2
        return ordinal
    raise InvalidOptions(f"level must be nominal, ordinal or interval, got {level!r}")
