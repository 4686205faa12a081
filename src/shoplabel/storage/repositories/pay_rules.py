"""Pay rules per project, one row per version; leaderboard opt-ins."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.exc import IntegrityError

from shoplabel.domain.ids import ProjectId, UserId
from shoplabel.domain.pay_rules import PayRule, PayRuleVersion
from shoplabel.errors import Conflict
from shoplabel.storage.dialect import upsert
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import LeaderboardOptInRow, PayRuleRow

__all__ = ["SqlLeaderboardRepository", "SqlPayRuleRepository"]

_R = cast(Table, PayRuleRow.__table__)
_O = cast(Table, LeaderboardOptInRow.__table__)


def _to_version(r: Any) -> PayRuleVersion:
    return PayRuleVersion(
        project_id=ProjectId(r.project_id),
        version=r.version,
        rule=PayRule.from_dict(r.rule),
        created_at=r.created_at,
        created_by=None if r.created_by is None else UserId(r.created_by),
    )


class SqlPayRuleRepository(Repository):
    def add(
        self, project_id: ProjectId, rule: Mapping[str, Any], *, created_by: UserId | None
    ) -> PayRuleVersion:
        latest = self._s.execute(
            select(func.coalesce(func.max(_R.c.version), 0)).where(_R.c.project_id == project_id)
        ).scalar_one()
        values = {
            "project_id": project_id,
            "version": int(latest) + 1,
            "rule": dict(rule),
            "created_by": created_by,
            "created_at": self._now(),
        }
        try:
            row = self._s.execute(_R.insert().returning(*_R.c), values).one()
        except IntegrityError:
            raise Conflict(
                f"the pay rule of project {project_id} was changed concurrently; retry",
                details={"project_id": project_id},
            ) from None
        return _to_version(row)

    def list_for(self, project_id: ProjectId) -> list[PayRuleVersion]:
        rows = self._s.execute(
            select(_R).where(_R.c.project_id == project_id).order_by(_R.c.version)
        )
        return [_to_version(r) for r in rows]

    def projects_with_rules(self) -> list[ProjectId]:
        rows = self._s.execute(select(_R.c.project_id).distinct().order_by(_R.c.project_id))
        return [ProjectId(r.project_id) for r in rows]


class SqlLeaderboardRepository(Repository):
    def set_opt_in(
        self, project_id: ProjectId, worker_id: UserId, *, display_name: str | None
    ) -> None:
        """Opt in under ``display_name``, or out when it is ``None``."""
        if display_name is None:
            self._s.execute(
                delete(_O).where(_O.c.project_id == project_id, _O.c.worker_id == worker_id)
            )
            return
        stmt = upsert(
            _O,
            self._s.get_bind().dialect.name,
            keys=("project_id", "worker_id"),
            update=("display_name",),
        )
        self._s.execute(
            stmt,
            [
                {
                    "project_id": project_id,
                    "worker_id": worker_id,
                    "display_name": display_name,
                    "created_at": self._now(),
                }
            ],
        )

    def opted_in(self, project_id: ProjectId) -> dict[UserId, str]:
        rows = self._s.execute(
            select(_O.c.worker_id, _O.c.display_name).where(_O.c.project_id == project_id)
        )
        return {UserId(r.worker_id): str(r.display_name) for r in rows}
