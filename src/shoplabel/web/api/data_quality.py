"""Data quality: cleaning runs (duplicates, outliers), duplicate decisions, stored reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.services import data_report, dedup, duplicates, originals
from shoplabel.web.deps import CurrentActor, UowDep
from shoplabel.web.schemas.data_quality import (
    DataReportRead,
    DecisionCreate,
    DecisionRead,
    DedupCreate,
    DuplicateGroupPage,
    DuplicateGroupRead,
    ItemOriginalRead,
)
from shoplabel.web.schemas.jobs import JobRead

__all__ = ["router"]

router = APIRouter(tags=["data-quality"])


@router.post("/projects/{project_id}/dedup", status_code=202)
def start_dedup(
    project_id: ProjectId, body: DedupCreate, actor: CurrentActor, uow: UowDep
) -> JobRead:
    """Queue a cleaning run: duplicate groups and outliers (progress on ``GET /jobs/{id}``)."""
    job = dedup.enqueue_dedup(uow, actor=actor, project_id=project_id, options=body.options())
    return JobRead.from_domain(job)


@router.get("/projects/{project_id}/duplicates")
def list_duplicates(
    project_id: ProjectId,
    actor: CurrentActor,
    uow: UowDep,
    kind: str | None = None,
    conflicting: bool = False,
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=duplicates.MAX_PAGE)] = 50,
) -> DuplicateGroupPage:
    """Duplicate groups of the last cleaning run, by id after ``after_id``."""
    groups = duplicates.list_groups(
        uow,
        actor=actor,
        project_id=project_id,
        kind=kind,
        conflicting_only=conflicting,
        after_id=after_id,
        limit=limit,
    )
    nxt = groups[-1].id if len(groups) == limit else None
    return DuplicateGroupPage(
        items=[DuplicateGroupRead.from_domain(g) for g in groups], next_after_id=nxt
    )


@router.post("/duplicate-groups/{group_id}/decision")
def decide_duplicates(
    group_id: int, body: DecisionCreate, actor: CurrentActor, uow: UowDep
) -> DecisionRead:
    """Keep one member (the others leave the queue) or all; optionally propagate the label."""
    outcome = duplicates.decide(
        uow,
        actor=actor,
        group_id=group_id,
        decision=body.decision,
        keep_item_id=None if body.keep_item_id is None else ItemId(body.keep_item_id),
        propagate=body.propagate,
    )
    return DecisionRead.from_domain(outcome)


@router.post("/projects/{project_id}/data-report", status_code=202)
def start_data_report(project_id: ProjectId, actor: CurrentActor, uow: UowDep) -> JobRead:
    """Queue the computation of the data-quality report; the GET reads the stored one."""
    return JobRead.from_domain(data_report.enqueue_report(uow, actor=actor, project_id=project_id))


@router.get("/projects/{project_id}/data-report")
def get_data_report(project_id: ProjectId, actor: CurrentActor, uow: UowDep) -> DataReportRead:
    """The last stored data-quality report (``report: null`` before the first run)."""
    stored = data_report.latest_report(uow, actor=actor, project_id=project_id)
    return DataReportRead.from_domain(project_id, stored)


@router.get("/items/{item_id}/original")
def get_item_original(item_id: ItemId, actor: CurrentActor, uow: UowDep) -> ItemOriginalRead:
    """The payload as imported next to the cleaned one (project managers only)."""
    return ItemOriginalRead.from_domain(originals.item_original(uow, actor=actor, item_id=item_id))
