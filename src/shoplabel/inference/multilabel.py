"""Multi-label aggregation: one binary (present / absent) problem per label."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from shoplabel.inference.errors import EmptyAnnotations, LabelNotInCodebook
from shoplabel.inference.matrix import (
    AnnotationMatrix,
    encode_ids,
    last_of_each_pair,
    normalise_label,
    to_str_array,
)
from shoplabel.inference.result import Aggregator
from shoplabel.inference.shrinkage import ShrinkageDawidSkene

__all__ = ["MultiLabelResult", "PerLabelBinary"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class MultiLabelResult:
    """Independent presence probabilities per task and label.

    Attributes:
        task_ids: Codebook of rows.
        labels: Codebook of columns.
        probas: ``(n_tasks, n_labels)`` probability that each label applies (rows need not
            sum to 1).
        worker_ids: Codebook of ``worker_skill``.
        worker_skill: ``(n_labels, n_workers)`` estimated accuracy per label problem.
    """

    task_ids: tuple[str, ...]
    labels: tuple[str, ...]
    probas: FloatArray
    worker_ids: tuple[str, ...]
    worker_skill: FloatArray

    def predicted(self, threshold: float = 0.5) -> tuple[frozenset[str], ...]:
        """Labels whose probability reaches ``threshold``, per task."""
        return tuple(
            frozenset(self.labels[k] for k in np.flatnonzero(row >= threshold))
            for row in self.probas
        )


@dataclass(frozen=True, slots=True)
class PerLabelBinary:
    r"""Multi-label aggregation as $L$ independent binary problems.

    Every worker who answered a task is read as saying "present" for the labels they chose
    and "absent" for every other label; each label's answers are aggregated by
    ``aggregator`` (a binary Dawid-Skene, by default the shrinkage variant), so each worker
    gets a per-label sensitivity and specificity.

    Reference: Nowak & Rüger (2010), *How reliable are annotations via crowdsourcing*,
    MIR; the per-label reduction as in Zhang et al. (2020), *Multi-label truth inference*.

    Attributes:
        aggregator: Binary aggregator used for every label.
    """

    aggregator: Aggregator = field(default_factory=ShrinkageDawidSkene)

    def fit(
        self,
        rows: Iterable[tuple[object, object, Iterable[object]]],
        *,
        labels: Sequence[str] | None = None,
    ) -> MultiLabelResult:
        """Aggregate ``(task_id, worker_id, chosen labels)`` rows (last duplicate wins).

        Raises:
            EmptyAnnotations: No rows, or no labels at all.
            LabelNotInCodebook: A chosen label outside ``labels``.
        """
        triples = list(rows)
        if not triples:
            raise EmptyAnnotations("no annotations to aggregate")
        task_ids, t = encode_ids(to_str_array([r[0] for r in triples], field_name="task"))
        worker_ids, w = encode_ids(to_str_array([r[1] for r in triples], field_name="worker"))
        chosen = [frozenset(normalise_label(x) for x in r[2]) for r in triples]
        codebook = tuple(labels) if labels is not None else tuple(sorted(set().union(*chosen)))
        if not codebook:
            raise EmptyAnnotations("no label was chosen by anyone")
        unknown = set().union(*chosen) - set(codebook)
        if unknown:
            raise LabelNotInCodebook(f"labels {sorted(unknown)} are not in {codebook}")
        keep = last_of_each_pair(t, w, len(worker_ids))
        probas = np.zeros((len(task_ids), len(codebook)))
        skill = np.zeros((len(codebook), len(worker_ids)))
        for k, label in enumerate(codebook):
            present = np.array([label in chosen[i] for i in keep], dtype=np.intp)
            m = AnnotationMatrix.from_codes(
                t[keep], w[keep], present, task_ids=task_ids, worker_ids=worker_ids,
                labels=("0", "1"),
            )  # fmt: skip
            result = self.aggregator.fit(m)
            probas[:, k] = result.probas[:, 1]
            skill[k] = result.worker_skill
        return MultiLabelResult(task_ids, codebook, probas, worker_ids, skill)
