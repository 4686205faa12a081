"""Duplicate groups, item flags and stored data-quality reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, select, update

from shoplabel.domain.dataquality import (
    DuplicateDecision,
    DuplicateGroup,
    FlagCount,
    GroupCount,
    ItemFlag,
    NewDuplicateGroup,
    StoredReport,
)
from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.errors import DuplicateGroupNotFound
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import (
    DataReportRow,
    DuplicateGroupRow,
    DuplicateMemberRow,
    ItemFlagRow,
)

__all__ = ["SqlDataQualityRepository"]

_BATCH = 5000


def _group(r: Any, members: Sequence[ItemId]) -> DuplicateGroup:
    return DuplicateGroup(
        id=r.id,
        project_id=ProjectId(r.project_id),
        kind=r.kind,
        item_ids=tuple(members),
        similarity=r.similarity,
        conflicting=r.conflicting,
        decision=DuplicateDecision(r.decision),
        keep_item_id=None if r.keep_item_id is None else ItemId(r.keep_item_id),
        created_at=r.created_at,
        decided_at=r.decided_at,
    )


class SqlDataQualityRepository(Repository):
    def replace_groups(
        self, project_id: ProjectId, groups: Sequence[NewDuplicateGroup], *, kinds: Sequence[str]
    ) -> int:
        """Drop the project's groups of ``kinds`` and store ``groups``; return how many."""
        self._s.execute(
            delete(DuplicateGroupRow).where(
                DuplicateGroupRow.project_id == project_id, DuplicateGroupRow.kind.in_(kinds)
            )
        )
        now = self._now()
        stmt = insert(DuplicateGroupRow).returning(
            DuplicateGroupRow.id, sort_by_parameter_order=True
        )
        for lo in range(0, len(groups), _BATCH):
            part = groups[lo : lo + _BATCH]
            rows = [
                {
                    "project_id": project_id,
                    "kind": g.kind,
                    "n_items": len(g.item_ids),
                    "similarity": g.similarity,
                    "conflicting": g.conflicting,
                    "decision": DuplicateDecision.UNDECIDED.value,
                    "created_at": now,
                }
                for g in part
            ]
            ids = self._s.scalars(stmt, rows).all()
            members = [
                {"group_id": gid, "item_id": item_id}
                for gid, g in zip(ids, part, strict=True)
                for item_id in g.item_ids
            ]
            self._s.execute(insert(DuplicateMemberRow), members)
        return len(groups)

    def _members(self, group_ids: Sequence[int]) -> dict[int, list[ItemId]]:
        out: dict[int, list[ItemId]] = {g: [] for g in group_ids}
        if group_ids:
            rows = self._s.execute(
                select(DuplicateMemberRow.group_id, DuplicateMemberRow.item_id)
                .where(DuplicateMemberRow.group_id.in_(group_ids))
                .order_by(DuplicateMemberRow.group_id, DuplicateMemberRow.item_id)
            )
            for gid, item_id in rows:
                out[gid].append(ItemId(item_id))
        return out

    def list_groups(
        self,
        project_id: ProjectId,
        *,
        kind: str | None,
        conflicting_only: bool,
        after_id: int,
        limit: int,
    ) -> list[DuplicateGroup]:
        cond = and_(DuplicateGroupRow.project_id == project_id, DuplicateGroupRow.id > after_id)
        if kind is not None:
            cond = and_(cond, DuplicateGroupRow.kind == kind)
        if conflicting_only:
            cond = and_(cond, DuplicateGroupRow.conflicting.is_(True))
        rows = self._s.scalars(
            select(DuplicateGroupRow).where(cond).order_by(DuplicateGroupRow.id).limit(limit)
        ).all()
        members = self._members([r.id for r in rows])
        return [_group(r, members[r.id]) for r in rows]

    def get_group(self, group_id: int) -> DuplicateGroup:
        row = self._s.scalars(
            select(DuplicateGroupRow).where(DuplicateGroupRow.id == group_id)
        ).first()
        if row is None:
            raise DuplicateGroupNotFound(
                f"duplicate group {group_id} does not exist", details={"group_id": group_id}
            )
        return _group(row, self._members([group_id])[group_id])

    def decide(
        self, group_id: int, *, decision: DuplicateDecision, keep_item_id: ItemId | None
    ) -> None:
        self._s.execute(
            update(DuplicateGroupRow)
            .where(DuplicateGroupRow.id == group_id)
            .values(decision=decision.value, keep_item_id=keep_item_id, decided_at=self._now())
        )

    def group_counts(self, project_id: ProjectId) -> list[GroupCount]:
        g = DuplicateGroupRow
        rows = self._s.execute(
            select(
                g.kind,
                func.count(),
                func.sum(g.n_items),
                func.sum(case((g.conflicting.is_(True), 1), else_=0)),
                func.sum(case((g.decision == DuplicateDecision.UNDECIDED.value, 1), else_=0)),
            )
            .where(g.project_id == project_id)
            .group_by(g.kind)
            .order_by(g.kind)
        )
        return [
            GroupCount(k, int(n), int(i or 0), int(c or 0), int(u or 0)) for k, n, i, c, u in rows
        ]

    def replace_flags(
        self, project_id: ProjectId, flags: Sequence[ItemFlag], *, source: str
    ) -> None:
        self._s.execute(
            delete(ItemFlagRow).where(
                ItemFlagRow.project_id == project_id, ItemFlagRow.source == source
            )
        )
        now = self._now()
        for lo in range(0, len(flags), _BATCH):
            rows = [
                {
                    "project_id": project_id,
                    "item_id": f.item_id,
                    "source": f.source,
                    "field": f.field,
                    "code": f.code,
                    "reason": f.reason,
                    "created_at": now,
                }
                for f in flags[lo : lo + _BATCH]
            ]
            self._s.execute(insert(ItemFlagRow), rows)

    def flag_counts(self, project_id: ProjectId) -> list[FlagCount]:
        f = ItemFlagRow
        rows = self._s.execute(
            select(f.source, f.code, f.field, func.count(func.distinct(f.item_id)))
            .where(f.project_id == project_id)
            .group_by(f.source, f.code, f.field)
            .order_by(f.source, f.code, f.field)
        )
        return [FlagCount(s, c, fl, int(n)) for s, c, fl, n in rows]

    def list_flags(self, project_id: ProjectId, *, code: str | None, limit: int) -> list[ItemFlag]:
        cond = ItemFlagRow.project_id == project_id
        if code is not None:
            cond = and_(cond, ItemFlagRow.code == code)
        rows = self._s.scalars(
            select(ItemFlagRow).where(cond).order_by(ItemFlagRow.id).limit(limit)
        )
        return [ItemFlag(ItemId(r.item_id), r.source, r.field, r.code, r.reason) for r in rows]

    def add_report(
        self, project_id: ProjectId, report: Mapping[str, Any], *, now: datetime
    ) -> None:
        self._s.execute(
            insert(DataReportRow),
            [{"project_id": project_id, "report": dict(report), "created_at": now}],
        )

    def latest_report(self, project_id: ProjectId) -> StoredReport | None:
        row = self._s.scalars(
            select(DataReportRow)
            .where(DataReportRow.project_id == project_id)
            .order_by(DataReportRow.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return StoredReport(ProjectId(row.project_id), row.created_at, row.report)
