"""Background jobs: progress and result, and an import's rejected rows."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from shoplabel.domain.ids import JobId
from shoplabel.domain.jobs import Job
from shoplabel.errors import NotFound
from shoplabel.services import jobs
from shoplabel.web.deps import CurrentActor, PlatformDep, UowDep
from shoplabel.web.schemas.jobs import JobRead

__all__ = ["router"]

router = APIRouter(tags=["jobs"])


@router.get("/jobs/{job_id}")
def get_job(job_id: JobId, actor: CurrentActor, uow: UowDep) -> JobRead:
    return JobRead.from_domain(jobs.get_job(uow, actor=actor, job_id=job_id))


def _rejects_file(job: Job, rejects_dir: Path) -> Path:
    """The job's rejects file, only if it lies in the rejects directory and exists."""
    raw = (job.result or {}).get("rejects_path")
    path = Path(raw).resolve() if isinstance(raw, str) and raw else None
    if path is None or path.parent != rejects_dir.resolve() or not path.is_file():
        raise NotFound(f"job {job.id} has no rejected rows", details={"job_id": job.id})
    return path


@router.get(
    "/jobs/{job_id}/rejects",
    response_class=FileResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "row,field,code,reason"}},
)
def get_job_rejects(
    job_id: JobId, actor: CurrentActor, platform: PlatformDep, uow: UowDep
) -> FileResponse:
    """Download the CSV of rows an import rejected (columns row, field, code, reason)."""
    job = jobs.get_job(uow, actor=actor, job_id=job_id)
    path = _rejects_file(job, platform.settings.data_dir / "rejects")
    return FileResponse(path, media_type="text/csv", filename=f"job-{job_id}-rejects.csv")
