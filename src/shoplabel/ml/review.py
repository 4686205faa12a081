"""Automatic review with cleanlab: which consensus labels are likely wrong, from
out-of-sample model probabilities (confident learning)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoplabel.errors import InvalidInput, ModelUnavailable

__all__ = ["LabelIssues", "find_label_issues"]


@dataclass(frozen=True)
class LabelIssues:
    """``indices`` of likely wrong labels, most suspicious first, and every row's label
    quality score ``quality`` (n,), in [0, 1], low = likely wrong."""

    indices: NDArray[np.intp]
    quality: NDArray[np.float64]


def find_label_issues(
    labels: NDArray[np.integer[Any]], pred_probs: NDArray[np.floating[Any]]
) -> LabelIssues:
    """cleanlab's ``find_label_issues`` (ranked by self-confidence) and label quality.

    Args:
        labels: ``(n,)`` label index per item (the consensus).
        pred_probs: ``(n, n_labels)`` out-of-sample model probabilities.

    Raises:
        ModelUnavailable: cleanlab is not installed (the ``review`` extra).
        InvalidInput: shapes disagree.
    """
    try:
        # Optional extra: imported only when automatic review runs.
        from cleanlab.filter import find_label_issues as _find
        from cleanlab.rank import get_label_quality_scores
    except ImportError as e:
        raise ModelUnavailable(
            "automatic review needs cleanlab (pip install 'shoplabel[review]')"
        ) from e
    y = np.asarray(labels, dtype=np.intp)
    p = np.asarray(pred_probs, dtype=np.float64)
    if p.ndim != 2 or y.shape != (p.shape[0],):
        raise InvalidInput(f"labels {y.shape} and probabilities {p.shape} do not match")
    p = np.clip(p, 1e-6, 1.0)
    p = p / p.sum(axis=1, keepdims=True)
    ranked = _find(y, p, return_indices_ranked_by="self_confidence")
    quality = get_label_quality_scores(y, p)
    return LabelIssues(np.asarray(ranked, dtype=np.intp), np.asarray(quality, dtype=np.float64))
