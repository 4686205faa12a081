"""Uploading a file to import: saved to disk, then imported by the job worker."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, UploadFile
from pydantic import BaseModel, Field

from shoplabel.dataprep.formats import detect_format
from shoplabel.domain.ids import ProjectId
from shoplabel.errors import ShoplabelError
from shoplabel.services import jobs
from shoplabel.services.imports import ImportOptions
from shoplabel.web.deps import CurrentActor, PlatformDep, UowDep
from shoplabel.web.schemas.jobs import JobRead
from shoplabel.web.uploads import save_upload

__all__ = ["router"]

router = APIRouter(tags=["imports"])


class ImportQuery(BaseModel):
    """Query parameters of an import."""

    fmt: str | None = Field(
        default=None, description="csv, tsv, jsonl or parquet; default: suffix."
    )
    mapping: str | None = Field(
        default=None, description="Field mapping, e.g. external_id=sku,title"
    )
    strict: bool = Field(default=False, description="Store nothing if any row is bad.")


@router.post("/projects/{project_id}/imports", status_code=202)
def create_import(
    project_id: ProjectId,
    file: UploadFile,
    actor: CurrentActor,
    platform: PlatformDep,
    uow: UowDep,
    query: Annotated[ImportQuery, Query()],
) -> JobRead:
    """Queue an import of the uploaded file; poll GET /jobs/{id} for progress and result."""
    settings = platform.settings
    file_format = detect_format(file.filename or "", explicit=query.fmt)
    upload = save_upload(
        file.file,
        settings.data_dir / "uploads",
        suffix=f".{file_format.value}",
        max_mb=settings.max_upload_mb,
    )
    rejects_dir = settings.data_dir / "rejects"
    rejects_dir.mkdir(exist_ok=True)
    options = ImportOptions(
        fmt=file_format.value,
        mapping=query.mapping,
        strict=query.strict,
        batch_size=settings.import_batch_size,
        rejects_path=rejects_dir / f"import-{upload.stem}.csv",
    )
    try:
        job = jobs.enqueue_import(
            uow, actor=actor, project_id=project_id, upload=upload, options=options
        )
    except ShoplabelError:
        upload.unlink(missing_ok=True)  # refused: keep no file nobody will import
        raise
    return JobRead.from_domain(job)
