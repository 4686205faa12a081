"""Streaming exports: items with every annotation and the consensus, or one row per label.

Rows are produced page by page (keyset on id, one short read transaction per page), so an
export of a 1M-item project holds one page in memory and never blocks writers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Any

from shoplabel.dataprep.pii.policy import Audience
from shoplabel.domain.annotations import Annotation
from shoplabel.domain.ids import ProjectId, UserId
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor
from shoplabel.services.privacy import with_views
from shoplabel.services.projects import visible_project

__all__ = ["ExportKind", "export_rows"]

PAGE = 1000


class ExportKind(StrEnum):
    """``items``: one row per item; ``annotations``: one row per label."""

    ITEMS = "items"
    ANNOTATIONS = "annotations"


def _label(a: Annotation, names: dict[UserId, str]) -> dict[str, Any]:
    return {
        "annotation_id": a.id,
        "worker": names.get(a.worker_id, str(a.worker_id)),
        "worker_id": a.worker_id,
        "source": a.source.value,
        "status": a.status.value,
        "value": a.value,
        "duration_ms": a.duration_ms,
        "created_at": a.created_at.isoformat(),
    }


def _item_pages(uows: Callable[[], UnitOfWork], project_id: ProjectId) -> Iterator[dict[str, Any]]:
    after = 0
    while True:
        with uows().reading() as uow:
            page = uow.items.page(project_id, after_id=after, limit=PAGE, status=None)
            # Exports are for managers (checked in export_rows): their view of masked fields.
            items = with_views(uow, page, Audience.MANAGER)
            ids = [i.id for i in items]
            labels = uow.annotations.list_for_items(ids)
            consensus = uow.consensus.get_many(ids)
            names = {
                u.id: u.username
                for u in uow.users.get_many(
                    sorted({a.worker_id for ls in labels.values() for a in ls})
                ).values()
            }
        for it in items:
            c = consensus.get(it.id)
            yield {
                "item_id": it.id,
                "external_id": it.external_id,
                "status": it.status.value,
                "n_labels": it.n_labels,
                "payload": dict(it.payload),
                "gold": it.gold,
                "consensus": None if c is None else c.value,
                "confidence": None if c is None else c.confidence,
                "consensus_method": None if c is None else c.method,
                "annotations": [_label(a, names) for a in labels[it.id]],
            }
        if len(items) < PAGE:
            return
        after = items[-1].id


def _annotation_pages(
    uows: Callable[[], UnitOfWork], project_id: ProjectId
) -> Iterator[dict[str, Any]]:
    after = 0
    while True:
        with uows().reading() as uow:
            rows = uow.annotations.page(project_id, after_id=after, limit=PAGE)
            items = {i.id: i for i in uow.items.get_many(sorted({a.item_id for a in rows}))}
            names = {
                u.id: u.username
                for u in uow.users.get_many(sorted({a.worker_id for a in rows})).values()
            }
        for a in rows:
            yield {
                "item_id": a.item_id,
                "external_id": items[a.item_id].external_id,
                **_label(a, names),
            }
        if len(rows) < PAGE:
            return
        after = rows[-1].id


def export_rows(
    uows: Callable[[], UnitOfWork],
    *,
    actor: Actor,
    project_id: ProjectId,
    kind: ExportKind = ExportKind.ITEMS,
) -> Iterator[dict[str, Any]]:
    """Check the actor may export the project, then return a lazy iterator over its rows.

    Raises:
        ProjectNotFound, PermissionDenied: checked before the first row, not on iteration.
    """
    with uows().reading() as uow:
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"export project {project_id}")
    if kind is ExportKind.ANNOTATIONS:
        return _annotation_pages(uows, project_id)
    return _item_pages(uows, project_id)
