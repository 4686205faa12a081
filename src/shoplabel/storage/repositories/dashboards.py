"""Read-only aggregates for dashboards and the worker home: GROUP BY in SQL, never row loops.

Every query is restricted to one project (or one worker's projects) and runs on an indexed
column (``consensus.project_id``, ``annotations (project_id, worker_id)``), so its cost does
not grow with the number of projects, and it returns a handful of rows whatever the size of
the project.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence

from sqlalchemy import String, and_, case, cast, func, select

from shoplabel.domain.ids import ProjectId, UserId
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import AnnotationRow, ConsensusRow

__all__ = ["SqlDashboardRepository"]

#: Consensus of batch aggregation is single-choice, so distinct values are the schema's labels.
_MAX_GROUPS = 200


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
        """How many labels ``worker_id`` gave in each of ``project_ids`` (absent means 0)."""
        if not project_ids:
            return {}
        n = func.count()
        rows = self._s.execute(
            select(AnnotationRow.project_id, n)
            .where(
                AnnotationRow.project_id.in_(set(project_ids)),
                AnnotationRow.worker_id == worker_id,
            )
            .group_by(AnnotationRow.project_id)
        )
        return {ProjectId(int(pid)): int(count) for pid, count in rows}
