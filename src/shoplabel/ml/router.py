"""Fitting the learned routing model: P(this worker labels this item right), from history.

Logistic regression on the standardised features of
:func:`shoplabel.quality.routing.learned_features`. The result is a
:class:`~shoplabel.quality.routing.LinearRouter` (plain numbers, stored as JSON, served
without scikit-learn); the composition root hands :func:`fit_router` to the services.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.linear_model import LogisticRegression

from shoplabel.errors import InvalidInput
from shoplabel.quality import LinearRouter

__all__ = ["MIN_ROWS", "fit_router"]

#: Fewer training rows than this (or a single class) gives no model: the policy falls back
#: to queue order rather than trusting noise.
MIN_ROWS = 50


def fit_router(features: ArrayLike, targets: ArrayLike) -> LinearRouter | None:
    """Fit on the rows whose target is 0 or 1 (-1 rows, without a reliable reference, are
    dropped). ``None`` with too few rows or a single class.

    Raises:
        InvalidInput: the shapes disagree.
    """
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(targets)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise InvalidInput(f"features {x.shape} and targets {y.shape} do not match")
    keep = y >= 0
    x, y = x[keep], y[keep]
    if len(y) < MIN_ROWS or len(np.unique(y)) < 2:
        return None
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    clf = LogisticRegression(C=1.0, max_iter=200)
    clf.fit((x - mean) / scale, y)
    return LinearRouter(
        coef=clf.coef_[0].astype(np.float64),
        intercept=float(clf.intercept_[0]),
        mean=mean,
        scale=scale,
        n_rows=len(y),
    )
