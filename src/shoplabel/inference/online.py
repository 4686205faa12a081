"""Online posterior updates from fitted worker parameters.

The submit service calls :func:`item_posterior` (or :func:`update_posterior`) on every label:
the cost is O(labels of the item) (O(1) for the incremental form) with no refit. A periodic
full refit passes the previous :class:`WorkerModel` as ``warm_start`` so EM starts from the
posteriors it implies and converges in a few iterations.

Example:
    >>> model = WorkerModel.from_result(DawidSkene().fit(m))      # after a batch fit
    >>> item_posterior(model, ["17", "42"], [1, 1])               # labels as codebook positions
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from shoplabel.inference.em import clamp_gold, e_step, initial_probas
from shoplabel.inference.errors import InvalidOptions, LabelNotInCodebook, ShapeMismatch
from shoplabel.inference.matrix import AnnotationMatrix, GoldLabels
from shoplabel.inference.result import AggregationResult

__all__ = ["WorkerModel", "item_posterior", "starting_probas", "update_posterior"]

FloatArray = NDArray[np.float64]
_FLOOR = 1e-6  # keeps log-confusion finite: no worker is ever certainly wrong


@dataclass(frozen=True)
class WorkerModel:
    """Fitted worker parameters, enough to score new labels without the data.

    Attributes:
        labels: Label codebook (positions used by :func:`item_posterior`).
        log_priors: ``(n_labels,)`` log class priors.
        worker_ids: Codebook of ``log_confusion``.
        log_confusion: ``(n_workers, n_labels, n_labels)`` ``log P(given | true)``, true
            label on axis 1.
        fallback: ``(n_labels, n_labels)`` log-confusion used for workers not in
            ``worker_ids`` (the crowd's average worker).
    """

    labels: tuple[str, ...]
    log_priors: FloatArray
    worker_ids: tuple[str, ...]
    log_confusion: FloatArray
    fallback: FloatArray
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {w: i for i, w in enumerate(self.worker_ids)})
        for arr in (self.log_priors, self.log_confusion, self.fallback):
            arr.flags.writeable = False

    @classmethod
    def from_result(cls, result: AggregationResult) -> WorkerModel:
        """Worker model of a categorical fit.

        Models without a confusion matrix get the one-coin matrix of their skill: right with
        probability ``worker_skill``, otherwise uniform over the other labels.
        """
        n_labels = len(result.labels)
        if result.confusion is not None:
            confusion = np.asarray(result.confusion, dtype=np.float64)
        else:
            confusion = _one_coin(result.worker_skill, n_labels)
        confusion = _normalise_rows(np.maximum(confusion, _FLOOR))
        fallback = _normalise_rows(confusion.mean(axis=0)[None])[0]
        priors = np.maximum(np.asarray(result.class_priors, dtype=np.float64), _FLOOR)
        return cls(
            labels=result.labels,
            log_priors=np.log(priors / priors.sum()),
            worker_ids=result.worker_ids,
            log_confusion=np.log(confusion),
            fallback=np.log(fallback),
        )

    def worker_log_confusion(self, worker_id: str) -> FloatArray:
        """``(n_labels, n_labels)`` log-confusion of one worker (fallback when unseen)."""
        pos = self._index.get(worker_id)
        return self.fallback if pos is None else self.log_confusion[pos]

    def tempered(self, weights: Mapping[str, float]) -> WorkerModel:
        r"""The model with some workers' labels down-weighted.

        A label of weight :math:`w` enters the posterior as :math:`P(y \mid z)^{w}`
        (a tempered likelihood): ``log_confusion`` of the worker is multiplied by ``w``.
        Workers not in ``worker_ids`` get the fallback matrix, tempered. Weight 1 changes
        nothing; weight 0 ignores the worker's labels.

        Raises:
            InvalidOptions: A weight outside [0, 1].
        """
        bad = {w: v for w, v in weights.items() if not 0.0 <= v <= 1.0}
        if bad:
            raise InvalidOptions(f"label weights must be in [0, 1], got {bad}")
        changed = {w: v for w, v in weights.items() if v != 1.0}
        if not changed:
            return self
        ids = list(self.worker_ids)
        extra = [w for w in changed if w not in self._index]
        table = np.concatenate([self.log_confusion, np.repeat(self.fallback[None], len(extra), 0)])
        ids += extra
        for pos, w in enumerate(ids):
            if w in changed:
                table[pos] = table[pos] * changed[w]
        return WorkerModel(
            labels=self.labels,
            log_priors=self.log_priors.copy(),
            worker_ids=tuple(ids),
            log_confusion=table,
            fallback=self.fallback.copy(),
        )

    def posteriors(self, m: AnnotationMatrix, gold: GoldLabels | None = None) -> FloatArray:
        """``(n_tasks, n_labels)`` posteriors of every task of ``m`` under this model.

        Raises:
            LabelNotInCodebook: ``m`` uses a different label codebook.
        """
        if m.labels != self.labels:
            raise LabelNotInCodebook(
                f"matrix labels {m.labels} differ from the model's labels {self.labels}"
            )
        table = np.stack([self.worker_log_confusion(w) for w in m.worker_ids])
        probas, _ = e_step(m, self.log_priors, table, gold)
        return probas


def item_posterior(
    model: WorkerModel, worker_ids: Sequence[str], label_idx: Sequence[int]
) -> FloatArray:
    """Posterior of one item from all its labels, in O(len(worker_ids)).

    Args:
        model: Fitted worker parameters.
        worker_ids: ``(n,)`` ids of the workers who labelled the item (unseen ids use the
            fallback worker).
        label_idx: ``(n,)`` positions of their labels in ``model.labels``.

    Returns:
        ``(n_labels,)`` class probabilities summing to 1 (the class prior for no labels).

    Raises:
        ShapeMismatch: Lengths differ.
        LabelNotInCodebook: A label position is out of range.
    """
    if len(worker_ids) != len(label_idx):
        raise ShapeMismatch("worker_ids and label_idx differ in length")
    log_joint = np.array(model.log_priors, dtype=np.float64)
    n_labels = len(model.labels)
    for worker_id, k in zip(worker_ids, label_idx, strict=True):
        if not 0 <= k < n_labels:
            raise LabelNotInCodebook(f"label position {k} is outside [0, {n_labels})")
        log_joint += model.worker_log_confusion(worker_id)[:, k]
    return _softmax(log_joint)


def update_posterior(
    model: WorkerModel, posterior: FloatArray, worker_id: str, label_idx: int
) -> FloatArray:
    """Fold one new label into an item's current posterior in O(n_labels).

    ``update_posterior(model, item_posterior(model, ws, ls), w, l)`` equals
    ``item_posterior(model, [*ws, w], [*ls, l])``.

    Args:
        model: Fitted worker parameters.
        posterior: ``(n_labels,)`` the item's posterior before the label.
        worker_id: Who gave the label.
        label_idx: Position of the label in ``model.labels``.
    """
    n_labels = len(model.labels)
    if not 0 <= label_idx < n_labels:
        raise LabelNotInCodebook(f"label position {label_idx} is outside [0, {n_labels})")
    log_joint = np.log(np.maximum(posterior, 1e-300))
    return _softmax(log_joint + model.worker_log_confusion(worker_id)[:, label_idx])


def _softmax(log_joint: FloatArray) -> FloatArray:
    shifted = np.exp(log_joint - log_joint.max())
    out: FloatArray = shifted / shifted.sum()
    return out


def _one_coin(skill: FloatArray, n_labels: int) -> FloatArray:
    off = (1.0 - skill) / max(n_labels - 1, 1)
    confusion = np.repeat(off[:, None, None], n_labels, axis=1).repeat(n_labels, axis=2)
    idx = np.arange(n_labels)
    confusion[:, idx, idx] = skill[:, None]
    return confusion


def _normalise_rows(confusion: FloatArray) -> FloatArray:
    out: FloatArray = confusion / confusion.sum(axis=-1, keepdims=True)
    return out


def starting_probas(
    m: AnnotationMatrix, gold: GoldLabels | None, warm_start: WorkerModel | None
) -> FloatArray:
    """EM starting point: the warm-start model's posteriors, else majority-vote shares."""
    if warm_start is None:
        return initial_probas(m, gold)
    return clamp_gold(warm_start.posteriors(m, gold), gold)
