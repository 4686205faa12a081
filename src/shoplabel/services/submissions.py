"""Submitting labels: lease check, schema validation, counters and completion in one commit."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from shoplabel.domain.annotations import Annotation, LeaseState, NewAnnotation
from shoplabel.domain.audit import AuditKind
from shoplabel.domain.ids import ItemId, LeaseId, ProjectId, UserId
from shoplabel.domain.items import Item, ItemStatus, status_after_label
from shoplabel.domain.labels import validate_value
from shoplabel.domain.permissions import can_manage_project
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor
from shoplabel.errors import InvalidInput, LeaseSettled
from shoplabel.services import audit, worker_quality
from shoplabel.services.access import require_labeller
from shoplabel.services.assignment import check_lease
from shoplabel.services.posteriors import online_confidence
from shoplabel.services.projects import visible_project

__all__ = ["ConfidenceHook", "list_annotations", "submit"]

_MAX_DURATION_MS = 24 * 3600 * 1000

#: Called inside the submit transaction with the item and returns its max posterior
#: probability, or ``None`` when no model is fitted yet (truth inference plugs in here).
ConfidenceHook = Callable[[UnitOfWork, Project, Item], float | None]


_STATUS_COUNTER = {
    ItemStatus.OPEN: "n_open",
    ItemStatus.DONE: "n_done",
    ItemStatus.REVIEW: "n_review",
}


def _complete(
    uow: UnitOfWork, project: Project, item: Item, *, new_slot: bool, confidence: ConfidenceHook
) -> dict[str, int]:
    """Count the label on the item, move its status by the overlap rule; return counter
    deltas for the project."""
    n_labels, before = uow.items.add_label(item.id, new_slot=new_slot)
    deltas = {"n_annotations": 1}
    if before is not ItemStatus.OPEN or worker_quality.is_control(project, item):
        # Gold honeypots stay open for every worker and never get a consensus.
        return deltas
    conf = confidence(uow, project, item)
    after = status_after_label(project.settings, n_labels=n_labels, confidence=conf)
    if after is not before:
        uow.items.set_status(item.id, after)
        deltas[_STATUS_COUNTER[before]] = -1
        deltas[_STATUS_COUNTER[after]] = 1
    return deltas


def _audit(
    uow: UnitOfWork, project: Project, item: Item, annotation: Annotation, *, accepted: bool
) -> None:
    """One audit record per label (the only ledger/audit work on the submit path): it also
    tells the pay accrual that the label's item reached consensus (``accepted``) or that a
    control answer was scored (``gold_credit``)."""
    value = json.dumps(annotation.value, sort_keys=True, ensure_ascii=False)
    fields: dict[str, Any] = {
        "annotation_id": annotation.id,
        "item_id": item.id,
        "project_id": project.id,
        "worker_id": annotation.worker_id,
        "value_sha256": hashlib.sha256(value.encode()).hexdigest(),
    }
    credit = worker_quality.gold_score(project, item, annotation.value)
    if credit is not None:
        fields["gold_credit"] = credit
    if accepted:
        fields["accepted"] = True
    audit.record(uow, AuditKind.LABEL_SUBMITTED, fields, with_commit=True)


def _check_duration(duration_ms: int | None) -> None:
    if duration_ms is not None and not 0 <= duration_ms <= _MAX_DURATION_MS:
        raise InvalidInput(
            f"duration_ms must be between 0 and {_MAX_DURATION_MS}",
            details={"field": "duration_ms"},
        )


def submit(
    uow: UnitOfWork,
    *,
    actor: Actor,
    lease_id: LeaseId,
    value: Any,
    duration_ms: int | None = None,
    confidence: ConfidenceHook = online_confidence,
) -> Annotation:
    """Store ``actor``'s answer for the task ``lease_id``.

    Raises:
        LeaseNotFound, LeaseNotHeld, LeaseExpired, LeaseSettled: the lease cannot be used.
        InvalidValue: the value does not fit the project's label schema.
    """
    _check_duration(duration_ms)
    with uow:
        now = uow.now()
        # Settle first (one conditional UPDATE ... RETURNING); when it cannot, read the lease
        # to say why. Anything below that fails rolls the settlement back with the rest.
        lease = uow.leases.settle(
            lease_id, worker_id=actor.user_id, state=LeaseState.SUBMITTED, now=now
        )
        if lease is None:
            check_lease(uow.leases.get(lease_id), actor, now)
            raise LeaseSettled(
                f"lease {lease_id} was settled concurrently", details={"lease_id": lease_id}
            )
        project = uow.projects.get(lease.project_id)
        require_labeller(uow, actor, project)
        item = uow.items.get(lease.item_id)
        validate_value(project.schema, value, payload=item.payload)
        annotation = uow.annotations.add(
            NewAnnotation(
                item_id=item.id,
                project_id=project.id,
                worker_id=actor.user_id,
                value=value,
                duration_ms=duration_ms,
                lease_id=lease_id,
            ),
            now=now,
        )
        deltas = _complete(uow, project, item, new_slot=False, confidence=confidence)
        uow.projects.add_counters(project.id, **deltas)
        uow.dashboards.count_label(project.id, at=now)
        settled = deltas.get("n_open") == -1  # the label closed the item: check its labels
        worker_quality.record_label(uow, project, item, annotation, settled=settled)
        _audit(uow, project, item, annotation, accepted=deltas.get("n_done", 0) > 0)
        uow.commit()
    return annotation


def list_annotations(
    uow: UnitOfWork,
    *,
    actor: Actor,
    project_id: ProjectId,
    item_id: ItemId | None = None,
    worker_id: UserId | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> list[Annotation]:
    """Annotations of a project. Workers only ever see their own."""
    with uow.reading():
        project = visible_project(uow, actor, project_id)
        if not can_manage_project(actor, project):
            worker_id = actor.user_id
        if item_id is not None:
            item = uow.items.get(item_id)
            if item.project_id != project_id:
                return []
            rows = uow.annotations.list_for_item(item_id)
            return [a for a in rows if worker_id is None or a.worker_id == worker_id]
        if worker_id is not None:
            return uow.annotations.list_for_worker(
                project_id, worker_id, after_id=after_id, limit=limit
            )
        return uow.annotations.page(project_id, after_id=after_id, limit=limit)
