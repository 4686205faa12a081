"""Numeric labels (ratings, scores): weighted mean, median and a bias-and-noise worker model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoplabel.inference.em import check_em_options
from shoplabel.inference.errors import EmptyAnnotations, InvalidOptions, MissingValue, ShapeMismatch
from shoplabel.inference.matrix import encode_ids, last_of_each_pair, to_str_array

__all__ = ["BiasNoise", "NumericMatrix", "NumericResult", "WeightedMean", "WeightedMedian"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class NumericMatrix:
    """Row ``i``: worker ``worker_idx[i]`` gave value ``values[i]`` to task ``task_idx[i]``.

    Same coding rules as :class:`~shoplabel.inference.matrix.AnnotationMatrix` (sorted string
    ids, last duplicate wins); values must be finite.
    """

    task_idx: NDArray[np.intp]
    worker_idx: NDArray[np.intp]
    values: FloatArray
    task_ids: tuple[str, ...]
    worker_ids: tuple[str, ...]

    @classmethod
    def from_columns(cls, tasks: ArrayLike, workers: ArrayLike, values: ArrayLike) -> NumericMatrix:
        """Build from parallel columns.

        Raises:
            EmptyAnnotations: No rows.
            MissingValue: An empty id or a non-finite value.
            ShapeMismatch: Columns of different lengths.
        """
        task_str = to_str_array(tasks, field_name="task")
        worker_str = to_str_array(workers, field_name="worker")
        vals = np.asarray(values, dtype=np.float64).reshape(-1)
        if not task_str.shape[0] == worker_str.shape[0] == vals.shape[0]:
            raise ShapeMismatch("task, worker and value columns differ in length")
        if vals.size == 0:
            raise EmptyAnnotations("no annotations to aggregate")
        bad = np.flatnonzero(~np.isfinite(vals))
        if bad.size:
            row = int(bad[0])
            raise MissingValue(f"row {row}: value is not finite", details={"row": row})
        task_ids, t = encode_ids(task_str)
        worker_ids, w = encode_ids(worker_str)
        keep = last_of_each_pair(t, w, len(worker_ids))
        return cls(t[keep], w[keep], vals[keep], task_ids, worker_ids)

    @property
    def n_tasks(self) -> int:
        """Number of distinct tasks."""
        return len(self.task_ids)

    @property
    def n_workers(self) -> int:
        """Number of distinct workers."""
        return len(self.worker_ids)


@dataclass(frozen=True, slots=True)
class NumericResult:
    """Estimated true values and worker parameters.

    Attributes:
        method: Name of the algorithm.
        task_ids: Codebook of ``values``.
        worker_ids: Codebook of ``worker_bias`` and ``worker_noise``.
        values: ``(n_tasks,)`` estimated true values.
        std: ``(n_tasks,)`` posterior standard deviation (NaN for baselines without a model).
        worker_bias: ``(n_workers,)`` mean offset of the worker's values (0 for baselines).
        worker_noise: ``(n_workers,)`` standard deviation of the worker's errors.
        n_iter: Iterations run.
        converged: Whether the tolerance was reached.
    """

    method: str
    task_ids: tuple[str, ...]
    worker_ids: tuple[str, ...]
    values: FloatArray
    std: FloatArray
    worker_bias: FloatArray
    worker_noise: FloatArray
    n_iter: int
    converged: bool


def _weighted_mean(nm: NumericMatrix, weights: FloatArray, values: FloatArray) -> FloatArray:
    w = weights[nm.worker_idx]
    num = np.bincount(nm.task_idx, weights=w * values, minlength=nm.n_tasks)
    den = np.bincount(nm.task_idx, weights=w, minlength=nm.n_tasks)
    plain = np.bincount(nm.task_idx, weights=values, minlength=nm.n_tasks) / np.maximum(
        np.bincount(nm.task_idx, minlength=nm.n_tasks), 1
    )
    out: FloatArray = np.divide(num, den, out=plain, where=den > 0)
    return out


def _residual_sd(nm: NumericMatrix, values: FloatArray) -> FloatArray:
    resid = nm.values - values[nm.task_idx]
    n = np.bincount(nm.worker_idx, minlength=nm.n_workers)
    ss = np.bincount(nm.worker_idx, weights=resid**2, minlength=nm.n_workers)
    out: FloatArray = np.sqrt(ss / np.maximum(n, 1))
    return out


def _baseline(method: str, nm: NumericMatrix, values: FloatArray) -> NumericResult:
    return NumericResult(
        method, nm.task_ids, nm.worker_ids, values, np.full(nm.n_tasks, np.nan),
        np.zeros(nm.n_workers), _residual_sd(nm, values), 1, True,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class WeightedMean:
    r"""Weighted mean $\hat z_j = \sum_w v_w y_{wj} / \sum_w v_w$ (plain mean by default).

    Attributes:
        weights: Worker id -> non-negative weight.
        default_weight: Weight of workers missing from ``weights``.
    """

    weights: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    default_weight: float = 1.0

    def fit(self, nm: NumericMatrix) -> NumericResult:
        """Weighted mean of each task's values."""
        w = np.array([self.weights.get(x, self.default_weight) for x in nm.worker_ids])
        if w.size and w.min() < 0.0:
            raise InvalidOptions("worker weights must be non-negative")
        return _baseline("weighted-mean", nm, _weighted_mean(nm, w.astype(np.float64), nm.values))


