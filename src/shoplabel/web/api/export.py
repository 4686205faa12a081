"""Exporting a project: JSONL and CSV stream as rows are read; Parquet via a temporary file."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator, Mapping
from enum import StrEnum
from itertools import islice
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask

from shoplabel.dataprep.writers import open_writer
from shoplabel.domain.ids import ProjectId
from shoplabel.services.exports import ExportKind, export_rows
from shoplabel.web.deps import CurrentActor, PlatformDep, UowFactoryDep

__all__ = ["ExportFormat", "router"]

router = APIRouter(tags=["export"])

_ROWS_PER_CHUNK: Final = 500


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


_MEDIA_TYPES: Final[Mapping[ExportFormat, str]] = {
    ExportFormat.JSONL: "application/x-ndjson",
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.PARQUET: "application/vnd.apache.parquet",
}


def _drain(buffer: io.BytesIO) -> bytes:
    data = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return data


def _stream(rows: Iterator[dict[str, Any]], fmt: ExportFormat) -> Iterator[bytes]:
    """Encode rows chunk by chunk; memory holds one chunk, whatever the project size."""
    buffer = io.BytesIO()
    with open_writer(buffer, fmt=fmt.value) as writer:
        while chunk := list(islice(rows, _ROWS_PER_CHUNK)):
            writer.write_many(chunk)
            yield _drain(buffer)
    yield _drain(buffer)


def _to_temp_file(rows: Iterator[dict[str, Any]], directory: Path, fmt: ExportFormat) -> Path:
    """Parquet's footer comes last: write a whole file, then send it."""
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=directory, suffix=f".{fmt.value}", delete=False) as tmp:
        path = Path(tmp.name)
    with open_writer(path, fmt=fmt.value) as writer:
        writer.write_many(rows)
    return path


@router.get(
    "/projects/{project_id}/export",
    response_class=StreamingResponse,
    responses={200: {"content": {m: {} for m in _MEDIA_TYPES.values()}}},
)
def export_project(
    project_id: ProjectId,
    actor: CurrentActor,
    platform: PlatformDep,
    uows: UowFactoryDep,
    fmt: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.JSONL,
    kind: ExportKind = ExportKind.ITEMS,
) -> Response:
    """Items with their labels and consensus, or one row per label: managers only."""
    rows = export_rows(uows, actor=actor, project_id=project_id, kind=kind)
    filename = f"project-{project_id}-{kind.value}.{fmt.value}"
    if fmt is ExportFormat.PARQUET:
        path = _to_temp_file(rows, platform.settings.data_dir / "exports", fmt)
        return FileResponse(
            path,
            media_type=_MEDIA_TYPES[fmt],
            filename=filename,
            background=BackgroundTask(path.unlink, missing_ok=True),
        )
    return StreamingResponse(
        _stream(rows, fmt),
        media_type=_MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
