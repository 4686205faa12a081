"""Training and promotion as background jobs: queued in the requesting transaction (outbox),
run by the job worker with progress (training: epochs; promotion: items predicted)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from shoplabel.domain.ids import ProjectId
from shoplabel.domain.jobs import Job, JobKind
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor
from shoplabel.services.ai_toolkit import AiToolkit
from shoplabel.services.job_context import job_owner, job_progress
from shoplabel.services.model_registry import get_model, promote
from shoplabel.services.projects import visible_project
from shoplabel.services.training import parse_train_options, train

__all__ = ["TRAINING_RUNNERS", "enqueue_promotion", "enqueue_training"]


def _queue(
    uow: UnitOfWork, actor: Actor, project_id: ProjectId, kind: JobKind, payload: dict[str, Any]
) -> Job:
    with uow:
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"train models on project {project_id}")
        job = uow.jobs.add(
            kind=kind,
            payload=payload,
            project_id=project_id,
            created_by=actor.user_id,
            now=uow.now(),
        )
        uow.commit()
    return job


def enqueue_training(
    uow: UnitOfWork, *, actor: Actor, project_id: ProjectId, options: Mapping[str, Any] | None
) -> Job:
    """Queue a training run; the options are validated now (``invalid_input`` naming the
    field), so a queued job only fails on the data."""
    parsed = parse_train_options(options)
    return _queue(uow, actor, project_id, JobKind.TRAIN, parsed.to_dict())


def enqueue_promotion(uows: Callable[[], UnitOfWork], *, actor: Actor, model_id: int) -> Job:
    """Queue promoting a trained model to be its project's pre-labeller."""
    model = get_model(uows, actor=actor, model_id=model_id)
    return _queue(uows(), actor, model.project_id, JobKind.PROMOTE, {"model_id": model.id})


def _train(uows: Callable[[], UnitOfWork], ai: AiToolkit, job: Job) -> dict[str, Any]:
    actor, project_id = job_owner(uows, job)
    options = parse_train_options(job.payload)
    report = train(
        uows,
        ai,
        actor=actor,
        project_id=project_id,
        options=options,
        progress=job_progress(uows, job),
    )
    return report.to_dict()


def _promote(uows: Callable[[], UnitOfWork], ai: AiToolkit, job: Job) -> dict[str, Any]:
    actor, _ = job_owner(uows, job)
    model_id = int(job.payload["model_id"])
    version = promote(uows, ai, actor=actor, model_id=model_id, progress=job_progress(uows, job))
    return {"model_id": model_id, "prelabel_version": version}


Runner = Callable[[Callable[[], UnitOfWork], AiToolkit, Job], dict[str, Any]]

TRAINING_RUNNERS: Final[Mapping[JobKind, Runner]] = MappingProxyType(
    {JobKind.TRAIN: _train, JobKind.PROMOTE: _promote}
)
