"""Periodic relabelling: a seeded share of a project's completed items goes back to review,
so old labels are checked again as guidelines and products change.

By hand, :func:`relabel_sample` (``shoplabel relabel-sample``); as a **project setting**,
``relabel_sample_rate`` and ``relabel_every_days``: the job worker calls
:func:`schedule_due` every ``schedule_seconds`` and queues a ``relabel`` job (owned by the
project's owner) for each project whose last one is at least ``relabel_every_days`` old.
Each period draws with its own seed (the period's number), so successive samples differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final

from shoplabel.domain.ai import ReviewFlag
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.items import ItemStatus
from shoplabel.domain.jobs import Job, JobKind
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor
from shoplabel.errors import InvalidInput
from shoplabel.services.job_context import job_owner
from shoplabel.services.privacy import PrivacyKeys
from shoplabel.services.projects import visible_project
from shoplabel.services.training_data import item_draw

__all__ = ["REASON", "RELABEL_RUNNERS", "relabel_sample", "schedule_due"]

#: The review flag's reason on every sampled item.
REASON = "periodic relabelling sample"
_PAGE = 1000
_PROJECTS_PAGE = 500


def relabel_sample(
    uows: Callable[[], UnitOfWork],
    *,
    actor: Actor,
    project_id: ProjectId,
    share: float,
    seed: int,
    limit: int = 10_000,
) -> int:
    """Send a seeded share of the completed items (at most ``limit``) to the review queue,
    each flagged :data:`REASON`; returns how many.

    Raises:
        InvalidInput: ``share`` outside (0, 1].
    """
    if not 0.0 < share <= 1.0:
        raise InvalidInput(f"share must be in (0, 1], got {share}", details={"field": "share"})
    with uows().reading() as uow:
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"relabel items of project {project_id}")
    sent, after = 0, 0
    while sent < limit:
        with uows() as uow:
            page = uow.items.page(project_id, after_id=after, limit=_PAGE, status=ItemStatus.DONE)
            if not page:
                break
            after = page[-1].id
            picked = [it for it in page if item_draw(seed, it.id) < share][: limit - sent]
            consensus = uow.consensus.get_many([it.id for it in picked])
            for it in picked:
                uow.items.set_status(it.id, ItemStatus.REVIEW)
            flags = [
                ReviewFlag(
                    item_id=it.id,
                    value="" if consensus.get(it.id) is None else str(consensus[it.id].value),
                    suggested="",
                    quality=1.0,
                    reason=REASON,
                )
                for it in picked
            ]
            uow.ai.add_review_flags(project_id, flags)
            if picked:
                uow.projects.add_counters(project_id, n_done=-len(picked), n_review=len(picked))
            uow.commit()
        sent += len(picked)
    return sent


def _period(project: Project, now: datetime) -> int:
    return int(now.timestamp() // (project.settings.relabel_every_days * 86_400))


def _due(uow: UnitOfWork, project: Project, now: datetime) -> bool:
    if project.settings.relabel_sample_rate <= 0:
        return False
    last = uow.jobs.find_latest(kind=JobKind.RELABEL, project_id=project.id)
    every = timedelta(days=project.settings.relabel_every_days)
    return last is None or last.created_at <= now - every


def schedule_due(uows: Callable[[], UnitOfWork], *, now: datetime) -> list[Job]:
    """Queue a ``relabel`` job for every project that is due (see the module docstring)."""
    queued: list[Job] = []
    offset = 0
    while True:
        with uows().reading() as uow:
            page = uow.projects.list_for(
                owner_id=None, open_or_member_of=None, offset=offset, limit=_PROJECTS_PAGE
            )
        offset += len(page)
        for project in page:
            with uows() as uow:
                if not _due(uow, project, now):
                    continue
                payload = {
                    "share": project.settings.relabel_sample_rate,
                    "seed": _period(project, now),
                    "scheduled": True,
                }
                job = uow.jobs.add(
                    kind=JobKind.RELABEL,
                    payload=payload,
                    project_id=project.id,
                    created_by=project.owner_id,
                    now=now,
                )
                uow.commit()
            queued.append(job)
        if len(page) < _PROJECTS_PAGE:
            return queued


def _run_relabel(
    uows: Callable[[], UnitOfWork], job: Job, _keys: PrivacyKeys | None
) -> dict[str, object]:
    actor, project_id = job_owner(uows, job)
    share, seed = float(job.payload["share"]), int(job.payload["seed"])
    n = relabel_sample(uows, actor=actor, project_id=project_id, share=share, seed=seed)
    return {"n_sent": n, "share": share, "seed": seed}


_Runner = Callable[[Callable[[], UnitOfWork], Job, PrivacyKeys | None], dict[str, object]]

RELABEL_RUNNERS: Final[Mapping[JobKind, _Runner]] = MappingProxyType(
    {JobKind.RELABEL: _run_relabel}
)
