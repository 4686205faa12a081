"""Shape and range checks for the arrays the quality functions take (copies, never views)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoplabel.quality.errors import InvalidQualityInput

__all__ = ["FloatArray", "as_probas", "as_vector"]

FloatArray = NDArray[np.float64]


def as_probas(probas: ArrayLike, *, name: str = "probas") -> FloatArray:
    """``(n_items, n_labels)`` rows of class probabilities, as a fresh float array.

    Raises:
        InvalidQualityInput: Not 2-D, fewer than 2 labels, negative or rows not summing to 1.
    """
    arr = np.array(probas, dtype=np.float64, copy=True)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise InvalidQualityInput(f"{name} must have shape (n_items, n_labels >= 2)")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise InvalidQualityInput(f"{name} must be finite and >= 0")
    if not np.allclose(arr.sum(axis=1), 1.0, atol=1e-6):
        raise InvalidQualityInput(f"every row of {name} must sum to 1")
    return arr


def as_vector(
    values: ArrayLike, n: int | None, *, name: str, lo: float = -np.inf, hi: float = np.inf
) -> FloatArray:
    """A ``(n,)`` float vector (any length when ``n`` is ``None``) with values in ``[lo, hi]``.

    Raises:
        InvalidQualityInput: Wrong shape, NaN or out of range.
    """
    arr = np.array(values, dtype=np.float64, copy=True)
    if arr.ndim != 1 or (n is not None and arr.shape != (n,)):
        raise InvalidQualityInput(f"{name} must have shape ({n or 'n'},), got {arr.shape}")
    if np.isnan(arr).any() or (arr < lo).any() or (arr > hi).any():
        raise InvalidQualityInput(f"{name} must be in [{lo:g}, {hi:g}]")
    return arr
