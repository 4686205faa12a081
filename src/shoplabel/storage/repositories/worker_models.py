"""The latest fitted worker model per project (JSON), with a version for cheap cache checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update

from shoplabel.domain.ids import ProjectId
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import WorkerModelRow

__all__ = ["SqlWorkerModelRepository"]

_W = cast(Table, WorkerModelRow.__table__)
_VERSION = select(_W.c.version).where(_W.c.project_id == bindparam("b_project"))


class SqlWorkerModelRepository(Repository):
    """A repository lives for one unit of work, and a submit asks for the version three times
    (posterior, screening, average worker): it is read once per unit of work and forgotten
    when :meth:`put` writes a new one."""

    def version(self, project_id: ProjectId) -> int | None:
        """The stored model's version, or ``None`` before the first fit (a primary-key read)."""
        versions: dict[ProjectId, int | None] = self.__dict__.setdefault("_versions", {})
        if project_id not in versions:
            versions[project_id] = self._s.scalar(_VERSION, {"b_project": project_id})
        return versions[project_id]

    def get(self, project_id: ProjectId) -> tuple[int, str, Mapping[str, Any]] | None:
        """``(version, method, model JSON)`` or ``None``."""
        row = self._s.execute(
            select(WorkerModelRow.version, WorkerModelRow.method, WorkerModelRow.model).where(
                WorkerModelRow.project_id == project_id
            )
        ).first()
        return None if row is None else (int(row[0]), str(row[1]), row[2])

    def put(self, project_id: ProjectId, *, method: str, model: Mapping[str, Any]) -> int:
        """Store a new model for the project; return its version."""
        values = {"method": method, "model": dict(model), "updated_at": self._now()}
        bumped = self._rowcount(
            update(WorkerModelRow)
            .where(WorkerModelRow.project_id == project_id)
            .values(version=WorkerModelRow.version + 1, **values)
        )
        if not bumped:
            self._s.add(WorkerModelRow(project_id=project_id, version=1, **values))
            self._s.flush()
        self.__dict__.get("_versions", {}).pop(project_id, None)
        version = self.version(project_id)
        assert version is not None
        return version
