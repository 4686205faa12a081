"""The default method: Dawid-Skene shrunk toward each worker's competence-and-spam model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from shoplabel.inference.dawid_skene import (
    EMOptions,
    class_priors,
    fit_confusion_model,
    normalise_rows,
)
from shoplabel.inference.em import calibration_weights, confusion_counts
from shoplabel.inference.errors import InvalidOptions
from shoplabel.inference.mace import initial_mace_state, mace_confusion, mace_update
from shoplabel.inference.matrix import AnnotationMatrix, GoldLabels
from shoplabel.inference.online import WorkerModel
from shoplabel.inference.result import AggregationResult

__all__ = ["ShrinkageDawidSkene"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ShrinkageDawidSkene:
    r"""Dawid-Skene with a Dirichlet prior centred on the worker's own MACE-form matrix.

    Same likelihood as :class:`~shoplabel.inference.dawid_skene.DawidSkene`. Each worker
    also has a two-level summary fitted from the same expected counts: a competence
    $\theta_w$ and a personal distribution $\xi_w$ of answers when not competent, giving
    the low-parameter matrix $\phi_{wkl} = \theta_w [l = k] + (1 - \theta_w)\xi_{wl}$
    (a one-coin model whose errors follow the worker's own habits, as in MACE). The full
    confusion matrix is shrunk toward it:

    $$\theta_{wkl} = \frac{n_{wkl} + s\,\phi_{wkl}}{\sum_{l'} n_{wkl'} + s}.$$

    A worker with few answers is effectively one-coin-with-bias (two kinds of parameter,
    estimated from all of their answers at once), so their rare-class rows are not
    over-fitted to one or two items; a worker with many answers keeps a full matrix.

    Workers are calibrated only on tasks that someone else (or the gold) also answered
    (:func:`~shoplabel.inference.em.calibration_weights`): a task with a single answer
    carries no information about its worker's errors, and letting it into the M-step lets
    EM explain a lone worker away as noise and give their tasks the majority class. Those
    tasks still get a posterior from the worker's fitted matrix in the E-step.

    This is the default method; ``docs/algorithms.md`` gives the benchmark behind it.

    Reference: Dawid & Skene (1979), doi:10.2307/2346806; Hovy et al. (2013), *Learning
    whom to trust with MACE*, NAACL-HLT; hierarchical confusion priors as in Paun et al.
    (2018), *Comparing Bayesian models of annotation*, TACL 6.

    Attributes:
        max_iter: Iteration cap.
        tol: Stop when the log-likelihood per annotation changes by less than this.
        strength: Prior pseudo-count $s$ per confusion row.
        competence_prior: Beta pseudo-counts ``(knows, spams)`` for $\theta_w$; leaning
            toward competence keeps tiny crowds from explaining every rare answer as spam.
        spam_smoothing: Dirichlet pseudo-count for every label of $\xi_w$.
        shared_only: Calibrate workers only on tasks with two or more answers (or gold).
    """

    max_iter: int = 100
    tol: float = 1e-6
    strength: float = 4.0
    competence_prior: tuple[float, float] = (3.0, 2.0)
    spam_smoothing: float = 0.5
    shared_only: bool = True

    def fit(
        self,
        m: AnnotationMatrix,
        *,
        gold: GoldLabels | None = None,
        warm_start: WorkerModel | None = None,
    ) -> AggregationResult:
        """Fit by EM; see :class:`~shoplabel.inference.result.Aggregator`."""
        if min(self.strength, *self.competence_prior, self.spam_smoothing) < 0.0:
            raise InvalidOptions("strength and pseudo-counts must be non-negative")
        prior = (*self.competence_prior, self.spam_smoothing)
        state = initial_mace_state(m.n_workers, m.n_labels)
        weights = calibration_weights(m, gold) if self.shared_only else None

        def m_step(probas: FloatArray) -> tuple[FloatArray, FloatArray]:
            counts = confusion_counts(m, probas if weights is None else probas * weights)
            theta, xi = mace_update(counts, state["theta"], state["xi"], prior=prior)
            state["theta"], state["xi"] = theta, xi
            confusion = normalise_rows(counts + self.strength * mace_confusion(theta, xi))
            return class_priors(probas, 0.01), confusion

        opts = EMOptions("shrinkage-dawid-skene", self.max_iter, self.tol)
        return fit_confusion_model(m, m_step, options=opts, gold=gold, warm_start=warm_start)
