"""Saving uploaded files under the data directory, in chunks, with a size limit."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import BinaryIO, Final

from starlette.types import ASGIApp, Receive, Scope, Send

from shoplabel.web.errors import UploadTooLarge, error_response

__all__ = ["CHUNK_BYTES", "DeclaredSizeLimit", "save_upload"]

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


class DeclaredSizeLimit:
    """ASGI middleware refusing a request whose declared ``Content-Length`` is over the limit.

    Starlette spools a multipart upload to a temporary file before the handler runs, so
    :func:`save_upload` alone would only stop an oversized upload after it was received.
    Bodies sent without a length (chunked) are still counted by :func:`save_upload`.
    """

    def __init__(self, app: ASGIApp, *, max_mb: int) -> None:
        self._app = app
        self._max_mb = max_mb
        # One extra MiB leaves room for the multipart envelope around the file.
        self._max_bytes = (max_mb + 1) * 1024 * 1024

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = dict(scope["headers"]).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self._max_bytes:
                response = error_response(
                    413,
                    code=UploadTooLarge.code,
                    message=f"the upload is larger than the limit of {self._max_mb} MB",
                    details={"max_upload_mb": self._max_mb},
                )
                await response(scope, receive, send)
                return
        await self._app(scope, receive, send)
