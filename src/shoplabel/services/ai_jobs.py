"""AI work as background jobs: embedding, pre-labelling and auto-labelling are queued in the
requesting transaction (outbox) and run by the job worker with progress, never inside a
request."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from shoplabel.domain.ids import ProjectId
from shoplabel.domain.jobs import Job, JobKind
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor
from shoplabel.errors import JobNotFound
from shoplabel.services.ai_toolkit import AiToolkit
from shoplabel.services.auto_review import flag_label_issues
from shoplabel.services.autolabel import apply_auto_labels
from shoplabel.services.embeddings import embed_project
from shoplabel.services.job_context import job_owner, job_progress
from shoplabel.services.prelabel import prelabel
from shoplabel.services.projects import visible_project

__all__ = ["AI_JOB_KINDS", "AI_RUNNERS", "enqueue_ai_job"]

AI_JOB_KINDS: Final = frozenset(
    {JobKind.EMBED, JobKind.PRELABEL, JobKind.AUTOLABEL, JobKind.AUTOREVIEW}
)


def enqueue_ai_job(uow: UnitOfWork, *, actor: Actor, project_id: ProjectId, kind: JobKind) -> Job:
    """Queue an embed, prelabel or autolabel run of a project (its managers only)."""
    if kind not in AI_JOB_KINDS:
        raise JobNotFound(f"{kind.value!r} is not an AI job kind")
    with uow:
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"run AI models on project {project_id}")
        job = uow.jobs.add(
            kind=kind, payload={}, project_id=project_id, created_by=actor.user_id, now=uow.now()
        )
        uow.commit()
    return job


def _embed(uows: Callable[[], UnitOfWork], ai: AiToolkit, job: Job) -> dict[str, Any]:
    actor, project_id = job_owner(uows, job)
    report = embed_project(
        uows, ai.embedder, actor=actor, project_id=project_id, progress=job_progress(uows, job)
    )
    return report.to_dict()


def _prelabel(uows: Callable[[], UnitOfWork], ai: AiToolkit, job: Job) -> dict[str, Any]:
    actor, project_id = job_owner(uows, job)
    report = prelabel(
        uows, ai, actor=actor, project_id=project_id, progress=job_progress(uows, job)
    )
    return report.to_dict()


def _autolabel(uows: Callable[[], UnitOfWork], _ai: AiToolkit, job: Job) -> dict[str, Any]:
    actor, project_id = job_owner(uows, job)
    return apply_auto_labels(uows, actor=actor, project_id=project_id).to_dict()


def _autoreview(uows: Callable[[], UnitOfWork], ai: AiToolkit, job: Job) -> dict[str, Any]:
    actor, project_id = job_owner(uows, job)
    return flag_label_issues(uows, ai, actor=actor, project_id=project_id).to_dict()


AiRunner = Callable[[Callable[[], UnitOfWork], AiToolkit, Job], dict[str, Any]]

AI_RUNNERS: Final[Mapping[JobKind, AiRunner]] = MappingProxyType(
    {
        JobKind.EMBED: _embed,
        JobKind.PRELABEL: _prelabel,
        JobKind.AUTOLABEL: _autolabel,
        JobKind.AUTOREVIEW: _autoreview,
    }
)
