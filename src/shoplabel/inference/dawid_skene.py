"""Dawid-Skene family: full confusion, one-coin, and the shrinkage default."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from shoplabel.inference.em import (
    EMTrace,
    check_em_options,
    confusion_counts,
    e_step,
    initial_probas,
    run_em,
    skill_from_confusion,
)
from shoplabel.inference.matrix import AnnotationMatrix, GoldLabels
from shoplabel.inference.online import WorkerModel, starting_probas
from shoplabel.inference.result import AggregationResult

__all__ = [
    "ConfusionEM",
    "DawidSkene",
    "EMOptions",
    "MStep",
    "OneCoinDawidSkene",
    "class_priors",
    "fit_confusion_model",
    "normalise_rows",
    "one_coin_confusion",
]

FloatArray = NDArray[np.float64]
MStep = Callable[[FloatArray], tuple[FloatArray, FloatArray]]
_TINY = 1e-12


@dataclass(frozen=True, slots=True)
class EMOptions:
    """Loop options shared by the EM aggregators."""

    method: str
    max_iter: int
    tol: float


def fit_confusion_model(
    m: AnnotationMatrix,
    m_step: MStep,
    *,
    options: EMOptions,
    gold: GoldLabels | None,
    warm_start: WorkerModel | None,
) -> AggregationResult:
    """Run EM for any model given by its M-step ``probas -> (priors, confusion)``.

    The E-step is the shared :func:`~shoplabel.inference.em.e_step`; a last M-step makes the
    returned worker parameters consistent with the returned posteriors.

    Degenerate input: a single worker cannot be calibrated against anyone, so EM could
    explain their answers as noise around the majority class; their answers (with gold
    clamped) are returned instead, after one M-step, with ``n_iter == 0``.
    """
    check_em_options(options.max_iter, options.tol)
    if m.n_workers == 1:
        trace = EMTrace(initial_probas(m, gold), (), 0, True)
        priors, confusion = m_step(trace.probas)
        return _result(m, options.method, trace, priors, confusion)

    def update(probas: FloatArray) -> tuple[FloatArray, float]:
        priors, confusion = m_step(probas)
        return e_step(m, np.log(priors), np.log(np.maximum(confusion, _TINY)), gold)

    trace = run_em(
        starting_probas(m, gold, warm_start),
        update=update,
        max_iter=options.max_iter,
        tol=options.tol,
        scale=float(m.n_annotations),
    )
    priors, confusion = m_step(trace.probas)
    return _result(m, options.method, trace, priors, confusion)


class ConfusionEM:
    """Base of the confusion-matrix aggregators (DS, one-coin, MACE, ordinal, shrinkage).

    A subclass is a frozen dataclass with ``max_iter``, ``tol`` and its own options, names
    itself in ``method`` and builds its M-step in :meth:`_m_step`; :meth:`fit` runs it in
    the shared EM driver :func:`fit_confusion_model` (iterations, log-likelihood history,
    convergence, warm start and gold clamping live there, once).
    """

    __slots__ = ()
    method: ClassVar[str]
    max_iter: int
    tol: float

    def fit(
        self,
        m: AnnotationMatrix,
        *,
        gold: GoldLabels | None = None,
        warm_start: WorkerModel | None = None,
    ) -> AggregationResult:
        """Fit by EM; see :class:`~shoplabel.inference.result.Aggregator`."""
        m_step = self._m_step(m, gold)
        opts = EMOptions(self.method, self.max_iter, self.tol)
        return fit_confusion_model(m, m_step, options=opts, gold=gold, warm_start=warm_start)

    def _m_step(self, m: AnnotationMatrix, gold: GoldLabels | None) -> MStep:
        """Posteriors -> ``(class priors, confusion)`` on ``m``; raises on bad options."""
        raise NotImplementedError


def _result(
    m: AnnotationMatrix, method: str, trace: EMTrace, priors: FloatArray, confusion: FloatArray
) -> AggregationResult:
    return AggregationResult(
        method=method,
        task_ids=m.task_ids,
        worker_ids=m.worker_ids,
        labels=m.labels,
        probas=trace.probas,
        class_priors=priors,
        worker_skill=skill_from_confusion(confusion, priors),
        confusion=confusion,
        n_iter=trace.n_iter,
        log_likelihood=trace.history,
        converged=trace.converged,
    )


def class_priors(probas: FloatArray, smoothing: float) -> FloatArray:
    """``(n_labels,)`` smoothed class frequencies of the posteriors."""
    totals = probas.sum(axis=0) + smoothing
    out: FloatArray = totals / totals.sum()
    return out


def normalise_rows(counts: FloatArray) -> FloatArray:
    """Rows of the last axis scaled to sum to 1 (uniform where a row is all zero)."""
    totals = counts.sum(axis=-1, keepdims=True)
    n = counts.shape[-1]
    out: FloatArray = np.divide(
        counts, totals, out=np.full_like(counts, 1.0 / n), where=totals > _TINY
    )
    return out


@dataclass(frozen=True, slots=True)
class DawidSkene(ConfusionEM):
    r"""Dawid-Skene with one full confusion matrix per worker.

    Model: $z_j \sim \mathrm{Cat}(\pi)$ and worker $w$ answers $l$ on task $j$ with
    $P(y_{wj} = l \mid z_j = k) = \theta_{wkl}$. EM from majority-vote shares; the M-step
    adds ``smoothing`` pseudo-counts to every confusion cell (MAP with a flat Dirichlet).
    Assumes workers are independent given the true label.

    Reference: Dawid & Skene (1979), *Maximum likelihood estimation of observer error-rates
    using the EM algorithm*, doi:10.2307/2346806.

    Attributes:
        max_iter: Iteration cap.
        tol: Stop when the log-likelihood per annotation changes by less than this.
        smoothing: Pseudo-count added to every confusion cell and class count.
    """

    method: ClassVar[str] = "dawid-skene"
    max_iter: int = 100
    tol: float = 1e-6
    smoothing: float = 0.01

    def _m_step(self, m: AnnotationMatrix, gold: GoldLabels | None) -> MStep:  # noqa: ARG002
        """M-step on ``m``: posteriors -> (class priors, confusion); checks options."""

        def m_step(probas: FloatArray) -> tuple[FloatArray, FloatArray]:
            counts = confusion_counts(m, probas) + self.smoothing
            return class_priors(probas, self.smoothing), normalise_rows(counts)

        return m_step


def one_coin_confusion(accuracy: FloatArray, n_labels: int) -> FloatArray:
    """``(n_workers, n_labels, n_labels)``: ``accuracy`` on the diagonal, the rest uniform."""
    off = (1.0 - accuracy) / max(n_labels - 1, 1)
    confusion = np.broadcast_to(off[:, None, None], (accuracy.size, n_labels, n_labels)).copy()
    idx = np.arange(n_labels)
    confusion[:, idx, idx] = accuracy[:, None]
    return confusion


@dataclass(frozen=True, slots=True)
class OneCoinDawidSkene(ConfusionEM):
    r"""Dawid-Skene with one accuracy per worker.

    Worker $w$ answers correctly with probability $a_w$ and otherwise picks one of the other
    $K-1$ labels uniformly: $P(y_{wj}=l \mid z_j=k) = a_w$ if $l=k$ else
    $(1-a_w)/(K-1)$. The M-step is the Beta-smoothed share of expected correct answers.
    Known failure: on graded scales where most errors are to a neighbouring grade (S_Rel) the
    uniform-error assumption is badly wrong and it can collapse far below majority vote.

    Reference: Dawid & Skene (1979), doi:10.2307/2346806; the one-coin form as in
    Zheng et al. (2017), *Truth inference in crowdsourcing: is the problem solved?*, PVLDB 10(5).

    Attributes:
        max_iter: Iteration cap.
        tol: Stop when the log-likelihood per annotation changes by less than this.
        smoothing: Pseudo-count added to both correct and wrong answers.
    """

    method: ClassVar[str] = "one-coin-dawid-skene"
    max_iter: int = 100
    tol: float = 1e-6
    smoothing: float = 0.01

    def _m_step(self, m: AnnotationMatrix, gold: GoldLabels | None) -> MStep:  # noqa: ARG002
        """M-step on ``m``: posteriors -> (class priors, confusion); checks options."""

        def m_step(probas: FloatArray) -> tuple[FloatArray, FloatArray]:
            counts = confusion_counts(m, probas)
            correct = np.trace(counts, axis1=1, axis2=2) + self.smoothing
            accuracy = correct / (counts.sum(axis=(1, 2)) + 2.0 * self.smoothing)
            return class_priors(probas, self.smoothing), one_coin_confusion(accuracy, m.n_labels)

        return m_step
