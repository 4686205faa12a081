r"""Active learning: which unlabelled items humans should see first.

Under a priority policy (``uncertainty-first``), every pre-labelling run scores the open,
unlabelled items of each page: half the normalised entropy of the model's prediction,
$\tfrac12 H(p)/\log K \in [0, 0.5]$ (the scale of the uncertainty policy's score for a fresh
item), plus a diversity bonus for a k-center cover of the page in feature space: greedy
farthest-first traversal (Gonzalez 1985) from the most uncertain item picks
:data:`DIVERSITY_SHARE` of the fresh items, each of which gets :data:`DIVERSITY_BONUS`. So
humans label uncertain items first, spread over the data rather than a cluster of
near-duplicates (Sener & Savarese 2018, "Active learning for CNNs: a core-set approach").
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["DIVERSITY_BONUS", "DIVERSITY_SHARE", "k_center", "priorities"]

DIVERSITY_SHARE = 0.1
DIVERSITY_BONUS = 0.1


def k_center(x: NDArray[np.float64], k: int, *, first: int) -> NDArray[np.intp]:
    """Indices of ``k`` rows of ``x`` (n, d) chosen by farthest-first traversal from
    ``first``: each next row is the one farthest from every row chosen so far."""
    n = x.shape[0]
    k = min(k, n)
    chosen = [first]
    dist = np.linalg.norm(x - x[first], axis=1)
    while len(chosen) < k:
        nxt = int(dist.argmax())
        chosen.append(nxt)
        dist = np.minimum(dist, np.linalg.norm(x - x[nxt], axis=1))
    return np.asarray(chosen, dtype=np.intp)


def priorities(
    probas: NDArray[np.float64], features: NDArray[np.float64], fresh: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Scores ``(n,)`` for a page; only rows where ``fresh`` (open, unlabelled) are meant
    to be used by the caller.

    Args:
        probas: ``(n, n_labels)`` model predictions.
        features: ``(n, n_features)`` the pre-labeller's features of the same items.
        fresh: ``(n,)`` which items have no label yet.
    """
    p = np.clip(probas, 1e-12, 1.0)
    score = -(p * np.log(p)).sum(axis=1) / math.log(max(probas.shape[1], 2)) * 0.5
    idx = np.flatnonzero(fresh)
    if len(idx) > 1:
        k = max(1, math.ceil(DIVERSITY_SHARE * len(idx)))
        first = int(score[idx].argmax())
        score[idx[k_center(features[idx], k, first=first)]] += DIVERSITY_BONUS
    return np.asarray(score, dtype=np.float64)
