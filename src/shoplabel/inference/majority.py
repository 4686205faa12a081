"""Vote-counting aggregators: majority vote, weighted majority vote and Wawa."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from shoplabel.inference.em import clamp_gold
from shoplabel.inference.errors import InvalidOptions
from shoplabel.inference.matrix import AnnotationMatrix, GoldLabels
from shoplabel.inference.online import WorkerModel
from shoplabel.inference.result import AggregationResult

__all__ = ["MajorityVote", "Wawa", "WeightedMajorityVote", "weighted_vote_probas"]

FloatArray = NDArray[np.float64]


def weighted_vote_probas(m: AnnotationMatrix, weights: FloatArray) -> FloatArray:
    """``(n_tasks, n_labels)`` weighted vote shares.

    Args:
        m: The annotations.
        weights: ``(n_workers,)`` non-negative vote weights.

    Tasks whose voters all have weight 0 get the uniform distribution.
    """
    flat = np.bincount(
        m.task_idx * m.n_labels + m.label_idx,
        weights=weights[m.worker_idx],
        minlength=m.n_tasks * m.n_labels,
    )
    counts = flat.reshape(m.n_tasks, m.n_labels)
    totals = counts.sum(axis=1, keepdims=True)
    out: FloatArray = np.divide(
        counts, totals, out=np.full_like(counts, 1.0 / m.n_labels), where=totals > 0.0
    )
    return out


def agreement_with(m: AnnotationMatrix, probas: FloatArray) -> FloatArray:
    """``(n_workers,)`` share of each worker's answers equal to the task's top label."""
    top = np.argmax(probas, axis=1)
    hits = (m.label_idx == top[m.task_idx]).astype(np.float64)
    n = np.bincount(m.worker_idx, minlength=m.n_workers).astype(np.float64)
    agree = np.bincount(m.worker_idx, weights=hits, minlength=m.n_workers)
    out: FloatArray = np.divide(agree, n, out=np.zeros_like(agree), where=n > 0)
    return out


def _one_shot(
    method: str, m: AnnotationMatrix, probas: FloatArray, skill: FloatArray
) -> AggregationResult:
    priors = probas.sum(axis=0) / max(m.n_tasks, 1)
    return AggregationResult(
        method=method,
        task_ids=m.task_ids,
        worker_ids=m.worker_ids,
        labels=m.labels,
        probas=probas,
        class_priors=priors,
        worker_skill=skill,
        confusion=None,
        n_iter=1,
        log_likelihood=(),
        converged=True,
    )


@dataclass(frozen=True, slots=True)
class MajorityVote:
    r"""Each task gets the label most workers gave it.

    Model: $P(z_j = k) \propto n_{jk}$, the vote share of label $k$ (no worker model).
    Ties keep equal probabilities; the predicted label is then the first tied label in
    codebook order. Worker skill is the share of answers agreeing with the majority.

    Reference: the baseline of Sheng, Provost & Ipeirotis (2008), *Get another label?*, KDD.
    """

    def fit(
        self,
        m: AnnotationMatrix,
        *,
        gold: GoldLabels | None = None,
        warm_start: WorkerModel | None = None,  # noqa: ARG002 - one-shot: nothing to warm
    ) -> AggregationResult:
        """Vote shares; see :class:`~shoplabel.inference.result.Aggregator`."""
        probas = clamp_gold(weighted_vote_probas(m, np.ones(m.n_workers)), gold)
        return _one_shot("majority-vote", m, probas, agreement_with(m, probas))


@dataclass(frozen=True, slots=True)
class WeightedMajorityVote:
    r"""Majority vote with fixed, given worker weights.

    Model: $P(z_j = k) \propto \sum_{w} v_w [y_{wj} = k]$ with $v_w$ from ``weights``
    (for example, accuracy on qualification tests or a previous fit's skill).

    Reference: Littlestone & Warmuth (1994), *The weighted majority algorithm*.

    Attributes:
        weights: Worker id -> non-negative weight.
        default_weight: Weight of workers missing from ``weights``.
    """

    weights: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    default_weight: float = 1.0

    def fit(
        self,
        m: AnnotationMatrix,
        *,
        gold: GoldLabels | None = None,
        warm_start: WorkerModel | None = None,  # noqa: ARG002 - one-shot: nothing to warm
    ) -> AggregationResult:
        """Weighted vote shares; see :class:`~shoplabel.inference.result.Aggregator`."""
        w = np.array([self.weights.get(wid, self.default_weight) for wid in m.worker_ids])
        if w.size and (not np.all(np.isfinite(w)) or w.min() < 0.0):
            raise InvalidOptions("worker weights must be finite and non-negative")
        probas = clamp_gold(weighted_vote_probas(m, w.astype(np.float64)), gold)
        return _one_shot("weighted-majority-vote", m, probas, agreement_with(m, probas))


@dataclass(frozen=True, slots=True)
class Wawa:
    r"""Worker Agreement With Aggregate: majority vote re-weighted by agreement with it.

    Step 1: $\hat z$ = majority vote. Step 2: $v_w$ = share of $w$'s answers equal to
    $\hat z$. Step 3: $P(z_j = k) \propto \sum_w v_w [y_{wj} = k]$.

    Reference: Appen (Figure Eight) "Wawa"; as implemented in crowd-kit
    (Ustalov et al., 2024, *Learning from crowds with Crowd-Kit*, JOSS 9(96)).
    """

    def fit(
        self,
        m: AnnotationMatrix,
        *,
        gold: GoldLabels | None = None,
        warm_start: WorkerModel | None = None,  # noqa: ARG002 - one-shot: nothing to warm
    ) -> AggregationResult:
        """Two-pass vote; see :class:`~shoplabel.inference.result.Aggregator`."""
        mv = clamp_gold(weighted_vote_probas(m, np.ones(m.n_workers)), gold)
        skill = agreement_with(m, mv)
        probas = clamp_gold(weighted_vote_probas(m, skill), gold)
        return _one_shot("wawa", m, probas, skill)
