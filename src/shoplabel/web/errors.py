"""The one place where errors become HTTP responses.

Every error response has the same envelope::

    {"error": {"code": "lease_expired", "message": "...", "details": {...}}}

Domain errors (:class:`shoplabel.errors.ShoplabelError`) map by their base class; request
validation errors become ``422 invalid_request`` naming the fields; unknown routes and methods
become ``404 not_found`` / ``405 method_not_allowed``. A bare ``ValueError`` is never mapped: it
is a bug and must surface as a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shoplabel.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ShoplabelError,
    StorageBusy,
)

__all__ = [
    "STATUS",
    "CsrfTokenInvalid",
    "UploadTooLarge",
    "error_response",
    "install_error_handlers",
    "status_for",
]

RETRY_AFTER_SECONDS: Final = 2


class UploadTooLarge(InvalidInput):
    """An upload is larger than ``SHOPLABEL_MAX_UPLOAD_MB`` (HTTP 413)."""

    code = "upload_too_large"


class CsrfTokenInvalid(PermissionDenied):
    """A cookie-authenticated request that changes state lacks the right ``X-CSRF-Token``."""

    code = "csrf_token_invalid"


#: Order does not matter: :func:`status_for` walks the exception's MRO, nearest class first.
STATUS: Final[Mapping[type[Exception], int]] = MappingProxyType(
    {
        UploadTooLarge: 413,
        NotFound: 404,
        AuthenticationFailed: 401,
        PermissionDenied: 403,
        Conflict: 409,
        InvalidInput: 422,
        StorageBusy: 503,
    }
)

_HTTP_CODES: Final[Mapping[int, str]] = MappingProxyType(
    {
        400: "bad_request",
        401: "authentication_failed",
        403: "permission_denied",
        404: "not_found",
        405: "method_not_allowed",
        413: "upload_too_large",
    }
)


def status_for(exc: ShoplabelError) -> int:
    """HTTP status of a domain error: the status of its nearest mapped base class, else 500."""
    for cls in type(exc).__mro__:
        status = STATUS.get(cls)
        if status is not None:
            return status
    return 500


def error_response(
    status: int,
    *,
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A JSON response in the error envelope."""
    body = {"error": {"code": code, "message": message, "details": dict(details or {})}}
    return JSONResponse(
        jsonable_encoder(body), status_code=status, headers=dict(headers or {}) or None
    )


def _domain(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, ShoplabelError):  # registered for ShoplabelError only
        raise exc
    status = status_for(exc)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, StorageBusy):
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return error_response(
        status, code=exc.code, message=exc.message, details=exc.details, headers=headers
    )


def _field(loc: Any) -> str:
    return ".".join(str(part) for part in loc) if isinstance(loc, list | tuple) else str(loc)


def _validation(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):
        raise exc
    errors = [
        {"field": _field(e.get("loc", ())), "message": str(e.get("msg", "")), "type": e.get("type")}
        for e in exc.errors()
    ]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return error_response(
        422,
        code="invalid_request",
        message=f"invalid request: {summary}",
        details={"fields": [e["field"] for e in errors], "errors": errors},
    )


def _http(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    return error_response(exc.status_code, code=code, message=str(exc.detail), headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Register the envelope for domain errors, validation errors and HTTP errors."""
    app.add_exception_handler(ShoplabelError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
