"""GLAD: worker expertise times task easiness."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit, log_expit

from shoplabel.inference.em import check_em_options, normalise_log_joint, run_em
from shoplabel.inference.matrix import AnnotationMatrix, GoldLabels
from shoplabel.inference.online import WorkerModel, starting_probas
from shoplabel.inference.result import AggregationResult

__all__ = ["GLAD"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class GLAD:
    r"""GLAD: Generative model of Labels, Abilities and Difficulties.

    Worker $w$ with expertise $\alpha_w \in \mathbb{R}$ labels task $j$ with easiness
    $\beta_j = e^{\gamma_j} > 0$ correctly with probability $\sigma(\alpha_w \beta_j)$ and
    otherwise picks one of the other $K-1$ labels uniformly. Priors
    $\alpha_w \sim N(\mu_\alpha, 1)$, $\gamma_j \sim N(0, 1)$. Generalised EM: exact E-step;
    the M-step takes a few Fisher-scoring steps on the expected complete log-posterior,
    alternating workers and tasks (each a vectorised ``bincount`` pass), warm-started from
    the previous parameters.
    Class priors stay uniform unless ``learn_priors``: learning them lets the one-coin error
    model collapse onto a frequent class on graded data (S_Rel: 0.27 accuracy instead of 0.52).
    Worker skill is the mean of $\sigma(\alpha_w \beta_j)$ over the worker's tasks.

    Reference: Whitehill, Ruvolo, Wu, Bergsma & Movellan (2009), *Whose vote should count
    more*, NIPS 22.

    Attributes:
        max_iter: EM iteration cap.
        tol: Stop when the log-likelihood per annotation changes by less than this.
        m_step_iter: Rounds of (alpha, gamma) scoring steps per M-step.
        alpha_prior_mean: $\mu_\alpha$.
        learn_priors: Re-estimate the class priors in every M-step.
    """

    max_iter: int = 100
    tol: float = 1e-6
    m_step_iter: int = 2
    alpha_prior_mean: float = 1.0
    learn_priors: bool = False

    def fit(
        self,
        m: AnnotationMatrix,
        *,
        gold: GoldLabels | None = None,
        warm_start: WorkerModel | None = None,
    ) -> AggregationResult:
        """Fit by EM; see :class:`~shoplabel.inference.result.Aggregator`."""
        check_em_options(self.max_iter, self.tol)
        params = np.concatenate([np.full(m.n_workers, self.alpha_prior_mean), np.zeros(m.n_tasks)])
        log_priors = np.full(m.n_labels, -np.log(m.n_labels))

        def update(probas: FloatArray) -> tuple[FloatArray, float]:
            nonlocal params, log_priors
            params = self._m_step(m, probas, params)
            if self.learn_priors:
                totals = probas.sum(axis=0) + 0.01
                log_priors = np.log(totals / totals.sum())
            return glad_e_step(m, params, log_priors, gold)

        trace = run_em(
            starting_probas(m, gold, warm_start),
            update=update,
            max_iter=self.max_iter,
            tol=self.tol,
            scale=float(m.n_annotations),
        )
        logits = _logits(m, params)
        n = np.bincount(m.worker_idx, minlength=m.n_workers).astype(np.float64)
        skill = _sum_by(m.worker_idx, expit(logits), m.n_workers)
        return AggregationResult(
            method="glad",
            task_ids=m.task_ids,
            worker_ids=m.worker_ids,
            labels=m.labels,
            probas=trace.probas,
            class_priors=np.exp(log_priors),
            worker_skill=np.divide(skill, n, out=np.full(m.n_workers, 0.5), where=n > 0),
            confusion=None,
            n_iter=trace.n_iter,
            log_likelihood=trace.history,
            converged=trace.converged,
        )

    def _m_step(self, m: AnnotationMatrix, probas: FloatArray, params: FloatArray) -> FloatArray:
        """``m_step_iter`` rounds of Fisher-scoring steps on alpha, then on gamma.

        Given gamma the objective separates into one concave 1-d problem per worker, and
        given alpha into one per task, so each round is a handful of ``bincount`` passes.
        Steps are clipped for safety; any increase of the objective suffices for EM.
        """
        p_correct = probas[m.task_idx, m.label_idx]
        alpha = params[: m.n_workers].copy()
        gamma = params[m.n_workers :].copy()
        for _ in range(self.m_step_iter):
            beta = np.exp(gamma)[m.task_idx]
            sig = expit(alpha[m.worker_idx] * beta)
            grad = _sum_by(m.worker_idx, (p_correct - sig) * beta, m.n_workers)
            curv = _sum_by(m.worker_idx, sig * (1.0 - sig) * beta**2, m.n_workers) + 1.0
            alpha += np.clip((grad - (alpha - self.alpha_prior_mean)) / curv, -2.0, 2.0)
            x = alpha[m.worker_idx] * beta
            sig = expit(x)
            grad = _sum_by(m.task_idx, (p_correct - sig) * x, m.n_tasks) - gamma
            curv = _sum_by(m.task_idx, sig * (1.0 - sig) * x**2, m.n_tasks) + 1.0
            gamma += np.clip(grad / curv, -1.0, 1.0)
        return np.concatenate([alpha, gamma])


def _sum_by(idx: NDArray[np.intp], weights: FloatArray, size: int) -> FloatArray:
    out: FloatArray = np.bincount(idx, weights=weights, minlength=size).astype(np.float64)
    return out


def _logits(m: AnnotationMatrix, params: FloatArray) -> FloatArray:
    alpha, gamma = params[: m.n_workers], params[m.n_workers :]
    out: FloatArray = alpha[m.worker_idx] * np.exp(gamma[m.task_idx])
    return out


def glad_e_step(
    m: AnnotationMatrix, params: FloatArray, log_priors: FloatArray, gold: GoldLabels | None
) -> tuple[FloatArray, float]:
    """``(n_tasks, n_labels)`` posteriors and marginal log-likelihood under GLAD."""
    x = _logits(m, params)
    n_labels = m.n_labels
    right = log_expit(x)
    wrong = log_expit(-x) - np.log(max(n_labels - 1, 1))
    base = np.bincount(m.task_idx, weights=wrong, minlength=m.n_tasks)
    bonus = np.bincount(
        m.task_idx * n_labels + m.label_idx, weights=right - wrong, minlength=m.n_tasks * n_labels
    ).reshape(m.n_tasks, n_labels)
    joint = bonus + base[:, None] + log_priors
    if gold is not None and gold.task_idx.size:
        gold_joint = joint[gold.task_idx, gold.label_idx]
        joint[gold.task_idx] = -np.inf
        joint[gold.task_idx, gold.label_idx] = gold_joint
    return normalise_log_joint(joint)
