"""Saving uploaded files under the data directory, in chunks, with a size limit."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import BinaryIO, Final

from shoplabel.web.errors import UploadTooLarge

__all__ = ["CHUNK_BYTES", "save_upload"]

CHUNK_BYTES: Final = 1 << 20


def save_upload(source: BinaryIO, directory: Path, *, suffix: str, max_mb: int) -> Path:
    """Copy ``source`` to ``directory/<uuid><suffix>`` one chunk at a time.

    Raises:
        UploadTooLarge: more than ``max_mb`` megabytes; nothing is left on disk.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}{suffix}"
    limit = max_mb * 1024 * 1024
    size = 0
    try:
        with path.open("wb") as out:
            while chunk := source.read(CHUNK_BYTES):
                size += len(chunk)
                if size > limit:
                    raise UploadTooLarge(
                        f"the upload is larger than the limit of {max_mb} MB",
                        details={"max_upload_mb": max_mb},
                    )
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
