"""Projects, their counters and members."""

from __future__ import annotations

from functools import cache
from typing import cast

from sqlalchemy import Table, Text, Update, bindparam, select, update
from sqlalchemy import cast as cast_
from sqlalchemy.exc import IntegrityError

from shoplabel.domain.ids import ProjectId, UserId
from shoplabel.domain.ports import NewProject
from shoplabel.domain.projects import AccessMode, Project, ProjectSettings
from shoplabel.errors import ProjectNotFound
from shoplabel.storage.mappers import to_project
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import ProjectMemberRow, ProjectRow

__all__ = ["SqlProjectRepository"]

_P = cast(Table, ProjectRow.__table__)
_M = cast(Table, ProjectMemberRow.__table__)
# The JSON configuration columns come back as text: to_project memoises their parsing.
_AS_TEXT = ("label_schema", "settings", "display_fields")
_GET = select(*(cast_(c, Text).label(c.name) if c.name in _AS_TEXT else c for c in _P.c)).where(
    _P.c.id == bindparam("b_id")
)
_IS_MEMBER = select(_M.c.user_id).where(
    _M.c.project_id == bindparam("b_project"), _M.c.user_id == bindparam("b_user")
)
_COUNTERS = frozenset({"n_items", "n_open", "n_done", "n_review", "n_annotations", "n_skips"})


@cache
def _add_counters(names: tuple[str, ...]) -> Update:
    return (
        update(_P)
        .where(_P.c.id == bindparam("b_id"))
        .values({n: _P.c[n] + bindparam(f"d_{n}") for n in names})
    )


class SqlProjectRepository(Repository):
    def add(self, new: NewProject) -> Project:
        row = ProjectRow(
            name=new.name,
            description=new.description,
            owner_id=new.owner_id,
            template=new.template,
            label_schema=new.schema.to_dict(),
            instructions=new.instructions,
            display_fields=list(new.display_fields),
            settings=new.settings.to_dict(),
            created_at=self._now(),
            n_items=0,
            n_open=0,
            n_done=0,
            n_review=0,
            n_annotations=0,
            n_skips=0,
        )
        self._s.add(row)
        self._s.flush()
        return to_project(row)

    def get(self, project_id: ProjectId) -> Project:
        row = self._s.execute(_GET, {"b_id": project_id}).first()
        if row is None:
            raise ProjectNotFound(
                f"project {project_id} does not exist", details={"project_id": project_id}
            )
        return to_project(row)

    def list_for(
        self, *, owner_id: UserId | None, open_or_member_of: UserId | None, offset: int, limit: int
    ) -> list[Project]:
        """Projects owned by ``owner_id`` or visible to worker ``open_or_member_of``; both
        ``None`` lists every project (admins)."""
        stmt = select(ProjectRow.__table__).order_by(ProjectRow.id.desc())
        if owner_id is not None:
            stmt = stmt.where(ProjectRow.owner_id == owner_id)
        if open_or_member_of is not None:
            # access is inside the settings JSON; filter members in SQL, open ones in Python
            # (project lists are small and paged, never a hot path over items).
            rows = self._s.execute(stmt).all()
            projects = [to_project(r) for r in rows]
            member_ids = set(
                self._s.scalars(
                    select(ProjectMemberRow.project_id).where(
                        ProjectMemberRow.user_id == open_or_member_of
                    )
                )
            )
            visible = [
                p for p in projects if p.settings.access is AccessMode.OPEN or p.id in member_ids
            ]
            return visible[offset : offset + limit]
        rows = self._s.execute(stmt.offset(offset).limit(limit)).all()
        return [to_project(r) for r in rows]

    def update_settings(self, project_id: ProjectId, settings: ProjectSettings) -> None:
        if not self._rowcount(
            update(ProjectRow)
            .where(ProjectRow.id == project_id)
            .values(settings=settings.to_dict())
        ):
            raise ProjectNotFound(f"project {project_id} does not exist")

    def add_counters(self, project_id: ProjectId, **deltas: int) -> None:
        """Add ``deltas`` to the named counters in one UPDATE."""
        unknown = set(deltas) - _COUNTERS
        if unknown:
            raise KeyError(f"unknown project counters {sorted(unknown)}")
        changed = {k: v for k, v in deltas.items() if v}
        if changed:
            params = {"b_id": project_id, **{f"d_{k}": v for k, v in changed.items()}}
            self._s.execute(_add_counters(tuple(sorted(changed))), params)

    def is_member(self, project_id: ProjectId, user_id: UserId) -> bool:
        params = {"b_project": project_id, "b_user": user_id}
        return self._s.execute(_IS_MEMBER, params).first() is not None

    def add_member(self, project_id: ProjectId, user_id: UserId) -> None:
        if self.is_member(project_id, user_id):
            return
        try:
            with self._s.begin_nested():
                self._s.add(
                    ProjectMemberRow(project_id=project_id, user_id=user_id, created_at=self._now())
                )
        except IntegrityError:
            raise ProjectNotFound(
                f"project {project_id} or user {user_id} does not exist"
            ) from None
