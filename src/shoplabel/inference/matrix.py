"""The one integer-coded contract for crowd labels: :class:`AnnotationMatrix`.

Every aggregator takes an :class:`AnnotationMatrix`. It is built here and only here, from
rows, columns or already-coded arrays, so duplicate handling, missing values and label
codebooks follow one rule everywhere:

* **Duplicates**: when a worker labels the same task more than once, the **last** row wins
  (the latest answer is the worker's current opinion; earlier ones are discarded).
* **Missing values** (``None``, NaN, empty string) in any column raise :class:`MissingValue`
  naming the row.
* **Labels** are strings. Without an explicit codebook the observed labels are sorted
  numerically when they all look like integers (so graded scales keep their order) and
  lexicographically otherwise. With an explicit codebook, any other label raises
  :class:`LabelNotInCodebook`.
* Task and worker codebooks are the sorted distinct ids, as strings (``str(database_id)``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from shoplabel.inference.errors import (
    EmptyAnnotations,
    LabelNotInCodebook,
    MissingValue,
    ShapeMismatch,
)

__all__ = [
    "AnnotationMatrix",
    "GoldLabels",
    "encode_ids",
    "last_of_each_pair",
    "normalise_label",
    "to_str_array",
    "vote_counts",
]

IntArray = NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class GoldLabels:
    """Known true labels for some tasks of one matrix.

    Attributes:
        task_idx: ``(n_gold,)`` task positions in the matrix codebook.
        label_idx: ``(n_gold,)`` label positions in the matrix codebook.
    """

    task_idx: IntArray
    label_idx: IntArray


@dataclass(frozen=True)
class AnnotationMatrix:
    """Row ``i``: worker ``worker_idx[i]`` gave label ``label_idx[i]`` to task ``task_idx[i]``.

    Build it with :meth:`from_rows`, :meth:`from_columns` or :meth:`from_codes`; the
    constructor itself does not validate. Rows are unique per (task, worker) and sorted by
    task, then worker.

    Attributes:
        task_idx: ``(n_annotations,)`` positions into ``task_ids``.
        worker_idx: ``(n_annotations,)`` positions into ``worker_ids``.
        label_idx: ``(n_annotations,)`` positions into ``labels``.
        task_ids: Codebook, position -> task id.
        worker_ids: Codebook, position -> worker id.
        labels: Codebook, position -> label.
    """

    task_idx: IntArray
    worker_idx: IntArray
    label_idx: IntArray
    task_ids: tuple[str, ...]
    worker_ids: tuple[str, ...]
    labels: tuple[str, ...]
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_tasks(self) -> int:
        """Number of distinct tasks."""
        return len(self.task_ids)

    @property
    def n_workers(self) -> int:
        """Number of distinct workers."""
        return len(self.worker_ids)

    @property
    def n_labels(self) -> int:
        """Number of labels in the codebook."""
        return len(self.labels)

    @property
    def n_annotations(self) -> int:
        """Number of (task, worker) annotations after de-duplication."""
        return int(self.task_idx.shape[0])

    @classmethod
    def from_rows(
        cls, rows: Iterable[tuple[object, object, object]], *, labels: Sequence[str] | None = None
    ) -> AnnotationMatrix:
        """Build from ``(task_id, worker_id, label)`` triples.

        Args:
            rows: Triples in submission order (later duplicates win).
            labels: Optional label codebook; other labels raise :class:`LabelNotInCodebook`.

        Raises:
            EmptyAnnotations: No rows.
            MissingValue: A cell is empty.
            LabelNotInCodebook: A label outside ``labels``.
        """
        triples = list(rows)
        if not triples:
            raise EmptyAnnotations("no annotations to aggregate")
        tasks, workers, values = zip(*triples, strict=True)
        return cls.from_columns(tasks, workers, values, labels=labels)

    @classmethod
    def from_columns(
        cls,
        tasks: ArrayLike,
        workers: ArrayLike,
        values: ArrayLike,
        *,
        labels: Sequence[str] | None = None,
    ) -> AnnotationMatrix:
        """Build from three parallel columns (the same rules as :meth:`from_rows`).

        Raises:
            ShapeMismatch: Columns of different lengths.
        """
        task_str = to_str_array(tasks, field_name="task")
        worker_str = to_str_array(workers, field_name="worker")
        label_str = to_str_array(values, field_name="label")
        if not task_str.shape[0] == worker_str.shape[0] == label_str.shape[0]:
            raise ShapeMismatch("task, worker and label columns differ in length")
        if task_str.shape[0] == 0:
            raise EmptyAnnotations("no annotations to aggregate")
        task_ids, task_idx = encode_ids(task_str)
        worker_ids, worker_idx = encode_ids(worker_str)
        codebook = tuple(labels) if labels is not None else _infer_codebook(label_str)
        label_idx = _encode_labels(label_str, codebook)
        return cls.from_codes(
            task_idx,
            worker_idx,
            label_idx,
            task_ids=task_ids,
            worker_ids=worker_ids,
            labels=codebook,
        )

    @classmethod
    def from_codes(
        cls,
        task_idx: ArrayLike,
        worker_idx: ArrayLike,
        label_idx: ArrayLike,
        *,
        task_ids: Sequence[str],
        worker_ids: Sequence[str],
        labels: Sequence[str],
    ) -> AnnotationMatrix:
        """Build from already integer-coded arrays; validates ranges and drops duplicates.

        Tasks or workers of the codebooks without any annotation are kept (their posterior is
        the class prior).

        Raises:
            EmptyAnnotations: No rows or an empty label codebook.
            ShapeMismatch: Arrays of different lengths or codes out of range.
        """
        t, w, lab = (np.asarray(a, dtype=np.intp) for a in (task_idx, worker_idx, label_idx))
        if not t.shape == w.shape == lab.shape or t.ndim != 1:
            raise ShapeMismatch("task, worker and label codes must be 1-d and equally long")
        if t.shape[0] == 0 or not labels:
            raise EmptyAnnotations("no annotations (or no labels) to aggregate")
        for name, codes, size in (("task", t, len(task_ids)), ("worker", w, len(worker_ids))):
            _check_range(codes, size, name)
        _check_range(lab, len(labels), "label")
        keep = last_of_each_pair(t, w, len(worker_ids))
        return cls(
            task_idx=t[keep],
            worker_idx=w[keep],
            label_idx=lab[keep],
            task_ids=tuple(map(str, task_ids)),
            worker_ids=tuple(map(str, worker_ids)),
            labels=tuple(map(str, labels)),
        )

    def encode_gold(self, gold: Mapping[str, str]) -> GoldLabels:
        """Code a ``task id -> true label`` mapping against this matrix.

        Gold for tasks that have no annotation here is ignored (there is nothing to infer).

        Raises:
            LabelNotInCodebook: A gold label outside :attr:`labels`.
        """
        task_pos = {tid: i for i, tid in enumerate(self.task_ids)}
        label_pos = {lab: k for k, lab in enumerate(self.labels)}
        t_idx: list[int] = []
        l_idx: list[int] = []
        for task_id, label in gold.items():
            pos = task_pos.get(str(task_id))
            if pos is None:
                continue
            k = label_pos.get(normalise_label(label))
            if k is None:
                raise LabelNotInCodebook(
                    f"gold label {label!r} of task {task_id!r} is not one of {self.labels}",
                    details={"task": str(task_id), "label": str(label)},
                )
            t_idx.append(pos)
            l_idx.append(k)
        return GoldLabels(np.asarray(t_idx, dtype=np.intp), np.asarray(l_idx, dtype=np.intp))

    @property
    def design(self) -> sp.csr_matrix:
        """``(n_tasks, n_workers * n_labels)`` 0/1 CSR matrix; column ``w * n_labels + l``.

        The E-step of every confusion-matrix model is one sparse product with it, and the
        M-step one product with its transpose (:attr:`design_t`).
        """
        if "design" not in self._cache:
            cols = self.worker_idx * self.n_labels + self.label_idx
            data = np.ones(self.n_annotations)
            shape = (self.n_tasks, self.n_workers * self.n_labels)
            self._cache["design"] = sp.csr_matrix((data, (self.task_idx, cols)), shape=shape)
        matrix: sp.csr_matrix = self._cache["design"]
        return matrix

    @property
    def design_t(self) -> sp.csr_matrix:
        """Transpose of :attr:`design`, stored as CSR for a fast M-step."""
        if "design_t" not in self._cache:
            self._cache["design_t"] = self.design.T.tocsr()
        matrix: sp.csr_matrix = self._cache["design_t"]
        return matrix


def vote_counts(m: AnnotationMatrix) -> NDArray[np.float64]:
    """``(n_tasks, n_labels)`` number of votes per task and label."""
    flat = np.bincount(
        m.task_idx * m.n_labels + m.label_idx, minlength=m.n_tasks * m.n_labels
    ).astype(np.float64)
    return flat.reshape(m.n_tasks, m.n_labels)


def encode_ids(values: NDArray[np.str_]) -> tuple[tuple[str, ...], IntArray]:
    """Sorted distinct ids and each value's position among them."""
    uniques, inverse = np.unique(values, return_inverse=True)
    return tuple(str(u) for u in uniques), inverse.astype(np.intp).reshape(-1)


