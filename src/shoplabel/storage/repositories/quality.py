"""Read-only aggregates for the quality report: GROUP BY in SQL on one project, never row loops.

The per-worker agreement with consensus is one GROUP BY over the project's valid labels joined
to ``consensus`` on the item (primary key); the histograms group the project's items or its
consensus rows. Labels for agreement statistics are read either whole (small projects, keyset
batches on ``ix_annotations_project_id_id``) or from item-id windows, which probe the
annotations' ``(item_id, worker_id)`` key and so cost the size of the sample, not the project.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Integer, String, and_, case, cast, func, select

from shoplabel.domain.annotations import AnnotationStatus
from shoplabel.domain.ids import ItemId, ProjectId, UserId
from shoplabel.domain.items import ItemStatus
from shoplabel.domain.reviews import REVIEW_METHOD
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import AnnotationRow, ConsensusRow, ItemRow

__all__ = ["SqlQualityRepository"]

_BATCH = 10_000
_VALID = AnnotationStatus.VALID.value

#: One label as the quality report reads it: (item_id, worker_id, value, duration_ms).
LabelFact = tuple[ItemId, UserId, Any, int | None]

_COLS = (
    AnnotationRow.id,
    AnnotationRow.item_id,
    AnnotationRow.worker_id,
    AnnotationRow.value,
    AnnotationRow.duration_ms,
)


class SqlQualityRepository(Repository):
    def labels(
        self, project_id: ProjectId, *, windows: Sequence[tuple[int, int]] | None
    ) -> Iterator[LabelFact]:
        """Valid labels of the project, or of items with ids in the ``[lo, hi)`` windows."""
        if windows is None:
            yield from self._all_labels(project_id)
            return
        for lo, hi in windows:
            rows = self._s.execute(
                select(*_COLS).where(
                    AnnotationRow.item_id >= lo,
                    AnnotationRow.item_id < hi,
                    AnnotationRow.project_id == project_id,
                    AnnotationRow.status == _VALID,
                )
            )
            for r in rows:
                yield ItemId(r.item_id), UserId(r.worker_id), r.value, r.duration_ms

    def _all_labels(self, project_id: ProjectId) -> Iterator[LabelFact]:
        after = 0
        while True:
            rows = self._s.execute(
                select(*_COLS)
                .where(
                    AnnotationRow.project_id == project_id,
                    AnnotationRow.id > after,
                    AnnotationRow.status == _VALID,
                )
                .order_by(AnnotationRow.id)
                .limit(_BATCH)
            ).all()
            for r in rows:
                yield ItemId(r.item_id), UserId(r.worker_id), r.value, r.duration_ms
            if len(rows) < _BATCH:
                return
            after = rows[-1].id

    def consensus_agreement(
        self, project_id: ProjectId, worker_ids: Sequence[UserId] | None
    ) -> dict[UserId, tuple[int, int]]:
        """Per worker: ``(labels on items with a consensus, of which equal to it)``."""
        # JSON has no equality operator on PostgreSQL; both sides serialise the same way.
        same = cast(AnnotationRow.value, String) == cast(ConsensusRow.value, String)
        stmt = (
            select(
                AnnotationRow.worker_id,
                func.count(),
                func.sum(case((same, 1), else_=0)),
            )
            .join(ConsensusRow, ConsensusRow.item_id == AnnotationRow.item_id)
            .where(AnnotationRow.project_id == project_id, AnnotationRow.status == _VALID)
            .group_by(AnnotationRow.worker_id)
        )
        if worker_ids is not None:
            if not worker_ids:
                return {}
            stmt = stmt.where(AnnotationRow.worker_id.in_(set(worker_ids)))
        return {UserId(w): (int(n), int(a or 0)) for w, n, a in self._s.execute(stmt)}

    def labels_per_item(self, project_id: ProjectId) -> list[tuple[int, int]]:
        """``(n_labels, n_items)`` pairs, by ``n_labels``."""
        n = func.count()
        rows = self._s.execute(
            select(ItemRow.n_labels, n)
            .where(ItemRow.project_id == project_id)
            .group_by(ItemRow.n_labels)
            .order_by(ItemRow.n_labels)
        )
        return [(int(k), int(c)) for k, c in rows]

    def done_confidence(self, project_id: ProjectId) -> list[tuple[int, int, float]]:
        """``(n_labels, n_items, mean confidence)`` of done items whose consensus was
        estimated (review-resolved items left out), by ``n_labels``."""
        rows = self._s.execute(
            select(ConsensusRow.n_labels, func.count(), func.avg(ConsensusRow.confidence))
            .join(ItemRow, ItemRow.id == ConsensusRow.item_id)
            .where(
                and_(
                    ConsensusRow.project_id == project_id,
                    ConsensusRow.method != REVIEW_METHOD,
                    ItemRow.status == ItemStatus.DONE.value,
                )
            )
            .group_by(ConsensusRow.n_labels)
            .order_by(ConsensusRow.n_labels)
        )
        return [(int(k), int(c), float(m)) for k, c, m in rows]

    def review_resolved(self, project_id: ProjectId) -> int:
        """Items whose final label came from review."""
        value = self._s.scalar(
            select(cast(func.count(), Integer)).where(
                ConsensusRow.project_id == project_id, ConsensusRow.method == REVIEW_METHOD
            )
        )
        return int(value or 0)
