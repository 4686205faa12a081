"""Training data for the learned routing policy, built from an aggregation run.

Each row is one past label, described by the state *before* it was given (the item's
posterior and votes from the labels that came earlier, the worker's skill and label count),
and its target is whether it matched the run's consensus. The same features are computed for
candidate items at next-task time, so training and serving see the same thing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoplabel.inference import AggregationResult, AnnotationMatrix, WorkerModel, item_posterior
from shoplabel.quality import LinearRouter, learned_features, learned_targets

__all__ = ["MAX_ROWS", "Trainer", "training_rows", "worker_skills"]

#: Cap on training rows per run (a deterministic sample beyond it keeps runs bounded).
MAX_ROWS = 20_000

#: Fits a router from (features, targets); injected by the composition root (``ml``).
Trainer = Callable[[ArrayLike, ArrayLike], LinearRouter | None]


def worker_skills(model: WorkerModel, worker_id: str) -> NDArray[np.float64]:
    """``(n_labels,)`` per-class accuracy of a worker under the fitted model."""
    out: NDArray[np.float64] = np.exp(np.diag(model.worker_log_confusion(worker_id)))
    return out


def training_rows(
    m: AnnotationMatrix, result: AggregationResult, model: WorkerModel
) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
    """``(n_rows, n_features)`` features and 0/1 targets for up to :data:`MAX_ROWS` labels."""
    n_classes = m.n_labels
    rows = np.arange(m.n_annotations)
    if len(rows) > MAX_ROWS:
        rows = np.sort(np.random.default_rng(0).choice(rows, MAX_ROWS, replace=False))
    wanted = np.zeros(m.n_annotations, dtype=bool)
    wanted[rows] = True
    seen: dict[int, tuple[list[str], list[int]]] = {}
    worker_done = np.zeros(m.n_workers, dtype=np.int64)
    feats: list[NDArray[np.float64]] = []
    for i in range(m.n_annotations):
        t, w, lab = int(m.task_idx[i]), int(m.worker_idx[i]), int(m.label_idx[i])
        workers, labels = seen.setdefault(t, ([], []))
        if wanted[i]:
            wid = m.worker_ids[w]
            votes = np.bincount(np.asarray(labels, dtype=np.intp), minlength=n_classes)
            probas = item_posterior(model, workers, labels)
            skill = worker_skills(model, wid)
            feats.append(
                learned_features(
                    probas[None, :],
                    votes[None, :].astype(np.float64),
                    worker_skill=float(skill.mean()),
                    worker_n_labels=int(worker_done[w]),
                    worker_class_skill=skill,
                )[0]
            )
        workers.append(m.worker_ids[w])
        labels.append(lab)
        worker_done[w] += 1
    targets = learned_targets(m.label_idx[rows], result.label_idx[m.task_idx[rows]])
    return np.asarray(feats, dtype=np.float64).reshape(len(rows), -1), targets
