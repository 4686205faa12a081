r"""Per-worker, per-class skill, and item difficulty for routing.

Skill model: for worker $w$ and true class $k$, the *class skill* is the recall
$s_{wk} = P(\text{answer } k \mid \text{true } k)$, the diagonal of the Dawid-Skene confusion
matrix. Each $s_{wk}$ gets an independent Beta posterior fed by two kinds of evidence:

- gold answers on items of class $k$ (exact counts), and
- truth inference: a fitted confusion diagonal $\hat s_{wk}$ worth $d \cdot n_{wk}$
  pseudo-answers, where $n_{wk}$ is the expected number of class-$k$ items the worker
  labelled and $d \in [0, 1]$ discounts it, because the posterior it was fitted against
  already contains the worker's own labels (the evidence is partly circular).

$$s_{wk} \sim \mathrm{Beta}\big(\alpha_0 + c_{wk} + d\,n_{wk}\hat s_{wk},\;
  \beta_0 + (g_{wk} - c_{wk}) + d\,n_{wk}(1 - \hat s_{wk})\big)$$

with $c_{wk}$ correct out of $g_{wk}$ gold answers. Online, one scored answer adds 1 to
$\alpha$ or $\beta$ of its true class (:func:`update_skill`). The overall skill under class
weights $\pi$ is $\sum_k \pi_k s_{wk}$ (the worker's accuracy), with variance
$\sum_k \pi_k^2 \operatorname{Var} s_{wk}$.

Reference: Dawid & Skene (1979), doi:10.2307/2346806 (confusion matrices); Gelman et al.,
*Bayesian Data Analysis* (2013) §2.4 (Beta-binomial updating).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import beta as beta_dist

from shoplabel.quality.errors import InvalidQualityInput
from shoplabel.quality.gold import DEFAULT_ACCURACY_PRIOR
from shoplabel.quality.shapes import FloatArray, as_probas, as_vector

__all__ = [
    "WorkerSkill",
    "expected_class_counts",
    "item_difficulty",
    "normalised_entropy",
    "skill_from_evidence",
    "top_margin",
    "update_skill",
]

DEFAULT_INFERENCE_DISCOUNT = 0.5


@dataclass(frozen=True, slots=True)
class WorkerSkill:
    """Beta posteriors of one worker's per-class recall. Arrays are read-only.

    Attributes:
        alpha: ``(n_classes,)`` prior plus evidence of right answers.
        beta: ``(n_classes,)`` prior plus evidence of wrong answers.
    """

    alpha: FloatArray
    beta: FloatArray

    def __post_init__(self) -> None:
        a = np.array(self.alpha, dtype=np.float64)
        b = np.array(self.beta, dtype=np.float64)
        if a.ndim != 1 or a.shape != b.shape or a.size == 0:
            raise InvalidQualityInput("alpha and beta must be equal-length non-empty vectors")
        if not (np.isfinite(a).all() and np.isfinite(b).all() and (a > 0).all() and (b > 0).all()):
            raise InvalidQualityInput("Beta parameters must be finite and positive")
        a.flags.writeable = False
        b.flags.writeable = False
        object.__setattr__(self, "alpha", a)
        object.__setattr__(self, "beta", b)

    @classmethod
    def prior(
        cls, n_classes: int, *, prior: tuple[float, float] = DEFAULT_ACCURACY_PRIOR
    ) -> WorkerSkill:
        """A new worker: the prior in every class."""
        return cls(np.full(n_classes, prior[0]), np.full(n_classes, prior[1]))

    @property
    def n_classes(self) -> int:
        return int(self.alpha.shape[0])

    @property
    def mean(self) -> FloatArray:
        """``(n_classes,)`` posterior mean recall."""
        out: FloatArray = self.alpha / (self.alpha + self.beta)
        return out

    @property
    def std(self) -> FloatArray:
        """``(n_classes,)`` posterior standard deviation."""
        total = self.alpha + self.beta
        out: FloatArray = np.sqrt(self.alpha * self.beta / (total**2 * (total + 1.0)))
        return out

    def lower(self, level: float = 0.9) -> FloatArray:
        """``(n_classes,)`` one-sided lower credible bounds at ``level``."""
        if not 0.5 <= level < 1.0:
            raise InvalidQualityInput(f"credible level must be in [0.5, 1), got {level!r}")
        out: FloatArray = np.asarray(beta_dist.ppf(1.0 - level, self.alpha, self.beta))
        return out

    def overall(self, class_weights: ArrayLike | None = None) -> tuple[float, float]:
        """``(mean, std)`` of accuracy under ``class_weights`` (default uniform; normalised)."""
        w = _weights(class_weights, self.n_classes)
        mean = float(w @ self.mean)
        return mean, math.sqrt(float((w**2) @ (self.std**2)))


def _weights(class_weights: ArrayLike | None, n: int) -> FloatArray:
    if class_weights is None:
        return np.full(n, 1.0 / n)
    w = as_vector(class_weights, n, name="class_weights", lo=0.0)
    total = w.sum()
    if total <= 0:
        raise InvalidQualityInput("class_weights must not all be zero")
    out: FloatArray = w / total
    return out


def expected_class_counts(probas: ArrayLike, given: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Expected right answers and items per true class, from item posteriors.

    Args:
        probas: ``(n_items, n_classes)`` posteriors of the items the worker labelled.
        given: ``(n_items,)`` the worker's answer (class position) on each.

    Returns:
        ``(n_right, n_items)``, each ``(n_classes,)``: ``sum_i p_ik [given_i = k]`` and
        ``sum_i p_ik``; ``n_right / n_items`` is the worker's fitted confusion diagonal.
    """
    p = as_probas(probas)
    g = np.asarray(given)
    if g.shape != (p.shape[0],) or not np.issubdtype(g.dtype, np.integer):
        raise InvalidQualityInput(f"given must be ({p.shape[0]},) class positions")
    if g.size and (g.min() < 0 or g.max() >= p.shape[1]):
        raise InvalidQualityInput(f"given must be in [0, {p.shape[1] - 1}]")
    right = p[np.arange(p.shape[0]), g]
    n_right = np.bincount(g, weights=right, minlength=p.shape[1]).astype(np.float64)
    return n_right, p.sum(axis=0)


