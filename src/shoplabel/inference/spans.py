"""Span aggregation (attribute extraction): token-level votes merged back into spans."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from shoplabel.inference.errors import EmptyAnnotations, ShapeMismatch
from shoplabel.inference.matrix import AnnotationMatrix, encode_ids, to_str_array
from shoplabel.inference.result import Aggregator
from shoplabel.inference.shrinkage import ShrinkageDawidSkene

__all__ = ["OUTSIDE", "Span", "SpanAnnotation", "SpanResult", "TokenSpanAggregator"]

OUTSIDE = "O"
#: ``(start, end, tag)``: tokens ``start <= i < end`` carry ``tag``.
Span = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class SpanAnnotation:
    """One worker's spans on one task (an empty tuple means "no attribute here")."""

    task_id: str
    worker_id: str
    spans: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class SpanResult:
    """Aggregated spans.

    Attributes:
        task_ids: Codebook of ``spans`` and ``token_labels``.
        spans: Per task, maximal runs of one tag, with the run's mean token confidence.
        token_labels: Per task, the winning tag of every token (``"O"`` outside spans).
        worker_ids: Codebook of ``worker_skill``.
        worker_skill: ``(n_workers,)`` token-level accuracy estimated by the aggregator.
    """

    task_ids: tuple[str, ...]
    spans: tuple[tuple[tuple[int, int, str, float], ...], ...]
    token_labels: tuple[tuple[str, ...], ...]
    worker_ids: tuple[str, ...]
    worker_skill: NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class TokenSpanAggregator:
    r"""Token-level aggregation of spans.

    Each (task, token) is a categorical item with labels ``{"O"} ∪ tags``; every worker who
    annotated the task votes on all of its tokens (``"O"`` where they marked nothing). The
    items go to ``aggregator`` together, so each worker's confusion between tags (and
    between a tag and "O", i.e. missed or spurious tokens) is learned across tasks. Winning
    tags are merged into maximal runs. Where one worker's spans overlap, the later span wins.

    Reference: Nguyen et al. (2017), *Aggregating and predicting sequence labels from crowd
    annotations*, ACL (token-level Dawid-Skene baseline).

    Attributes:
        aggregator: Categorical aggregator for the token items.
    """

    aggregator: Aggregator = field(default_factory=ShrinkageDawidSkene)

    def fit(
        self, annotations: Iterable[SpanAnnotation], *, lengths: Mapping[str, int] | None = None
    ) -> SpanResult:
        """Aggregate span annotations.

        Args:
            annotations: One entry per (task, worker); the last duplicate wins.
            lengths: Tokens per task; defaults to the furthest span end seen.

        Raises:
            EmptyAnnotations: No annotations.
            ShapeMismatch: A span outside ``[0, length)`` or with ``end <= start``.
        """
        rows = list({(a.task_id, a.worker_id): a for a in annotations}.values())
        if not rows:
            raise EmptyAnnotations("no span annotations to aggregate")
        known = MappingProxyType(dict(lengths or {}))
        task_ids, t = encode_ids(to_str_array([a.task_id for a in rows], field_name="task"))
        worker_ids, w = encode_ids(to_str_array([a.worker_id for a in rows], field_name="worker"))
        tags = (OUTSIDE, *sorted({s[2] for a in rows for s in a.spans} - {OUTSIDE}))
        size = _task_lengths(rows, t, len(task_ids), known)
        offset = np.concatenate([[0], np.cumsum(size)])
        item, worker, label = _token_votes(rows, t, w, offset, {g: i for i, g in enumerate(tags)})
        m = AnnotationMatrix.from_codes(
            item, worker, label, task_ids=[str(i) for i in range(int(offset[-1]))],
            worker_ids=worker_ids, labels=tags,
        )  # fmt: skip
        result = self.aggregator.fit(m)
        best, conf = result.label_idx, result.confidence
        token_labels = tuple(
            tuple(tags[k] for k in best[offset[j] : offset[j + 1]]) for j in range(len(task_ids))
        )
        spans = tuple(
            _runs(token_labels[j], conf[offset[j] : offset[j + 1]]) for j in range(len(task_ids))
        )
        return SpanResult(task_ids, spans, token_labels, worker_ids, result.worker_skill)


def _task_lengths(
    rows: Sequence[SpanAnnotation], t: NDArray[np.intp], n_tasks: int, known: Mapping[str, int]
) -> NDArray[np.intp]:
    size = np.zeros(n_tasks, dtype=np.intp)
    for j, a in zip(t, rows, strict=True):
        for start, end, _ in a.spans:
            if start < 0 or end <= start:
                raise ShapeMismatch(f"task {a.task_id!r}: bad span ({start}, {end})")
            size[j] = max(size[j], end)
    for j, a in zip(t, rows, strict=True):
        if a.task_id in known:
            if known[a.task_id] < size[j]:
                raise ShapeMismatch(f"task {a.task_id!r}: a span ends after the last token")
            size[j] = known[a.task_id]
    return np.maximum(size, 1)


def _token_votes(
    rows: Sequence[SpanAnnotation],
    t: NDArray[np.intp],
    w: NDArray[np.intp],
    offset: NDArray[np.intp],
    tag_pos: Mapping[str, int],
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
    items, workers, labels = [], [], []
    for j, wk, a in zip(t, w, rows, strict=True):
        n = int(offset[j + 1] - offset[j])
        vote = np.zeros(n, dtype=np.intp)
        for start, end, tag in a.spans:
            vote[start:end] = tag_pos[tag]
        items.append(np.arange(offset[j], offset[j + 1]))
        workers.append(np.full(n, wk))
        labels.append(vote)
    return np.concatenate(items), np.concatenate(workers), np.concatenate(labels)


def _runs(
    tokens: tuple[str, ...], conf: NDArray[np.float64]
) -> tuple[tuple[int, int, str, float], ...]:
    out: list[tuple[int, int, str, float]] = []
    start = 0
    for i in range(1, len(tokens) + 1):
        if i == len(tokens) or tokens[i] != tokens[start]:
            if tokens[start] != OUTSIDE:
                out.append((start, i, tokens[start], float(conf[start:i].mean())))
            start = i
    return tuple(out)
