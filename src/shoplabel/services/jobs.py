"""Background jobs: enqueue in the caller's transaction (outbox), run one, report progress."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from shoplabel.domain.ids import JobId, ProjectId
from shoplabel.domain.jobs import Job, JobKind
from shoplabel.domain.permissions import can_manage_project, can_manage_users, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor
from shoplabel.errors import JobNotFound, ModelUnavailable, ShoplabelError
from shoplabel.services import data_report, dedup, quality_snapshots
from shoplabel.services.ai_jobs import AI_RUNNERS
from shoplabel.services.ai_toolkit import AiToolkit
from shoplabel.services.imports import ImportOptions, import_file
from shoplabel.services.job_context import job_owner, job_progress
from shoplabel.services.privacy import PrivacyKeys
from shoplabel.services.projects import visible_project
from shoplabel.services.relabelling import RELABEL_RUNNERS
from shoplabel.services.training_jobs import TRAINING_RUNNERS

__all__ = ["check_storage", "enqueue_import", "get_job", "run_next"]

log = logging.getLogger(__name__)


def enqueue_import(
    uow: UnitOfWork, *, actor: Actor, project_id: ProjectId, upload: Path, options: ImportOptions
) -> Job:
    """Queue an import of an uploaded file; the job worker runs it with progress."""
    with uow:
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"import into project {project_id}")
        payload = {
            "path": str(upload),
            "fmt": options.fmt,
            "mapping": options.mapping,
            "strict": options.strict,
            "batch_size": options.batch_size,
            "rejects_path": None if options.rejects_path is None else str(options.rejects_path),
        }
        job = uow.jobs.add(
            kind=JobKind.IMPORT,
            payload=payload,
            project_id=project_id,
            created_by=actor.user_id,
            now=uow.now(),
        )
        uow.commit()
    return job


def get_job(uow: UnitOfWork, *, actor: Actor, job_id: JobId) -> Job:
    """A job is visible to whoever created it, the project's managers and admins."""
    with uow.reading():
        job = uow.jobs.get(job_id)
        if job.created_by == actor.user_id or can_manage_users(actor):
            return job
        if job.project_id is not None:
            project = uow.projects.get(job.project_id)
            if can_manage_project(actor, project):
                return job
    raise JobNotFound(f"job {job_id} does not exist", details={"job_id": job_id})


def _run_import(
    uows: Callable[[], UnitOfWork], job: Job, keys: PrivacyKeys | None
) -> dict[str, object]:
    p = job.payload
    actor, project_id = job_owner(uows, job)
    options = ImportOptions(
        fmt=p.get("fmt"),
        mapping=p.get("mapping"),
        strict=bool(p.get("strict")),
        batch_size=int(p["batch_size"]),
        rejects_path=Path(p["rejects_path"]) if p.get("rejects_path") else None,
    )
    report = import_file(
        uows,
        Path(p["path"]),
        actor=actor,
        project_id=project_id,
        options=options,
        progress=job_progress(uows, job),
        keys=keys,
    )
    return report.to_dict()


def _run_quality_report(
    uows: Callable[[], UnitOfWork], job: Job, _keys: PrivacyKeys | None
) -> dict[str, object]:
    actor, project_id = job_owner(uows, job)
    snapshot = quality_snapshots.refresh_snapshot(uows, actor=actor, project_id=project_id)
    return {"seconds": snapshot.seconds, "computed_at": snapshot.computed_at.isoformat()}


def _run_dedup(
    uows: Callable[[], UnitOfWork], job: Job, _keys: PrivacyKeys | None
) -> dict[str, object]:
    actor, project_id = job_owner(uows, job)
    summary = dedup.run_dedup(
        uows,
        actor=actor,
        project_id=project_id,
        options=dedup.DedupOptions.from_dict(job.payload),
        progress=job_progress(uows, job),
    )
    return summary.to_dict()


def _run_data_report(
    uows: Callable[[], UnitOfWork], job: Job, _keys: PrivacyKeys | None
) -> dict[str, object]:
    actor, project_id = job_owner(uows, job)
    report = data_report.build_report(
        uows,
        actor=actor,
        project_id=project_id,
        pii_sample=int(job.payload.get("pii_sample", data_report.PII_SAMPLE)),
        progress=job_progress(uows, job),
    )
    return {"n_items": report["n_items"], "generated_at": report["generated_at"]}


_Runner = Callable[[Callable[[], UnitOfWork], Job, PrivacyKeys | None], dict[str, object]]
_RUNNERS: dict[JobKind, _Runner] = {
    JobKind.IMPORT: _run_import,
    JobKind.QUALITY_REPORT: _run_quality_report,
    JobKind.DEDUP: _run_dedup,
    JobKind.DATA_REPORT: _run_data_report,
    **RELABEL_RUNNERS,
}


# Jobs that need the embedders and heads of the AI toolkit (pre-labelling, training).
_MODEL_RUNNERS = {**AI_RUNNERS, **TRAINING_RUNNERS}


def _run(
    uows: Callable[[], UnitOfWork], job: Job, keys: PrivacyKeys | None, ai: AiToolkit | None
) -> dict[str, object]:
    model_runner = _MODEL_RUNNERS.get(job.kind)
    if model_runner is not None:
        if ai is None:
            raise ModelUnavailable(f"this job worker has no AI models; {job.kind.value} skipped")
        return model_runner(uows, ai, job)
    return _RUNNERS[job.kind](uows, job, keys)


def run_next(
    uows: Callable[[], UnitOfWork],
    *,
    keys: PrivacyKeys | None = None,
    ai: AiToolkit | None = None,
) -> Job | None:
    """Claim the oldest pending job and run it to completion; ``None`` if the queue is empty.

    A domain error fails the job with its message (and details for an import's rejected
    rows); anything else is a bug: the job is failed with a generic message and the error
    propagates to the worker loop, which logs it. ``ai`` runs the AI jobs (embed, prelabel,
    autolabel); without it they fail with ``model_unavailable``.
    """
    with uows() as uow:
        job = uow.jobs.claim_next(now=uow.now())
        uow.commit()
    if job is None:
        return None
    try:
        result = _run(uows, job, keys, ai)
    except ShoplabelError as e:
        with uows() as uow:
            uow.jobs.fail(
                job.id,
                error=f"{e.code}: {e.message}",
                now=uow.now(),
                result=dict(e.details) or None,
            )
            uow.commit()
    except Exception:
        with uows() as uow:
            uow.jobs.fail(
                job.id, error="internal error; see the server log", now=uow.now(), result=None
            )
            uow.commit()
        raise
    else:
        with uows() as uow:
            uow.jobs.finish(job.id, result=result, now=uow.now())
            uow.commit()
    with uows().reading() as uow:
        return uow.jobs.get(job.id)


def check_storage(uow: UnitOfWork) -> None:
    """Run one tiny read transaction: raises if the database cannot be reached (health)."""
    with uow.reading():
        uow.users.list_all(offset=0, limit=1)