def skill_from_evidence(
    gold_correct: ArrayLike,
    gold_total: ArrayLike,
    *,
    confusion_diag: ArrayLike | None = None,
    confusion_weight: ArrayLike | None = None,
    inference_discount: float = DEFAULT_INFERENCE_DISCOUNT,
    prior: tuple[float, float] = DEFAULT_ACCURACY_PRIOR,
) -> WorkerSkill:
    """Combine gold counts and a truth-inference confusion diagonal (module docstring).

    Args:
        gold_correct: ``(n_classes,)`` right gold answers per true class.
        gold_total: ``(n_classes,)`` gold answers per true class.
        confusion_diag: ``(n_classes,)`` fitted ``P(answer k | true k)`` (e.g. the diagonal
            of ``AggregationResult.confusion[w]``); ``None`` for gold only.
        confusion_weight: ``(n_classes,)`` expected class-``k`` items behind it (see
            :func:`expected_class_counts`, or the worker's label count times the class
            priors). Required with ``confusion_diag``.
        inference_discount: ``d`` in [0, 1]; 0.5 by default (half weight for circularity).
        prior: Beta prior of every class.

    Raises:
        InvalidQualityInput: Shapes differ, negative counts, more right than total.
    """
    total = as_vector(gold_total, None, name="gold_total", lo=0.0)
    n = total.shape[0]
    right = as_vector(gold_correct, n, name="gold_correct", lo=0.0)
    if (right > total).any() or n == 0:
        raise InvalidQualityInput("gold_correct must not exceed gold_total (and n_classes >= 1)")
    alpha, beta = prior[0] + right, prior[1] + (total - right)
    if confusion_diag is not None:
        if confusion_weight is None or not 0.0 <= inference_discount <= 1.0:
            raise InvalidQualityInput("confusion_diag needs confusion_weight and d in [0, 1]")
        diag = as_vector(confusion_diag, n, name="confusion_diag", lo=0.0, hi=1.0)
        weight = inference_discount * as_vector(confusion_weight, n, name="weight", lo=0.0)
        alpha, beta = alpha + weight * diag, beta + weight * (1.0 - diag)
    return WorkerSkill(alpha, beta)


def update_skill(
    skill: WorkerSkill, *, true_class: int, given_class: int, weight: float = 1.0
) -> WorkerSkill:
    """Skill after one scored answer (gold, or a reviewer's verdict) of weight in (0, 1].

    Only the row of the true class moves: a right answer adds ``weight`` to its ``alpha``,
    a wrong one to its ``beta``. Returns a new value; ``skill`` is unchanged.
    """
    n = skill.n_classes
    if not (0 <= true_class < n and 0 <= given_class < n) or not 0.0 < weight <= 1.0:
        raise InvalidQualityInput(
            f"classes must be in [0, {n - 1}] and weight in (0, 1], "
            f"got {true_class}, {given_class}, {weight}"
        )
    alpha, beta = skill.alpha.copy(), skill.beta.copy()
    if true_class == given_class:
        alpha[true_class] += weight
    else:
        beta[true_class] += weight
    return WorkerSkill(alpha, beta)


def normalised_entropy(probas: ArrayLike) -> FloatArray:
    """``(n_items,)`` Shannon entropy of each row divided by ``log(n_labels)``: in [0, 1]."""
    p = as_probas(probas)
    logs = np.log(np.where(p > 0.0, p, 1.0))
    out: FloatArray = np.clip(-(p * logs).sum(axis=1) / math.log(p.shape[1]), 0.0, 1.0)
    return out


def top_margin(probas: ArrayLike) -> FloatArray:
    """``(n_items,)`` probability of the leading class minus that of the runner-up."""
    p = np.sort(as_probas(probas), axis=1)
    out: FloatArray = p[:, -1] - p[:, -2]
    return out


def item_difficulty(
    probas: ArrayLike, *, measure: Literal["entropy", "margin"] = "entropy"
) -> FloatArray:
    """``(n_items,)`` difficulty in [0, 1] from the current posterior.

    ``entropy``: :func:`normalised_entropy` (uses the whole distribution). ``margin``:
    ``1 - top_margin`` (only the top two classes; what matters for "which label wins").
    Items with no labels have the prior as posterior, so they look as hard as the class
    balance makes them - the service may pass the prior-free uniform row instead.
    """
    if measure == "entropy":
        return normalised_entropy(probas)
    if measure == "margin":
        out: FloatArray = 1.0 - top_margin(probas)
        return out
    raise InvalidQualityInput(f"measure must be 'entropy' or 'margin', got {measure!r}")
