"""The frozen result every categorical aggregator returns, and the aggregator protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from shoplabel.inference.matrix import AnnotationMatrix, GoldLabels

if TYPE_CHECKING:
    from shoplabel.inference.online import WorkerModel

__all__ = ["AggregationResult", "Aggregator"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class AggregationResult:
    """What an aggregator learned: item posteriors and worker skills. Arrays are read-only.

    Attributes:
        method: Registry name of the algorithm that produced it.
        task_ids: Codebook of ``probas`` rows.
        worker_ids: Codebook of ``worker_skill`` (and ``confusion``) rows.
        labels: Codebook of ``probas`` columns.
        probas: ``(n_tasks, n_labels)`` posterior class probabilities; rows sum to 1.
        class_priors: ``(n_labels,)`` estimated class frequencies.
        worker_skill: ``(n_workers,)`` estimated probability that the worker is right.
        confusion: ``(n_workers, n_labels, n_labels)`` ``P(given label | true label)`` with
            the true label on axis 1, or ``None`` for models without one.
        n_iter: Iterations run (1 for one-shot methods).
        log_likelihood: Objective after each iteration (empty for one-shot methods).
        converged: Whether the tolerance was reached before ``max_iter``.
    """

    method: str
    task_ids: tuple[str, ...]
    worker_ids: tuple[str, ...]
    labels: tuple[str, ...]
    probas: FloatArray
    class_priors: FloatArray
    worker_skill: FloatArray
    confusion: FloatArray | None
    n_iter: int
    log_likelihood: tuple[float, ...]
    converged: bool

    def __post_init__(self) -> None:
        for arr in (self.probas, self.class_priors, self.worker_skill, self.confusion):
            if arr is not None:
                arr.flags.writeable = False

    @property
    def label_idx(self) -> NDArray[np.intp]:
        """``(n_tasks,)`` most probable label position (ties go to the first label)."""
        out: NDArray[np.intp] = np.argmax(self.probas, axis=1).astype(np.intp)
        return out

    @property
    def predicted(self) -> tuple[str, ...]:
        """Most probable label of each task, in ``task_ids`` order."""
        return tuple(self.labels[k] for k in self.label_idx)

    @property
    def confidence(self) -> FloatArray:
        """``(n_tasks,)`` posterior probability of the predicted label."""
        return np.asarray(self.probas.max(axis=1), dtype=np.float64)

    def as_dict(self) -> dict[str, str]:
        """``task id -> predicted label``."""
        return dict(zip(self.task_ids, self.predicted, strict=True))


class Aggregator(Protocol):
    """A categorical aggregator: frozen options, pure :meth:`fit`."""

    def fit(
        self,
        m: AnnotationMatrix,
        *,
        gold: GoldLabels | None = None,
        warm_start: WorkerModel | None = None,
    ) -> AggregationResult:
        """Infer item posteriors and worker skills.

        Args:
            m: The annotations.
            gold: Known labels, clamped in every E-step.
            warm_start: Worker parameters of a previous fit to start from (ignored by
                one-shot methods).
        """
        ...
