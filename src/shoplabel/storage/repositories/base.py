"""What every repository shares: the session, the clock, and rowcount of a DML statement."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Executable
from sqlalchemy.orm import Session

__all__ = ["Repository"]


class Repository:
    # Hot-path statements are built once at import with bind parameters (module constants
    # named _GET, _CLAIM, ...): building a SQLAlchemy statement per call cost more CPU than
    # running it.

    """Base class holding the unit of work's session and clock. Repositories never commit."""

    def __init__(self, session: Session, clock: Callable[[], datetime]) -> None:
        self._s = session
        self._now = clock

    def _rowcount(self, stmt: Executable, params: Mapping[str, Any] | None = None) -> int:
        result = cast(CursorResult[Any], self._s.execute(stmt, params))
        return int(result.rowcount)
