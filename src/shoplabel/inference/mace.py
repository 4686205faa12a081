"""MACE: multi-annotator competence estimation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from shoplabel.inference.dawid_skene import (
    ConfusionEM,
    MStep,
    class_priors,
    normalise_rows,
)
from shoplabel.inference.em import confusion_counts
from shoplabel.inference.errors import InvalidOptions
from shoplabel.inference.matrix import AnnotationMatrix, GoldLabels

__all__ = ["MACE", "initial_mace_state", "mace_confusion", "mace_update"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class MACE(ConfusionEM):
    r"""MACE: each worker either knows the answer or spams from a personal distribution.

    Model: $z_j \sim \mathrm{Cat}(\pi)$; worker $w$ spams with probability $1-\theta_w$ and
    then answers from $\xi_w$, otherwise answers $z_j$:
    $P(y_{wj} = l \mid z_j = k) = \theta_w [l = k] + (1 - \theta_w)\,\xi_{wl}$.
    Fitted by MAP-EM (the spam indicator is the second latent variable) with Beta and
    Dirichlet pseudo-counts, instead of the paper's variational Bayes.

    Reference: Hovy, Berg-Kirkpatrick, Vaswani & Hovy (2013), *Learning whom to trust with
    MACE*, NAACL-HLT.

    Attributes:
        max_iter: Iteration cap.
        tol: Stop when the log-likelihood per annotation changes by less than this.
        competence_prior: Beta pseudo-counts ``(knows, spams)`` for $\theta_w$.
        spam_smoothing: Dirichlet pseudo-count for every label of $\xi_w$.
    """

    method: ClassVar[str] = "mace"
    max_iter: int = 100
    tol: float = 1e-6
    competence_prior: tuple[float, float] = (1.0, 1.0)
    spam_smoothing: float = 0.5

    def _m_step(self, m: AnnotationMatrix, gold: GoldLabels | None) -> MStep:  # noqa: ARG002
        """M-step on ``m``: posteriors -> (class priors, confusion); checks options."""
        a, b = self.competence_prior
        if min(a, b, self.spam_smoothing) < 0.0:
            raise InvalidOptions("MACE pseudo-counts must be non-negative")
        # The spam indicator's posterior needs last iteration's (theta, xi): EM state.
        state = initial_mace_state(m.n_workers, m.n_labels)

        def m_step(probas: FloatArray) -> tuple[FloatArray, FloatArray]:
            counts = confusion_counts(m, probas)
            theta, xi = mace_update(
                counts, state["theta"], state["xi"], prior=(a, b, self.spam_smoothing)
            )
            state["theta"], state["xi"] = theta, xi
            return class_priors(probas, 0.01), mace_confusion(theta, xi)

        return m_step


def mace_confusion(theta: FloatArray, xi: FloatArray) -> FloatArray:
    """``(n_workers, n_labels, n_labels)`` confusion implied by competence and spam labels."""
    n_labels = xi.shape[1]
    confusion = np.repeat(((1.0 - theta)[:, None] * xi)[:, None, :], n_labels, axis=1)
    idx = np.arange(n_labels)
    confusion[:, idx, idx] += theta[:, None]
    return confusion


def initial_mace_state(n_workers: int, n_labels: int) -> dict[str, FloatArray]:
    """Competence 0.5 and uniform spam labels: the EM starting point of the MACE M-step."""
    return {
        "theta": np.full(n_workers, 0.5),
        "xi": np.full((n_workers, n_labels), 1.0 / n_labels),
    }


def mace_update(
    counts: FloatArray, theta: FloatArray, xi: FloatArray, *, prior: tuple[float, float, float]
) -> tuple[FloatArray, FloatArray]:
    """One MAP update of competence and spam labels from expected confusion counts.

    Args:
        counts: ``(n_workers, n_labels, n_labels)`` expected (true, given) counts.
        theta: ``(n_workers,)`` previous competence, for the spam indicator's posterior.
        xi: ``(n_workers, n_labels)`` previous spam distributions.
        prior: Pseudo-counts ``(knows, spams, per spam label)``.

    Returns:
        New ``theta`` and ``xi``.
    """
    a, b, smoothing = prior
    diag = np.diagonal(counts, axis1=1, axis2=2)
    # A right answer is "known" with probability theta / (theta + (1 - theta) xi_l).
    knew = diag * (theta[:, None] / (theta[:, None] + (1.0 - theta[:, None]) * xi))
    spam = counts.sum(axis=1) - knew
    new_theta = (knew.sum(axis=1) + a) / (counts.sum(axis=(1, 2)) + a + b)
    return new_theta, normalise_rows(spam + smoothing)
