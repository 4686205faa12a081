"""Ordinal Dawid-Skene for graded labels (relevance grades, ratings on a scale)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from shoplabel.inference.dawid_skene import (
    ConfusionEM,
    MStep,
    class_priors,
    normalise_rows,
)
from shoplabel.inference.em import confusion_counts
from shoplabel.inference.errors import InvalidOptions
from shoplabel.inference.matrix import AnnotationMatrix, GoldLabels

__all__ = ["OrdinalDawidSkene", "ordinal_confusion_grid"]

FloatArray = NDArray[np.float64]
_BIASES = np.linspace(-1.5, 1.5, 25)
_SCALES = np.geomspace(0.15, 6.0, 24)


def ordinal_confusion_grid(n_labels: int) -> tuple[FloatArray, FloatArray]:
    """Candidate ordinal confusion matrices on a (bias, noise) grid.

    Returns:
        ``(n_grid, n_labels, n_labels)`` confusion matrices ``P(l | k)`` and
        ``(n_grid, 2)`` their ``(bias, noise)`` parameters.
    """
    bias_grid, scale_grid = np.meshgrid(_BIASES, _SCALES, indexing="ij")
    bias, scale = bias_grid.ravel(), scale_grid.ravel()
    cuts = np.concatenate([[-np.inf], np.arange(n_labels - 1) + 0.5, [np.inf]])
    true = np.arange(n_labels, dtype=np.float64)
    # z[g, k, c] = (cut_c - k - bias_g) / scale_g; P(l | k) = Phi(z_{l+1}) - Phi(z_l)
    z = (cuts[None, None, :] - true[None, :, None] - bias[:, None, None]) / scale[:, None, None]
    cdf = ndtr(z)
    confusion = np.maximum(np.diff(cdf, axis=2), 1e-9)
    return normalise_rows(confusion), np.stack([bias, scale], axis=1)


@dataclass(frozen=True, slots=True)
class OrdinalDawidSkene(ConfusionEM):
    r"""Dawid-Skene whose confusion rows are pulled toward an ordinal bias-and-noise model.

    Each worker perceives the true grade $k$ as $k + b_w + \sigma_w \varepsilon$,
    $\varepsilon \sim N(0, 1)$, and reports the grade whose interval
    $(l - \tfrac12, l + \tfrac12]$ contains it (the end grades are open). The fitted
    $(b_w, \sigma_w)$ (MAP on a grid, prior $b_w \sim N(0, 0.5^2)$) gives an ordinal
    confusion matrix $\phi_w$ that serves as the Dirichlet prior mean of the worker's free
    confusion matrix:
    $\theta_{wkl} = (n_{wkl} + s\,\phi_{wkl}) / (\sum_{l'} n_{wkl'} + s)$.
    Sparse workers thus make near-miss errors (neighbouring grades), not arbitrary ones.
    Assumes the label codebook is in scale order (integer labels are sorted numerically).

    Reference: Dawid & Skene (1979), doi:10.2307/2346806; ordinal worker models as in
    Lakshminarayanan & Teh (2013), *Inferring ground truth from multi-annotator ordinal
    data: a probabilistic approach*, arXiv:1305.0015.

    Attributes:
        max_iter: Iteration cap.
        tol: Stop when the log-likelihood per annotation changes by less than this.
        strength: Prior pseudo-count $s$ per confusion row.
        smoothing: Pseudo-count for class counts.
    """

    method: ClassVar[str] = "ordinal-dawid-skene"
    max_iter: int = 100
    tol: float = 1e-6
    strength: float = 5.0
    smoothing: float = 0.01

    def _m_step(self, m: AnnotationMatrix, gold: GoldLabels | None) -> MStep:  # noqa: ARG002
        """M-step on ``m``: posteriors -> (class priors, confusion); checks options."""
        if self.strength < 0.0:
            raise InvalidOptions(f"strength must be non-negative, got {self.strength}")
        grid, grid_params = ordinal_confusion_grid(m.n_labels)
        log_grid = np.log(grid).reshape(grid.shape[0], -1)  # (n_grid, K * K)
        log_prior = -0.5 * (grid_params[:, 0] / 0.5) ** 2

        def m_step(probas: FloatArray) -> tuple[FloatArray, FloatArray]:
            counts = confusion_counts(m, probas)
            score = counts.reshape(m.n_workers, -1) @ log_grid.T + log_prior
            phi = grid[np.argmax(score, axis=1)]
            confusion = normalise_rows(counts + self.strength * phi)
            return class_priors(probas, self.smoothing), confusion

        return m_step
