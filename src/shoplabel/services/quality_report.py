"""The quality report of a project: agreement, per-worker accuracy, speed and volume, labels per
item and the cost curve, for dashboards.

Everything is read in one short read transaction and computed outside it. The database does
the counting (GROUP BY on one project: labels per item, agreement with consensus per worker,
confidence of done items per label count); the only rows that reach Python are the labels
behind Krippendorff's alpha and the speed medians, and those are capped: a project with more
than :data:`SAMPLE_LABELS` labels is sampled deterministically by windows of item ids, and the
report says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from shoplabel.domain.ids import ProjectId, UserId
from shoplabel.domain.labels import SchemaKind
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor, User
from shoplabel.domain.workers import QualityEvent, WorkerState, WorkerStatus
from shoplabel.inference import AnnotationMatrix, krippendorff_alpha
from shoplabel.quality import BetaAccuracy
from shoplabel.services.projects import visible_project

__all__ = [
    "SAMPLE_LABELS",
    "AgreementStats",
    "CostPoint",
    "QualityReport",
    "WorkerPage",
    "WorkerQuality",
    "median_by_worker",
    "quality_report",
    "sample_windows",
    "worker_page",
]

#: Labels read for alpha and speed at most; bigger projects are sampled by item windows.
SAMPLE_LABELS = 200_000
N_WINDOWS = 20
#: Workers listed in the report (by id); page through all of them with :func:`worker_page`.
MAX_REPORT_WORKERS = 500
MAX_PAGE = 100
#: Labels per worker read for the speed median on a workers page.
PAGE_SPEED_LABELS = 200
EVENTS_PER_WORKER = 5

_Fact = tuple[Any, Any, Any, int | None]


@dataclass(frozen=True, slots=True)
class AgreementStats:
    """Krippendorff's alpha over the (possibly sampled) valid labels; ``alpha`` is ``None``
    when it is undefined (no item with two labels, no disagreement to expect) or the schema is
    not single-choice."""

    alpha: float | None
    level: str
    n_items: int
    n_labels: int
    sampled: bool


@dataclass(frozen=True, slots=True)
class WorkerQuality:
    """One worker's standing and numbers in a project.

    Gold accuracy is the Beta posterior (mean and 95% lower bound) of their gold answers;
    consensus accuracy is the share of their valid labels equal to the item's current consensus
    (their own label counts towards that consensus, so it flatters small overlaps); review
    agreement counts their labels on items a review resolved.
    """

    worker_id: UserId
    worker_name: str
    status: WorkerStatus
    n_labels: int
    n_gold: int
    gold_accuracy: float | None
    gold_lower: float | None
    n_compared: int
    consensus_accuracy: float | None
    n_reviewed: int
    n_review_agree: int
    median_duration_ms: float | None
    fast_fraction: float | None
    events: tuple[QualityEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class CostPoint:
    """Done items closed with ``n_labels`` labels, their mean consensus confidence, and the
    same figures cumulated over all buckets up to this one (labels spent vs. estimated
    accuracy)."""

    n_labels: int
    n_items: int
    mean_confidence: float
    cum_items: int
    cum_labels: int
    cum_mean_confidence: float


@dataclass(frozen=True, slots=True)
class QualityReport:
    project_id: ProjectId
    n_items: int
    n_done: int
    n_review: int
    n_annotations: int
    n_review_resolved: int
    agreement: AgreementStats
    labels_per_item: tuple[tuple[int, int], ...]
    cost_curve: tuple[CostPoint, ...]
    workers: tuple[WorkerQuality, ...]
    workers_truncated: bool


@dataclass(frozen=True, slots=True)
class WorkerPage:
    items: tuple[WorkerQuality, ...]
    next_after_id: int | None


def sample_windows(
    min_id: int, max_id: int, *, n_labels: int, cap: int, n_windows: int = N_WINDOWS
) -> list[tuple[int, int]] | None:
    """``[lo, hi)`` item-id windows, evenly spread over the project's ids, expected to hold
    about ``cap`` of its ``n_labels`` labels; ``None`` when everything fits under the cap."""
    if n_labels <= cap:
        return None
    span = max_id + 1 - min_id
    width = max(1, span * cap // n_labels // n_windows)
    starts = sorted({min_id + span * k // n_windows for k in range(n_windows)})
    return [(lo, min(lo + width, max_id + 1)) for lo in starts]


def median_by_worker(
    worker_ids: Sequence[int], durations: Sequence[int | None]
) -> dict[int, float]:
    """Median duration per worker, ignoring missing durations (vectorised: one sort)."""
    w = np.asarray(worker_ids, dtype=np.int64)
    d = np.asarray([np.nan if x is None else x for x in durations], dtype=np.float64)
    keep = ~np.isnan(d)
    w, d = w[keep], d[keep]
    if w.size == 0:
        return {}
    order = np.lexsort((d, w))
    w, d = w[order], d[order]
    uniq, start, count = np.unique(w, return_index=True, return_counts=True)
    med = (d[start + (count - 1) // 2] + d[start + count // 2]) / 2.0
    return {int(k): float(v) for k, v in zip(uniq, med, strict=True)}


def _alpha(project: Project, facts: list[_Fact], *, sampled: bool) -> AgreementStats:
    level = "ordinal" if project.schema.kind is SchemaKind.ORDINAL else "nominal"
    items = {f[0] for f in facts}
    if not project.schema.is_categorical or not facts:
        return AgreementStats(None, level, len(items), len(facts), sampled)
    m = AnnotationMatrix.from_rows(
        ((str(i), str(w), str(v)) for i, w, v, _ in facts), labels=project.schema.label_values
    )
    alpha = krippendorff_alpha(m, level=level)
    value = None if np.isnan(alpha) else round(alpha, 6)
    return AgreementStats(value, level, len(items), len(facts), sampled)


def _cost_curve(rows: list[tuple[int, int, float]]) -> tuple[CostPoint, ...]:
    out: list[CostPoint] = []
    cum_items = cum_labels = 0
    cum_conf = 0.0
    for n_labels, n_items, mean_conf in rows:
        cum_items += n_items
        cum_labels += n_labels * n_items
        cum_conf += mean_conf * n_items
        out.append(
            CostPoint(
                n_labels=n_labels,
                n_items=n_items,
                mean_confidence=round(mean_conf, 6),
                cum_items=cum_items,
                cum_labels=cum_labels,
                cum_mean_confidence=round(cum_conf / cum_items, 6),
            )
        )
    return tuple(out)


def _worker(
    s: WorkerState,
    user: User | None,
    *,
    agreement: tuple[int, int],
    review: tuple[int, int],
    median: float | None,
    events: tuple[QualityEvent, ...] = (),
) -> WorkerQuality:
    gold = BetaAccuracy.from_counts(s.gold_credit, s.n_gold - s.gold_credit) if s.n_gold else None
    n_compared, n_agree = agreement
    return WorkerQuality(
        worker_id=s.worker_id,
        worker_name=(user.display_name or user.username) if user else str(s.worker_id),
        status=s.status,
        n_labels=s.n_labels,
        n_gold=s.n_gold,
        gold_accuracy=None if gold is None else round(gold.mean, 6),
        gold_lower=None if gold is None else round(gold.lower(), 6),
        n_compared=n_compared,
        consensus_accuracy=round(n_agree / n_compared, 6) if n_compared else None,
        n_reviewed=review[0],
        n_review_agree=review[1],
        median_duration_ms=median,
        fast_fraction=round(s.n_fast / s.n_timed, 6) if s.n_timed else None,
        events=events,
    )


def _managed(uow: UnitOfWork, actor: Actor, project_id: ProjectId) -> Project:
    project = visible_project(uow, actor, project_id)
    require(can_manage_project(actor, project), f"see the quality of project {project_id}")
    return project


@dataclass(frozen=True, slots=True)
class _Read:
    project: Project
    facts: list[_Fact]
    sampled: bool
    states: list[WorkerState]
    users: Mapping[UserId, User]
    agreement: Mapping[UserId, tuple[int, int]]
    review: Mapping[UserId, tuple[int, int]]
    per_item: list[tuple[int, int]]
    confidence: list[tuple[int, int, float]]
    n_review_resolved: int


def _read(uow: UnitOfWork, actor: Actor, project_id: ProjectId) -> _Read:
    with uow.reading():
        project = _managed(uow, actor, project_id)
        windows = sample_windows(
            uow.items.min_id(project_id),
            uow.items.max_id(project_id),
            n_labels=project.counters.n_annotations,
            cap=SAMPLE_LABELS,
        )
        facts = list(uow.quality.labels(project_id, windows=windows))
        states = uow.workers.list_for_project(
            project_id, after_worker=0, limit=MAX_REPORT_WORKERS + 1
        )
        ids = [s.worker_id for s in states[:MAX_REPORT_WORKERS]]
        return _Read(
            project=project,
            facts=facts,
            sampled=windows is not None,
            states=states,
            users=uow.users.get_many(ids),
            agreement=uow.quality.consensus_agreement(project_id, ids),
            review=uow.reviews.stats(project_id, ids),
            per_item=uow.quality.labels_per_item(project_id),
            confidence=uow.quality.done_confidence(project_id),
            n_review_resolved=uow.quality.review_resolved(project_id),
        )


def quality_report(uow: UnitOfWork, *, actor: Actor, project_id: ProjectId) -> QualityReport:
    """The project's quality figures: its managers only.

    Raises:
        ProjectNotFound: no such project, or not visible to ``actor``.
        PermissionDenied: visible but not managed by ``actor``.
    """
    r = _read(uow, actor, project_id)
    medians = median_by_worker([f[1] for f in r.facts], [f[3] for f in r.facts])
    workers = tuple(
        _worker(
            s,
            r.users.get(s.worker_id),
            agreement=r.agreement.get(s.worker_id, (0, 0)),
            review=r.review.get(s.worker_id, (0, 0)),
            median=medians.get(s.worker_id),
        )
        for s in r.states[:MAX_REPORT_WORKERS]
    )
    c = r.project.counters
    return QualityReport(
        project_id=project_id,
        n_items=c.n_items,
        n_done=c.n_done,
        n_review=c.n_review,
        n_annotations=c.n_annotations,
        n_review_resolved=r.n_review_resolved,
        agreement=_alpha(r.project, r.facts, sampled=r.sampled),
        labels_per_item=tuple(r.per_item),
        cost_curve=_cost_curve(r.confidence),
        workers=workers,
        workers_truncated=len(r.states) > MAX_REPORT_WORKERS,
    )


def worker_page(
    uow: UnitOfWork, *, actor: Actor, project_id: ProjectId, after_id: int = 0, limit: int = 50
) -> WorkerPage:
    """Workers of a project by id after ``after_id``, with their numbers, status and latest
    quality events; the speed median covers each worker's first labels only (bounded).

    Raises:
        ProjectNotFound, PermissionDenied: as :func:`quality_report`.
    """
    limit = max(1, min(limit, MAX_PAGE))
    with uow.reading():
        _managed(uow, actor, project_id)
        states = uow.workers.list_for_project(project_id, after_worker=after_id, limit=limit)
        ids = [s.worker_id for s in states]
        users = uow.users.get_many(ids)
        agreement = uow.quality.consensus_agreement(project_id, ids)
        review = uow.reviews.stats(project_id, ids)
        events = {
            w: uow.workers.events(project_id, worker_id=w, limit=EVENTS_PER_WORKER) for w in ids
        }
        speed = {
            w: uow.annotations.list_for_worker(project_id, w, after_id=0, limit=PAGE_SPEED_LABELS)
            for w in ids
        }
    rows = tuple(
        _worker(
            s,
            users.get(s.worker_id),
            agreement=agreement.get(s.worker_id, (0, 0)),
            review=review.get(s.worker_id, (0, 0)),
            median=median_by_worker(
                [a.worker_id for a in speed[s.worker_id]],
                [a.duration_ms for a in speed[s.worker_id]],
            ).get(s.worker_id),
            events=tuple(events[s.worker_id]),
        )
        for s in states
    )
    return WorkerPage(items=rows, next_after_id=ids[-1] if ids and len(ids) == limit else None)
