"""Shared expectation-maximisation machinery for confusion-matrix models.

Every model here factorises as
$P(z_j = k, y_j) = \\pi_k \\prod_{(w, l) \\in y_j} \\theta_{w k l}$, so the E-step is one sparse
product of the ``(n_tasks, n_workers * n_labels)`` design matrix with the log-confusion table,
and the M-step's sufficient statistics are one product with its transpose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from shoplabel.inference.errors import InvalidOptions
from shoplabel.inference.matrix import AnnotationMatrix, GoldLabels, vote_counts

__all__ = [
    "EMTrace",
    "calibration_weights",
    "check_em_options",
    "clamp_gold",
    "confusion_counts",
    "e_step",
    "initial_probas",
    "normalise_log_joint",
    "run_em",
    "skill_from_confusion",
]

FloatArray = NDArray[np.float64]
EStep = Callable[[FloatArray], tuple[FloatArray, float]]


@dataclass(frozen=True, slots=True)
class EMTrace:
    """Final posteriors and the path that led there."""

    probas: FloatArray
    history: tuple[float, ...]
    n_iter: int
    converged: bool


def check_em_options(max_iter: int, tol: float) -> None:
    """Raise :class:`InvalidOptions` for a non-positive ``max_iter`` or negative ``tol``."""
    if max_iter < 1:
        raise InvalidOptions(f"max_iter must be at least 1, got {max_iter}")
    if not tol >= 0.0:
        raise InvalidOptions(f"tol must be non-negative, got {tol}")


def clamp_gold(probas: FloatArray, gold: GoldLabels | None) -> FloatArray:
    """Copy of ``probas`` with gold tasks set to their one-hot label."""
    if gold is None or gold.task_idx.size == 0:
        return probas
    out = probas.copy()
    out[gold.task_idx] = 0.0
    out[gold.task_idx, gold.label_idx] = 1.0
    return out


def initial_probas(m: AnnotationMatrix, gold: GoldLabels | None) -> FloatArray:
    """Majority-vote posteriors (vote shares) with gold clamped: the usual EM start."""
    counts = vote_counts(m)
    totals = counts.sum(axis=1, keepdims=True)
    probas = np.divide(counts, totals, out=np.full_like(counts, 1.0 / m.n_labels), where=totals > 0)
    return clamp_gold(probas, gold)


def e_step(
    m: AnnotationMatrix,
    log_priors: FloatArray,
    log_confusion: FloatArray,
    gold: GoldLabels | None,
) -> tuple[FloatArray, float]:
    """Posteriors and marginal log-likelihood.

    Args:
        m: The annotations.
        log_priors: ``(n_labels,)`` log class priors.
        log_confusion: ``(n_workers, n_labels, n_labels)``, true label on axis 1.
        gold: Known labels; their joint is evaluated at the gold class only.

    Returns:
        ``(n_tasks, n_labels)`` posteriors and the total log-likelihood.
    """
    n_labels = m.n_labels
    table = log_confusion.transpose(0, 2, 1).reshape(m.n_workers * n_labels, n_labels)
    joint = np.asarray(m.design @ table)
    joint += log_priors
    if gold is not None and gold.task_idx.size:
        gold_joint = joint[gold.task_idx, gold.label_idx]
        joint[gold.task_idx] = -np.inf
        joint[gold.task_idx, gold.label_idx] = gold_joint
    return normalise_log_joint(joint)


def normalise_log_joint(joint: FloatArray) -> tuple[FloatArray, float]:
    """Row-wise softmax of ``(n_tasks, n_labels)`` log joints and the summed log-normaliser.

    Done in place on ``joint`` (a fresh array from the caller); several times faster than
    :func:`scipy.special.logsumexp`, which dominated the E-step.
    """
    top = joint.max(axis=1, keepdims=True)
    joint -= top
    np.exp(joint, out=joint)
    totals = joint.sum(axis=1, keepdims=True)
    joint /= totals
    return joint, float(np.log(totals).sum() + top.sum())


def confusion_counts(m: AnnotationMatrix, probas: FloatArray) -> FloatArray:
    """``(n_workers, n_labels, n_labels)`` expected counts of (true label, given label)."""
    n_labels = m.n_labels
    flat = np.asarray(m.design_t @ probas)  # (n_workers * n_labels, n_true)
    return flat.reshape(m.n_workers, n_labels, n_labels).transpose(0, 2, 1)


def calibration_weights(m: AnnotationMatrix, gold: GoldLabels | None) -> FloatArray:
    """``(n_tasks, 1)``: 1 for tasks that can calibrate a worker, 0 for the others.

    A task answered by a single worker (and not gold) tells nothing about that worker's
    errors: its posterior is the worker's own answer weighed by the class prior, so using it
    in the M-step only feeds the worker's current estimate back to itself. For a worker
    seen mostly on such tasks, EM then drifts to "this worker is noise, every task is the
    majority class" (S_Adult: 18 gold tasks labelled by one worker each). Multiplying the
    posteriors by these weights before :func:`confusion_counts` calibrates each worker only
    on tasks somebody else (or the gold) also answered; the E-step still uses every answer.
    """
    answers = np.bincount(m.task_idx, minlength=m.n_tasks)
    weights = (answers >= 2).astype(np.float64)
    if gold is not None and gold.task_idx.size:
        weights[gold.task_idx] = 1.0
    return weights[:, None]


def skill_from_confusion(confusion: FloatArray, priors: FloatArray) -> FloatArray:
    """``(n_workers,)`` probability of a correct answer, $\\sum_k \\pi_k \\theta_{wkk}$."""
    diag = np.diagonal(confusion, axis1=1, axis2=2)
    return np.asarray(diag @ priors, dtype=np.float64)


def run_em(
    probas: FloatArray,
    *,
    update: EStep,
    max_iter: int,
    tol: float,
    scale: float,
) -> EMTrace:
    """Alternate M- and E-steps from ``probas`` until the objective settles.

    Args:
        probas: ``(n_tasks, n_labels)`` starting posteriors.
        update: One M-step followed by one E-step: posteriors -> (posteriors, objective).
        max_iter: Iteration cap.
        tol: Stop when the objective changes by less than ``tol * scale``.
        scale: Normaliser of the objective, usually the number of annotations.
    """
    history: list[float] = []
    for _ in range(max_iter):
        probas, objective = update(probas)
        history.append(objective)
        if len(history) > 1 and abs(history[-1] - history[-2]) <= tol * scale:
            return EMTrace(probas, tuple(history), len(history), True)
    return EMTrace(probas, tuple(history), len(history), False)
