"""Where the JSON API lives, and the few URLs responses point to."""

from __future__ import annotations

from typing import Final

__all__ = ["API_PREFIX", "DOCS_URL", "OPENAPI_URL", "job_rejects_url"]

API_PREFIX: Final = "/api/v1"
OPENAPI_URL: Final = f"{API_PREFIX}/openapi.json"
DOCS_URL: Final = "/api/docs"


def job_rejects_url(job_id: int) -> str:
    return f"{API_PREFIX}/jobs/{job_id}/rejects"
