"""Liveness and database check, without authentication."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from shoplabel import __version__
from shoplabel.errors import StorageBusy
from shoplabel.services import jobs
from shoplabel.web.deps import PlatformDep, UowDep
from shoplabel.web.schemas.jobs import HealthRead

__all__ = ["router"]

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


def _dialect(url: str) -> str:
    """``postgresql+psycopg://user:pw@host/db`` -> ``postgresql``: never the URL itself."""
    return url.split(":", 1)[0].split("+", 1)[0]


@router.get("/health", responses={503: {"description": "The database is unreachable."}})
def health(platform: PlatformDep, uow: UowDep) -> HealthRead:
    """Check the database with a read transaction; report the version and the dialect."""
    try:
        jobs.check_storage(uow)
    except StorageBusy:
        raise
    except Exception as e:
        # The driver's error may name hosts and users: log it, answer a plain 503.
        log.exception("health check: database unreachable")
        raise StorageBusy("the database is unreachable") from e
    return HealthRead(
        status="ok",
        version=__version__,
        database=_dialect(platform.settings.resolved_database_url()),
    )
