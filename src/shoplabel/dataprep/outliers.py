r"""Numeric outliers (e.g. a price of 99999 among phone cases) flagged with the reason.

Two robust rules, chosen per run:

* ``robust-z`` (Iglewicz & Hoaglin 1993): :math:`z_i = 0.6745 (x_i - \tilde{x}) / \mathrm{MAD}`
  with :math:`\tilde{x}` the median and MAD the median absolute deviation; :math:`|z_i| >`
  ``threshold`` (3.5 by their advice) is an outlier. When MAD is 0 (over half the values
  equal) the mean absolute deviation stands in (scaled by 0.7979, its ratio to
  :math:`\sigma` under normality) so a lone odd value is still caught.
* ``iqr`` (Tukey's fences): below :math:`Q_1 - k \cdot IQR` or above :math:`Q_3 + k \cdot
  IQR`, with :math:`k` = ``threshold`` (1.5 usually).

Both ignore missing values (NaN) and need at least ``min_values`` numbers to say anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import numpy as np
from numpy.typing import NDArray

__all__ = ["OutlierMethod", "OutlierOptions", "Outliers", "find_outliers"]

_MAD_SCALE: Final = 0.6745
_MEAN_AD_SCALE: Final = 0.7979


class OutlierMethod(StrEnum):
    ROBUST_Z = "robust-z"
    IQR = "iqr"


@dataclass(frozen=True, slots=True)
class OutlierOptions:
    method: OutlierMethod = OutlierMethod.ROBUST_Z
    threshold: float | None = None  # 3.5 for robust-z, 1.5 for iqr
    min_values: int = 8

    def limit(self) -> float:
        if self.threshold is not None:
            return self.threshold
        return 3.5 if self.method is OutlierMethod.ROBUST_Z else 1.5


@dataclass(frozen=True, slots=True)
class Outliers:
    """Outliers among ``n`` values.

    Attributes:
        index: Shape ``(n_outliers,)``: positions of the outliers.
        reasons: One sentence per outlier, e.g. ``"99999 is 812.4 robust z-scores above the
            median 12.5 (limit 3.5)"``.
    """

    index: NDArray[np.int64]
    reasons: tuple[str, ...]


def _robust_z(x: NDArray[np.float64], limit: float) -> tuple[NDArray[np.bool_], list[str]]:
    med = float(np.median(x))
    dev = np.abs(x - med)
    mad = float(np.median(dev))
    if mad > 0:
        z = _MAD_SCALE * (x - med) / mad
    else:
        mean_ad = float(dev.mean())
        z = np.zeros_like(x) if mean_ad == 0 else _MEAN_AD_SCALE * (x - med) / mean_ad
    mask = np.abs(z) > limit
    reasons = [
        f"{x[i]:g} is {abs(z[i]):.1f} robust z-scores {'above' if z[i] > 0 else 'below'}"
        f" the median {med:g} (limit {limit:g})"
        for i in np.flatnonzero(mask)
    ]
    return mask, reasons


def _iqr(x: NDArray[np.float64], k: float) -> tuple[NDArray[np.bool_], list[str]]:
    q1, q3 = (float(q) for q in np.percentile(x, [25, 75]))
    lo, hi = q1 - k * (q3 - q1), q3 + k * (q3 - q1)
    mask = (x < lo) | (x > hi)
    reasons = [
        f"{x[i]:g} is outside the IQR fences [{lo:g}, {hi:g}] (Q1 {q1:g}, Q3 {q3:g}, k {k:g})"
        for i in np.flatnonzero(mask)
    ]
    return mask, reasons


def find_outliers(
    values: NDArray[np.float64], *, options: OutlierOptions = OutlierOptions()
) -> Outliers:
    """Outliers of one numeric field.

    Args:
        values: Shape ``(n,)``; NaN marks a missing value (never an outlier).
        options: The rule and its threshold.
    """
    x = np.asarray(values, dtype=np.float64)
    known = np.flatnonzero(~np.isnan(x))
    if len(known) < options.min_values:
        return Outliers(np.empty(0, np.int64), ())
    rule = _robust_z if options.method is OutlierMethod.ROBUST_Z else _iqr
    mask, reasons = rule(x[known], options.limit())
    return Outliers(known[mask].astype(np.int64), tuple(reasons))
