"""Dashboard figures: consensus aggregates (read by the quality snapshot job, GROUP BY in
SQL), the worker home's label counts (primary-key reads of ``worker_states``), labels per
hour (``label_activity``, bumped by every submit) and the stored quality snapshots.

The consensus aggregates scan one project's consensus rows, so only background work
(:mod:`shoplabel.services.quality_snapshots`) calls them; what a page reads is bounded by the
number of workers, projects or hours, never by the number of items or labels.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from typing import cast as type_cast

from sqlalchemy import String, Table, and_, case, cast, func, select

from shoplabel.domain.ids import ProjectId, UserId
from shoplabel.storage.dialect import upsert, upsert_adding
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import (
    ConsensusRow,
    LabelActivityRow,
    QualitySnapshotRow,
    WorkerStateRow,
)

__all__ = ["SqlDashboardRepository"]

#: Consensus of batch aggregation is single-choice, so distinct values are the schema's labels.
_MAX_GROUPS = 200
_ACTIVITY = type_cast(Table, LabelActivityRow.__table__)
_SNAPSHOTS = type_cast(Table, QualitySnapshotRow.__table__)


def _label_text(raw: str) -> str:
    """A JSON-encoded scalar as the label the UI shows (``'"same"'`` -> ``same``)."""
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


class SqlDashboardRepository(Repository):
    def consensus_label_counts(self, project_id: ProjectId) -> list[tuple[str, int]]:
        """How many items have each consensus label, most frequent first."""
        # JSON has no equality operator on PostgreSQL; its text form groups the same everywhere.
        label = cast(ConsensusRow.value, String)
        n = func.count()
        rows = self._s.execute(
            select(label, n)
            .where(ConsensusRow.project_id == project_id)
            .group_by(label)
            .order_by(n.desc())
            .limit(_MAX_GROUPS)
        )
        return [(_label_text(str(value)), int(count)) for value, count in rows]

    def consensus_confidence_bins(self, project_id: ProjectId, *, n_bins: int) -> list[int]:
        """Counts of consensus confidences in ``n_bins`` equal bins of [0, 1] (last one closed)."""
        conf = ConsensusRow.confidence
        edges = [i / n_bins for i in range(n_bins + 1)]
        sums = [
            func.coalesce(
                func.sum(
                    case(
                        (
                            and_(conf >= lo, conf < hi if i < n_bins - 1 else conf <= hi),
                            1,
                        ),
                        else_=0,
                    )
                ),
                0,
            )
            for i, (lo, hi) in enumerate(itertools.pairwise(edges))
        ]
        row = self._s.execute(select(*sums).where(ConsensusRow.project_id == project_id)).one()
        return [int(v) for v in row]

    def worker_label_counts(
        self, worker_id: UserId, project_ids: Sequence[ProjectId]
    ) -> dict[ProjectId, int]:
        """How many labels ``worker_id`` gave in each of ``project_ids`` (absent means 0): the
        worker's maintained counters, one primary-key probe per project."""
        if not project_ids:
            return {}
        rows = self._s.execute(
            select(WorkerStateRow.project_id, WorkerStateRow.n_labels).where(
                WorkerStateRow.worker_id == worker_id,
                WorkerStateRow.project_id.in_(set(project_ids)),
            )
        )
        return {ProjectId(int(pid)): int(n) for pid, n in rows}

    def count_label(self, project_id: ProjectId, *, at: datetime) -> None:
        """Add one label to the project's count for the UTC hour of ``at`` (one upsert)."""
        hour = at.replace(minute=0, second=0, microsecond=0)
        stmt = upsert_adding(
            _ACTIVITY,
            self._s.get_bind().dialect.name,
            keys=("project_id", "hour"),
            add=("n_labels",),
        )
        self._s.execute(stmt, {"project_id": project_id, "hour": hour, "n_labels": 1})

    def label_activity(
        self, project_id: ProjectId, *, since: datetime
    ) -> list[tuple[datetime, int]]:
        """Labels per hour from ``since`` on, oldest first (a primary-key range read)."""
        rows = self._s.execute(
            select(LabelActivityRow.hour, LabelActivityRow.n_labels)
            .where(LabelActivityRow.project_id == project_id, LabelActivityRow.hour >= since)
            .order_by(LabelActivityRow.hour)
        )
        return [(hour, int(n)) for hour, n in rows]

    def put_snapshot(
        self, project_id: ProjectId, *, report: Mapping[str, Any], seconds: float, now: datetime
    ) -> None:
        """Store (or replace) the project's quality snapshot."""
        stmt = upsert(
            _SNAPSHOTS,
            self._s.get_bind().dialect.name,
            keys=("project_id",),
            update=("report", "seconds", "computed_at"),
        )
        values = {"project_id": project_id, "report": dict(report), "seconds": seconds}
        self._s.execute(stmt, {**values, "computed_at": now})

    def find_snapshot(
        self, project_id: ProjectId
    ) -> tuple[Mapping[str, Any], float, datetime] | None:
        """The stored snapshot (report, seconds it took, when), or ``None``."""
        row = self._s.execute(
            select(
                QualitySnapshotRow.report,
                QualitySnapshotRow.seconds,
                QualitySnapshotRow.computed_at,
            ).where(QualitySnapshotRow.project_id == project_id)
        ).first()
        return None if row is None else (row[0], float(row[1]), row[2])
