r"""Per-candidate scores for the assignment policies (vectorised over candidate items).

The assignment service fetches the open candidate items for one worker (not yet labelled by
them, under the overlap quota, no gold), computes their posteriors with ``inference``, and
orders them with one of these scores via :func:`rank_candidates`. Higher is better.

- :func:`uncertainty_first_scores`: finish what is almost done, resolve what is contested.
- :func:`ability_match_scores`: hard items to skilled workers, easy items to new ones.
- :func:`learned_features`: the feature rows of a model predicting "this worker labels this
  item right" (the model itself lives in ``shoplabel.ml``); :func:`learned_targets` is the
  matching label definition.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoplabel.quality.errors import InvalidQualityInput
from shoplabel.quality.shapes import FloatArray, as_probas, as_vector
from shoplabel.quality.skills import normalised_entropy, top_margin

__all__ = [
    "FEATURE_NAMES",
    "LinearRouter",
    "ability_match_scores",
    "learned_features",
    "learned_targets",
    "rank_candidates",
    "skill_to_difficulty",
    "uncertainty_first_scores",
]


def rank_candidates(scores: ArrayLike) -> NDArray[np.intp]:
    """Candidate positions, best score first; ties keep the input (queue) order."""
    s = np.asarray(scores, dtype=np.float64)
    out: NDArray[np.intp] = np.argsort(-s, kind="stable").astype(np.intp)
    return out


def _closeness(
    probas: FloatArray, n_labels: FloatArray, *, max_overlap: int, target: float
) -> FloatArray:
    chance = 1.0 / probas.shape[1]
    by_budget = np.minimum(n_labels / max_overlap, 1.0)
    by_confidence = np.clip((probas.max(axis=1) - chance) / (target - chance), 0.0, 1.0)
    out: FloatArray = np.maximum(by_budget, by_confidence)
    return out


def uncertainty_first_scores(
    probas: ArrayLike,
    n_labels: ArrayLike,
    *,
    max_overlap: int,
    target_confidence: float = 0.95,
    uncertainty_weight: float = 0.5,
) -> FloatArray:
    r"""Score = $(1 - \lambda)\,\text{closeness} + \lambda\,\text{uncertainty}$, in [0, 1].

    *Closeness to done* is the larger of the share of the label budget spent,
    $n_i / \text{max\_overlap}$, and the way from chance $1/K$ to the target confidence,
    $\operatorname{clip}((\max_k p_{ik} - 1/K) / (\tau - 1/K), 0, 1)$: an item one agreeing
    label away from closing scores high. *Uncertainty* is the normalised entropy. With
    $\lambda = 0.5$ the top items are contested items already in progress, then items
    about to close, then fresh ones.

    Args:
        probas: ``(n_items, n_labels)`` current posteriors of the candidates.
        n_labels: ``(n_items,)`` labels each candidate has.
        max_overlap: The project's ``max_overlap``.
        target_confidence: The project's ``target_confidence`` ($\tau$).
        uncertainty_weight: $\lambda$ in [0, 1]; 0 = closest to done first, 1 = most
            uncertain first.
    """
    p = as_probas(probas)
    n = as_vector(n_labels, p.shape[0], name="n_labels", lo=0.0)
    if max_overlap < 1 or not 1.0 / p.shape[1] < target_confidence < 1.0:
        raise InvalidQualityInput("need max_overlap >= 1 and 1/n_labels < target < 1")
    if not 0.0 <= uncertainty_weight <= 1.0:
        raise InvalidQualityInput(f"uncertainty_weight must be in [0, 1], got {uncertainty_weight}")
    close = _closeness(p, n, max_overlap=max_overlap, target=target_confidence)
    out: FloatArray = (1.0 - uncertainty_weight) * close + uncertainty_weight * (
        normalised_entropy(p)
    )
    return out


def skill_to_difficulty(skill: float, *, chance: float) -> float:
    """The difficulty in [0, 1] a worker of accuracy ``skill`` should get: ``(s - c)/(1 - c)``.

    A worker at chance level (``c = 1 / n_labels``) gets the easiest items, a perfect one the
    hardest.
    """
    if not 0.0 < chance < 1.0 or not 0.0 <= skill <= 1.0:
        raise InvalidQualityInput(f"need 0 < chance < 1 and skill in [0, 1], got {chance}, {skill}")
    return min(1.0, max(0.0, (skill - chance) / (1.0 - chance)))


def ability_match_scores(
    difficulty: ArrayLike, *, worker_skill: float, chance: float, bandwidth: float = 0.25
) -> FloatArray:
    r"""Score = $\exp(-\tfrac12 ((d_i - t_w) / h)^2)$, in (0, 1].

    $t_w$ is :func:`skill_to_difficulty` of the worker's skill and $d_i$ the item difficulty
    (:func:`~shoplabel.quality.skills.item_difficulty`). Pass the worker's *lower* credible
    bound of overall skill, not the mean: a new worker (prior only) then has a low bound and
    gets easy items, and moves to harder ones as evidence accumulates.

    Args:
        difficulty: ``(n_items,)`` difficulties in [0, 1].
        worker_skill: The worker's skill (lower credible bound), in [0, 1].
        chance: Accuracy of random answers, ``1 / n_labels``.
        bandwidth: $h > 0$; larger values make the match softer (0.25 by default: an item
            0.5 away from the target still scores 0.14, so nobody runs out of work).
    """
    target = skill_to_difficulty(worker_skill, chance=chance)
    d = as_vector(difficulty, None, name="difficulty", lo=0.0, hi=1.0)
    if not bandwidth > 0.0:
        raise InvalidQualityInput(f"bandwidth must be > 0, got {bandwidth}")
    out: FloatArray = np.exp(-0.5 * ((d - target) / bandwidth) ** 2)
    return out


FEATURE_NAMES: Final[tuple[str, ...]] = (
    "worker_skill",
    "log_worker_labels",
    "item_entropy",
    "item_margin",
    "log_item_labels",
    "item_agreement",
    "worker_class_skill",
)
"""Columns of :func:`learned_features`, in order."""


def learned_features(
    probas: ArrayLike,
    vote_counts: ArrayLike,
    *,
    worker_skill: float,
    worker_n_labels: int,
    worker_class_skill: ArrayLike,
) -> FloatArray:
    """``(n_items, len(FEATURE_NAMES))`` features of (this worker, each candidate item).

    Computed from the state *before* the worker labels the item (the same state at training
    and at serving time, so nothing leaks from the label being predicted).

    Args:
        probas: ``(n_items, n_labels)`` current posteriors.
        vote_counts: ``(n_items, n_labels)`` labels received so far per class.
        worker_skill: The worker's overall skill (posterior mean), in [0, 1].
        worker_n_labels: Labels the worker has given in the project.
        worker_class_skill: ``(n_labels,)`` the worker's per-class skill means; the feature
            takes the entry of each item's leading class.

    Columns: worker skill; ``log1p`` worker labels; normalised entropy; top margin;
    ``log1p`` item labels; share of the item's votes for its leading class (0 without
    votes); the worker's skill on the leading class.
    """
    p = as_probas(probas)
    n_items, n_classes = p.shape
    votes = np.array(vote_counts, dtype=np.float64)
    if votes.shape != p.shape or (votes < 0).any():
        raise InvalidQualityInput(f"vote_counts must be non-negative with shape {p.shape}")
    class_skill = as_vector(worker_class_skill, n_classes, name="worker_class_skill", lo=0, hi=1)
    if not 0.0 <= worker_skill <= 1.0 or worker_n_labels < 0:
        raise InvalidQualityInput("need worker_skill in [0, 1] and worker_n_labels >= 0")
    leader = np.argmax(p, axis=1)
    n_votes = votes.sum(axis=1)
    lead_votes = votes[np.arange(n_items), leader]
    agreement = np.divide(lead_votes, n_votes, out=np.zeros(n_items), where=n_votes > 0)
    return np.column_stack(
        [
            np.full(n_items, worker_skill),
            np.full(n_items, math.log1p(worker_n_labels)),
            normalised_entropy(p),
            top_margin(p),
            np.log1p(n_votes),
            agreement,
            class_skill[leader],
        ]
    ).astype(np.float64)


def learned_targets(given: ArrayLike, reference: ArrayLike) -> NDArray[np.int8]:
    """Training labels: 1 where the worker's answer equals the item's reference label.

    Args:
        given: ``(n_pairs,)`` the worker's answer (class position) on each item.
        reference: ``(n_pairs,)`` the gold label, or the final consensus of items that
            closed at the target confidence; use ``-1`` for items without a trustworthy
            reference - those pairs get ``-1`` and must be dropped before fitting.
    """
    g = np.asarray(given)
    r = np.asarray(reference)
    if g.shape != r.shape or g.ndim != 1:
        raise InvalidQualityInput("given and reference must be equal-length vectors")
    out: NDArray[np.int8] = (g == r).astype(np.int8)
    out[r < 0] = -1
    return out


@dataclass(frozen=True)
class LinearRouter:
    r"""A fitted routing model as plain numbers: $P(\text{right}) = \sigma(w \cdot (x - \mu) / s
    + b)$ over the :data:`FEATURE_NAMES` columns. Fitted by ``shoplabel.ml.router``; served
    here without scikit-learn."""

    coef: FloatArray
    intercept: float
    mean: FloatArray
    scale: FloatArray
    n_rows: int

    def predict(self, features: ArrayLike) -> FloatArray:
        """``(n,)`` probabilities that the worker labels each item right."""
        x = np.asarray(features, dtype=np.float64)
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        out: FloatArray = 1.0 / (1.0 + np.exp(-z))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "n_rows": self.n_rows,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> LinearRouter:
        return cls(
            coef=np.asarray(raw["coef"], dtype=np.float64),
            intercept=float(raw["intercept"]),
            mean=np.asarray(raw["mean"], dtype=np.float64),
            scale=np.asarray(raw["scale"], dtype=np.float64),
            n_rows=int(raw["n_rows"]),
        )
