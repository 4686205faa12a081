"""The requester's side of duplicate groups: list them, decide keep-one / keep-all, propagate.

* ``keep_one``: the kept item stays; the other members that are still open leave the queue
  (status ``done``, counters moved in the same transaction), so no label is spent on them.
* ``keep_all``: every member stays in the queue.
* ``propagate``: the label of the kept item (its gold, else its consensus) is written as the
  consensus of the other members (method ``duplicate-propagation``), except members that have
  gold of their own. With ``keep_all`` and no kept item, the group's label propagates when all
  known labels of its members agree; a conflicting group needs an item to be named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shoplabel.dataprep.duplicates import is_conflicting
from shoplabel.domain.dataquality import DuplicateDecision, DuplicateGroup
from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.items import Item, ItemStatus
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import ConsensusWrite, UnitOfWork
from shoplabel.domain.users import Actor
from shoplabel.errors import DuplicateGroupNotFound, InvalidDuplicateDecision, ShoplabelError
from shoplabel.services.projects import visible_project

__all__ = ["PROPAGATION_METHOD", "DecisionOutcome", "decide", "list_groups"]

PROPAGATION_METHOD = "duplicate-propagation"
MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class DecisionOutcome:
    group: DuplicateGroup
    n_closed: int
    n_propagated: int


def list_groups(
    uow: UnitOfWork,
    *,
    actor: Actor,
    project_id: ProjectId,
    kind: str | None = None,
    conflicting_only: bool = False,
    after_id: int = 0,
    limit: int = 50,
) -> list[DuplicateGroup]:
    """Duplicate groups of a project by id after ``after_id``: its managers only."""
    with uow.reading():
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"see duplicates of project {project_id}")
        return uow.data_quality.list_groups(
            project_id,
            kind=kind,
            conflicting_only=conflicting_only,
            after_id=after_id,
            limit=min(max(limit, 1), MAX_PAGE),
        )


def _group(uow: UnitOfWork, actor: Actor, group_id: int) -> DuplicateGroup:
    group = uow.data_quality.get_group(group_id)
    try:
        project = visible_project(uow, actor, group.project_id)
    except ShoplabelError:
        raise DuplicateGroupNotFound(
            f"duplicate group {group_id} does not exist", details={"group_id": group_id}
        ) from None
    require(can_manage_project(actor, project), f"decide on duplicates of {project.id}")
    return group


def _close_others(uow: UnitOfWork, group: DuplicateGroup, items: list[Item], keep: ItemId) -> int:
    closing = [it.id for it in items if it.id != keep and it.status is ItemStatus.OPEN]
    for item_id in closing:
        uow.items.set_status(item_id, ItemStatus.DONE)
    uow.projects.add_counters(group.project_id, n_open=-len(closing), n_done=len(closing))
    return len(closing)


def _source_label(
    uow: UnitOfWork, group: DuplicateGroup, items: list[Item], keep: ItemId | None
) -> tuple[Any, float] | None:
    consensus = uow.consensus.get_many(list(group.item_ids))

    def label(it: Item) -> tuple[Any, float] | None:
        if it.gold is not None:
            return it.gold, 1.0
        c = consensus.get(it.id)
        return None if c is None else (c.value, c.confidence)

    if keep is not None:
        return label(next(it for it in items if it.id == keep))
    known = [lab for it in items if (lab := label(it)) is not None]
    if is_conflicting([v for v, _ in known]):
        raise InvalidDuplicateDecision(
            "the group's members carry different labels: name the item whose label propagates",
            details={"group_id": group.id},
        )
    return None if not known else (known[0][0], min(c for _, c in known))


def _propagate(
    uow: UnitOfWork, group: DuplicateGroup, items: list[Item], keep: ItemId | None
) -> int:
    source = _source_label(uow, group, items, keep)
    if source is None:
        return 0
    value, confidence = source
    writes = [
        ConsensusWrite(it.id, value, confidence, None, PROPAGATION_METHOD, it.n_labels)
        for it in items
        if it.id != keep and it.gold is None
    ]
    uow.consensus.upsert_many(group.project_id, writes, now=uow.now())
    return len(writes)


def decide(
    uow: UnitOfWork,
    *,
    actor: Actor,
    group_id: int,
    decision: DuplicateDecision,
    keep_item_id: ItemId | None = None,
    propagate: bool = False,
) -> DecisionOutcome:
    """Record the requester's choice for a group and apply it in one transaction.

    Raises:
        DuplicateGroupNotFound: no such group, or not visible to the actor.
        PermissionDenied: not a manager of the project.
        InvalidDuplicateDecision: ``keep_one`` without a member to keep, a kept item outside
            the group, or a label to propagate from a conflicting group without a kept item.
    """
    if decision is DuplicateDecision.KEEP_ONE and keep_item_id is None:
        raise InvalidDuplicateDecision(
            "keep_one needs keep_item_id", details={"group_id": group_id}
        )
    with uow:
        group = _group(uow, actor, group_id)
        if keep_item_id is not None and keep_item_id not in group.item_ids:
            raise InvalidDuplicateDecision(
                f"item {keep_item_id} is not a member of group {group_id}",
                details={"group_id": group_id, "item_id": keep_item_id},
            )
        items = uow.items.get_many(list(group.item_ids))
        closed = 0
        if decision is DuplicateDecision.KEEP_ONE and keep_item_id is not None:
            closed = _close_others(uow, group, items, keep_item_id)
        propagated = _propagate(uow, group, items, keep_item_id) if propagate else 0
        uow.data_quality.decide(group_id, decision=decision, keep_item_id=keep_item_id)
        uow.commit()
    with uow.reading():
        return DecisionOutcome(uow.data_quality.get_group(group_id), closed, propagated)
