"""The default method: Dawid-Skene shrunk toward each worker's competence-and-spam model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

from shoplabel.inference.dawid_skene import (
    ConfusionEM,
    MStep,
    class_priors,
    normalise_rows,
)
from shoplabel.inference.em import calibration_weights, confusion_counts
from shoplabel.inference.errors import InvalidOptions
from shoplabel.inference.mace import initial_mace_state, mace_confusion, mace_update
from shoplabel.inference.matrix import AnnotationMatrix, GoldLabels

__all__ = ["STRENGTH_GRID", "ShrinkageDawidSkene", "empirical_strength"]

FloatArray = NDArray[np.float64]

#: Candidate prior strengths for :func:`empirical_strength`: 10 per decade, 0.1 to 1000.
STRENGTH_GRID: FloatArray = np.geomspace(0.1, 1000.0, 41)


def empirical_strength(
    counts: FloatArray, centre: FloatArray, start: NDArray[np.intp] | None = None
) -> NDArray[np.intp]:
    r"""Per true class, the Dirichlet strength that best explains the workers' rows.

    Empirical Bayes: each worker's row $n_{wk\cdot}$ is taken as Dirichlet-multinomial with
    mean $\phi_{wk\cdot}$ and concentration $s_k$; $s_k$ maximises
    $\sum_w \log\Gamma(s_k) - \log\Gamma(n_{wk} + s_k)
    + \sum_l \log\Gamma(n_{wkl} + s_k\phi_{wkl}) - \log\Gamma(s_k\phi_{wkl})$
    over :data:`STRENGTH_GRID`. A large $s_k$ means the workers' rows for class $k$ are
    explained by their low-parameter form (shrink hard); a small one means they carry
    structure of their own (keep the full rows).

    The maximum is found by hill-climbing along the grid from ``start`` (the previous
    M-step's answer, so a step usually costs a few evaluations); the result is the grid
    maximum whenever the marginal likelihood is unimodal in $s_k$.

    Args:
        counts: ``(n_workers, n_labels, n_labels)`` expected (true, given) counts.
        centre: Prior means of the same shape, rows summing to 1, all entries positive.
        start: ``(n_labels,)`` grid positions to climb from (default: the middle).

    Returns:
        ``(n_labels,)`` positions in :data:`STRENGTH_GRID`, one per true class.
    """
    totals = counts.sum(axis=2)  # (n_workers, n_true)
    top = STRENGTH_GRID.size - 1

    def score(pos: NDArray[np.intp]) -> FloatArray:
        s = STRENGTH_GRID[pos]
        alpha = s[None, :, None] * centre
        cells = (gammaln(counts + alpha) - gammaln(alpha)).sum(axis=(0, 2))
        out: FloatArray = cells + (gammaln(s)[None, :] - gammaln(totals + s[None, :])).sum(axis=0)
        return out

    pos = np.full(counts.shape[1], top // 2) if start is None else start.copy()
    here = score(pos)
    while True:
        up, down = np.minimum(pos + 1, top), np.maximum(pos - 1, 0)
        s_up, s_down = score(up), score(down)
        go_up = (s_up > here) & (s_up >= s_down)
        go_down = ~go_up & (s_down > here)
        if not (go_up.any() or go_down.any()):
            return pos
        pos = np.where(go_up, up, np.where(go_down, down, pos))
        here = np.where(go_up, s_up, np.where(go_down, s_down, here))


@dataclass(frozen=True, slots=True)
class ShrinkageDawidSkene(ConfusionEM):
    r"""Dawid-Skene with a Dirichlet prior centred on the worker's own MACE-form matrix.

    Same likelihood as :class:`~shoplabel.inference.dawid_skene.DawidSkene`. Each worker
    also has a two-level summary fitted from the same expected counts: a competence
    $\theta_w$ and a personal distribution $\xi_w$ of answers when not competent, giving
    the low-parameter matrix $\phi_{wkl} = \theta_w [l = k] + (1 - \theta_w)\xi_{wl}$
    (a one-coin model whose errors follow the worker's own habits, as in MACE). The full
    confusion matrix is shrunk toward it:

    $$\theta_{wkl} = \frac{n_{wkl} + s_k\,\phi_{wkl}}{\sum_{l'} n_{wkl'} + s_k}.$$

    A worker with few answers is effectively one-coin-with-bias (two kinds of parameter,
    estimated from all of their answers at once), so their rare-class rows are not
    over-fitted to one or two items; a worker with many answers keeps a full matrix.

    How hard to shrink is learnt from the data: with three or more labels, every M-step
    sets $s_k$ per true class by empirical Bayes (:func:`empirical_strength`), so a crowd
    whose errors follow the simple form (graded relevance) is shrunk hard and one with
    real class-pair confusions (dog breeds) keeps its full matrices. With two labels the
    MACE form has as many parameters as the full matrix, so there is nothing to learn
    $s$ from (the marginal likelihood only grows with $s$) and ``strength`` is used.

    Workers are calibrated only on tasks that someone else (or the gold) also answered
    (:func:`~shoplabel.inference.em.calibration_weights`): a task with a single answer
    carries no information about its worker's errors, and letting it into the M-step lets
    EM explain a lone worker away as noise and give their tasks the majority class. Those
    tasks still get a posterior from the worker's fitted matrix in the E-step.

    This is the default method; ``docs/algorithms.md`` gives the benchmark behind it.

    Reference: Dawid & Skene (1979), doi:10.2307/2346806; Hovy et al. (2013), *Learning
    whom to trust with MACE*, NAACL-HLT; hierarchical confusion priors as in Paun et al.
    (2018), *Comparing Bayesian models of annotation*, TACL 6; Dirichlet-multinomial
    concentration by maximum marginal likelihood as in Minka (2000), *Estimating a
    Dirichlet distribution*.

    Attributes:
        max_iter: Iteration cap.
        tol: Stop when the log-likelihood per annotation changes by less than this.
        strength: Prior pseudo-count $s$ per confusion row when it is not estimated.
        estimate_strength: With three or more labels, estimate $s_k$ by empirical Bayes.
        competence_prior: Beta pseudo-counts ``(knows, spams)`` for $\theta_w$; leaning
            toward competence keeps tiny crowds from explaining every rare answer as spam.
        spam_smoothing: Dirichlet pseudo-count for every label of $\xi_w$.
        shared_only: Calibrate workers only on tasks with two or more answers (or gold).
    """

    method: ClassVar[str] = "shrinkage-dawid-skene"
    max_iter: int = 100
    tol: float = 1e-6
    strength: float = 5.0
    estimate_strength: bool = True
    competence_prior: tuple[float, float] = (2.0, 1.0)
    spam_smoothing: float = 0.5
    shared_only: bool = True

    def _m_step(self, m: AnnotationMatrix, gold: GoldLabels | None) -> MStep:
        """M-step on ``m``: posteriors -> (class priors, confusion); checks options."""
        if min(self.strength, *self.competence_prior, self.spam_smoothing) < 0.0:
            raise InvalidOptions("strength and pseudo-counts must be non-negative")
        prior = (*self.competence_prior, self.spam_smoothing)
        state = initial_mace_state(m.n_workers, m.n_labels)
        weights = calibration_weights(m, gold) if self.shared_only else None
        learn_strength = self.estimate_strength and m.n_labels >= 3
        grid_pos: list[NDArray[np.intp] | None] = [None]  # last M-step's strengths

        def m_step(probas: FloatArray) -> tuple[FloatArray, FloatArray]:
            counts = confusion_counts(m, probas if weights is None else probas * weights)
            theta, xi = mace_update(counts, state["theta"], state["xi"], prior=prior)
            state["theta"], state["xi"] = theta, xi
            centre = np.maximum(mace_confusion(theta, xi), 1e-9)
            strength: float | FloatArray = self.strength
            if learn_strength:
                grid_pos[0] = empirical_strength(counts, centre, grid_pos[0])
                strength = STRENGTH_GRID[grid_pos[0]][None, :, None]
            confusion = normalise_rows(counts + strength * centre)
            return class_priors(probas, 0.01), confusion

        return m_step