@dataclass(frozen=True, slots=True)
class WeightedMedian:
    """Per-task median of the values: robust to a minority of wild answers.

    Reference: the robust baseline of Zheng et al. (2017), PVLDB 10(5).
    """

    def fit(self, nm: NumericMatrix) -> NumericResult:
        """Median of each task's values (mean of the two middle ones for even counts)."""
        order = np.lexsort((nm.values, nm.task_idx))
        t, v = nm.task_idx[order], nm.values[order]
        n = np.bincount(t, minlength=nm.n_tasks)
        start = np.concatenate([[0], np.cumsum(n)[:-1]])
        lo = start + (n - 1) // 2
        hi = start + n // 2
        return _baseline("median", nm, (v[lo] + v[hi]) / 2.0)


@dataclass(frozen=True, slots=True)
class BiasNoise:
    r"""Worker bias and noise: $y_{wj} = z_j + b_w + \varepsilon$, $\varepsilon \sim
    N(0, \sigma_w^2)$.

    Coordinate ascent on the MAP objective: $z_j$ is the precision-weighted mean of the
    de-biased values, $b_w$ the shrunk mean residual ($b_w \sim N(0, \sigma_w^2/k_b)$, i.e.
    ``bias_shrinkage`` pseudo-answers of zero bias), and $\sigma_w^2$ the residual variance
    with ``noise_shrinkage`` pseudo-answers at the pooled variance. Biases are centred
    (mean 0) because only differences are identifiable.

    Reference: Raykar et al. (2010), *Learning from crowds*, JMLR 11, section 3
    (regression with annotator-specific Gaussian noise), with per-worker bias as in
    Welinder & Perona (2010).

    Attributes:
        max_iter: Iteration cap.
        tol: Stop when no estimated value moves by more than ``tol`` times the data scale.
        bias_shrinkage: Pseudo-count $k_b$.
        noise_shrinkage: Pseudo-count for the variance.
    """

    max_iter: int = 50
    tol: float = 1e-6
    bias_shrinkage: float = 2.0
    noise_shrinkage: float = 2.0

    def fit(self, nm: NumericMatrix) -> NumericResult:
        """Fit by coordinate ascent, starting from the median."""
        check_em_options(self.max_iter, self.tol)
        z = WeightedMedian().fit(nm).values
        scale = float(np.std(nm.values)) or 1.0
        bias, var = np.zeros(nm.n_workers), np.full(nm.n_workers, scale**2)
        converged, n_iter = False, 0
        while not converged and n_iter < self.max_iter:
            bias, var = self._worker_step(nm, z)
            new_z = _weighted_mean(nm, 1.0 / var, nm.values - bias[nm.worker_idx])
            converged = bool(np.max(np.abs(new_z - z)) <= self.tol * scale)
            z, n_iter = new_z, n_iter + 1
        precision = np.bincount(nm.task_idx, weights=1.0 / var[nm.worker_idx], minlength=nm.n_tasks)
        return NumericResult(
            "bias-noise", nm.task_ids, nm.worker_ids, z, 1.0 / np.sqrt(precision),
            bias, np.sqrt(var), n_iter, converged,
        )  # fmt: skip

    def _worker_step(self, nm: NumericMatrix, z: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Shrunk, centred biases and shrunk variances given the current values."""
        n_w = np.bincount(nm.worker_idx, minlength=nm.n_workers).astype(np.float64)
        resid = nm.values - z[nm.task_idx]
        sums = np.bincount(nm.worker_idx, weights=resid, minlength=nm.n_workers)
        bias: FloatArray = sums / (n_w + self.bias_shrinkage)
        bias -= bias.mean()
        err = resid - bias[nm.worker_idx]
        pooled = float(np.mean(err**2)) + 1e-12
        ss = np.bincount(nm.worker_idx, weights=err**2, minlength=nm.n_workers)
        var: FloatArray = (ss + self.noise_shrinkage * pooled) / (n_w + self.noise_shrinkage)
        return bias, var
