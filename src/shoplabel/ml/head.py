"""The supervised pre-labelling head: softmax regression on embeddings + template features,
fitted to soft targets (truth-inference posteriors), served as plain numbers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression

from shoplabel.errors import InvalidInput

__all__ = ["LinearHead", "fit_head", "load_head", "standardiser"]

#: Soft-target mass below this is dropped from the expanded training set.
_MIN_MASS = 1e-3
#: Logit of a class never seen in training: effectively impossible, still finite.
_UNSEEN_LOGIT = -30.0
#: Features whose spread is below this are constant (some encoders have dead dimensions):
#: they are not rescaled, and their stored scale never rounds to zero (weights keep 6 d.p.).
_MIN_SCALE = 1e-5


def standardiser(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Column means and scales of ``x`` ``(n, n_features)``; constant columns get scale 1."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < _MIN_SCALE] = 1.0
    return mean, scale


@dataclass(frozen=True)
class LinearHead:
    r"""Softmax regression $P(y=k \mid x) \propto \exp(w_k^\top (x-\mu)/\sigma + b_k)$.

    Arrays: ``coef`` (n_labels, n_features), ``intercept`` (n_labels,), ``mean`` and ``scale``
    (n_features,).
    """

    coef: NDArray[np.float64]
    intercept: NDArray[np.float64]
    mean: NDArray[np.float64]
    scale: NDArray[np.float64]

    def predict_proba(self, x: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
        """Class probabilities, shape ``(n_rows, n_labels)``."""
        z = ((np.asarray(x, dtype=np.float64) - self.mean) / self.scale) @ self.coef.T
        z += self.intercept
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return np.asarray(p / p.sum(axis=1, keepdims=True), dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        return {
            "coef": self.coef.round(6).tolist(),
            "intercept": self.intercept.round(6).tolist(),
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
        }


def load_head(params: Mapping[str, Any]) -> LinearHead:
    """A head from :meth:`LinearHead.to_dict` output."""
    return LinearHead(
        coef=np.asarray(params["coef"], dtype=np.float64),
        intercept=np.asarray(params["intercept"], dtype=np.float64),
        mean=np.asarray(params["mean"], dtype=np.float64),
        scale=np.asarray(params["scale"], dtype=np.float64),
    )


def _expand(
    x: NDArray[np.float64], targets: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.float64]]:
    """Soft targets as weighted hard rows: row i appears once per class k with weight p_ik
    (the cross-entropy to soft targets equals the weighted log-loss of these rows)."""
    rows, classes = np.nonzero(targets > _MIN_MASS)
    return x[rows], classes.astype(np.intp), targets[rows, classes]


def fit_head(
    features: NDArray[np.floating[Any]],
    targets: NDArray[np.floating[Any]],
    *,
    c: float = 1.0,
) -> LinearHead:
    """Fit the head to ``targets`` (n_rows, n_labels), rows summing to 1.

    Raises:
        InvalidInput: shapes disagree, or fewer than two classes carry mass.
    """
    x = np.asarray(features, dtype=np.float64)
    t = np.asarray(targets, dtype=np.float64)
    if x.ndim != 2 or t.ndim != 2 or t.shape[0] != x.shape[0]:
        raise InvalidInput(f"features {x.shape} and targets {t.shape} do not match")
    n_labels = t.shape[1]
    mean, scale = standardiser(x)
    xs, y, w = _expand((x - mean) / scale, t)
    seen = np.unique(y)
    if len(seen) < 2:
        raise InvalidInput("the training labels hold a single class; need at least two")
    clf = LogisticRegression(C=c, max_iter=500)
    clf.fit(xs, y, sample_weight=w)
    coef = np.zeros((n_labels, x.shape[1]))
    intercept = np.full(n_labels, _UNSEEN_LOGIT)
    if len(seen) == 2:
        # Binary: sklearn keeps one weight vector w for the second class (logit z = w.x + b);
        # softmax over (0, z) is the same sigmoid.
        coef[seen[1]] = clf.coef_[0]
        intercept[seen[0]], intercept[seen[1]] = 0.0, clf.intercept_[0]
    else:
        coef[seen] = clf.coef_
        intercept[seen] = clf.intercept_
    return LinearHead(coef=coef, intercept=intercept, mean=mean, scale=scale)