def normalise_label(value: object) -> str:
    """Label as a string; integral floats lose their ``.0`` (``1.0`` and ``"1"`` agree)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    return isinstance(value, str) and value.strip() == ""


def to_str_array(values: ArrayLike | Sequence[object], *, field_name: str) -> NDArray[np.str_]:
    """Column as a string array, raising :class:`MissingValue` on the first empty cell."""
    # Lists go through the per-cell path so None and NaN mixed with strings are caught.
    arr = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if arr.dtype.kind in "iub":
        return arr.astype(np.int64).astype(str)
    if arr.dtype.kind == "f":
        bad = np.flatnonzero(np.isnan(arr))
        if bad.size:
            raise _missing(int(bad[0]), field_name)
        if np.all(np.mod(arr, 1.0) == 0.0):
            return arr.astype(np.int64).astype(str)
        return arr.astype(str)
    items = arr.tolist() if arr.ndim == 1 else list(np.ravel(arr))
    out: list[str] = []
    for row, value in enumerate(items):
        if _is_missing(value):
            raise _missing(row, field_name)
        out.append(normalise_label(value))
    return np.asarray(out, dtype=str)


def _missing(row: int, field_name: str) -> MissingValue:
    return MissingValue(
        f"row {row}: {field_name} is empty or NaN", details={"row": row, "field": field_name}
    )


def _infer_codebook(label_str: NDArray[np.str_]) -> tuple[str, ...]:
    uniques = [str(u) for u in np.unique(label_str)]
    try:
        return tuple(sorted(uniques, key=int))
    except ValueError:
        return tuple(uniques)


def _encode_labels(label_str: NDArray[np.str_], codebook: tuple[str, ...]) -> IntArray:
    if not codebook:
        raise EmptyAnnotations("the label codebook is empty")
    order = np.argsort(np.asarray(codebook, dtype=str))
    sorted_book = np.asarray(codebook, dtype=str)[order]
    pos = np.searchsorted(sorted_book, label_str)
    pos_clipped = np.minimum(pos, len(codebook) - 1)
    bad = np.flatnonzero(sorted_book[pos_clipped] != label_str)
    if bad.size:
        row = int(bad[0])
        raise LabelNotInCodebook(
            f"row {row}: label {label_str[row]!r} is not one of {codebook}",
            details={"row": row, "field": "label", "value": str(label_str[row])},
        )
    return order[pos_clipped].astype(np.intp)


def _check_range(codes: IntArray, size: int, name: str) -> None:
    if codes.size and (codes.min() < 0 or codes.max() >= size):
        raise ShapeMismatch(f"{name} codes must lie in [0, {size})")


def last_of_each_pair(task_idx: IntArray, worker_idx: IntArray, n_workers: int) -> IntArray:
    """Row positions keeping the last row of each (task, worker), sorted by that pair."""
    key = task_idx.astype(np.int64) * max(n_workers, 1) + worker_idx
    n = key.shape[0]
    # np.unique returns the first occurrence; on the reversed keys that is the last row.
    _, first_in_reversed = np.unique(key[::-1], return_index=True)
    keep: IntArray = (n - 1 - first_in_reversed).astype(np.intp)
    return keep
