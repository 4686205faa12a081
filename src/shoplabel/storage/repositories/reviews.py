"""Review decisions, the review queue and the review evidence kept per worker.

The queue walks ``ix_items_review`` (a partial index on ``(project_id, id)`` of items in
review), so a page costs the same however many items the project has. Reject drops an item's
labels and reopens it with one UPDATE per table, the counters moving in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, literal, select, update

from shoplabel.domain.annotations import AnnotationStatus
from shoplabel.domain.ids import ItemId, ProjectId, UserId
from shoplabel.domain.items import Item, ItemStatus
from shoplabel.domain.reviews import ReviewDecision, ReviewRecord
from shoplabel.storage.dialect import insert_ignoring_conflicts
from shoplabel.storage.mappers import to_item
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import (
    AnnotationRow,
    ConsensusRow,
    ItemRow,
    ReviewDecisionRow,
    WorkerReviewStatsRow,
)

__all__ = ["SqlReviewRepository"]

_ITEMS = cast(Table, ItemRow.__table__)
_STATS = cast(Table, WorkerReviewStatsRow.__table__)
_REVIEW = ItemStatus.REVIEW.value
_BUMP = (
    update(_STATS)
    .where(
        _STATS.c.project_id == bindparam("b_project"), _STATS.c.worker_id == bindparam("b_worker")
    )
    .values(
        n_reviewed=_STATS.c.n_reviewed + 1,
        n_review_agree=_STATS.c.n_review_agree + bindparam("b_agree"),
        updated_at=bindparam("b_now"),
    )
)


def _to_record(r: Any) -> ReviewRecord:
    return ReviewRecord(
        id=r.id,
        project_id=ProjectId(r.project_id),
        item_id=ItemId(r.item_id),
        reviewer_id=UserId(r.reviewer_id),
        stage=r.stage,
        decision=ReviewDecision(r.decision),
        value=r.value,
        reason=r.reason,
        created_at=r.created_at,
    )


class SqlReviewRepository(Repository):
    def queue(
        self, project_id: ProjectId, *, after_id: int, limit: int, stage: int | None
    ) -> list[tuple[Item, int]]:
        """Items in review after ``after_id`` by id, each with its current stage."""
        # The status as a literal, not a bind parameter: only then can SQLite, and PostgreSQL
        # with a generic plan, match the partial index's WHERE clause.
        stmt = select(_ITEMS).where(
            ItemRow.project_id == project_id,
            ItemRow.status == literal(_REVIEW, literal_execute=True),
            ItemRow.id > after_id,
        )
        if stage is not None:
            stmt = stmt.where(ItemRow.review_stage == stage)
        rows = self._s.execute(stmt.order_by(ItemRow.id).limit(limit))
        return [(to_item(r), int(r.review_stage)) for r in rows]

    def stage_of(self, item_id: ItemId) -> int:
        value = self._s.scalar(select(ItemRow.review_stage).where(ItemRow.id == item_id))
        return int(value or 0)

    def advance(
        self, item_id: ItemId, *, from_stage: int, to_stage: int, status: ItemStatus
    ) -> bool:
        """Move an item in review at ``from_stage`` to ``to_stage`` and ``status``; ``False``
        if it is no longer in review at that stage (a concurrent decision won: the
        conditional UPDATE re-checks under the row lock on PostgreSQL)."""
        stmt = (
            update(_ITEMS)
            .where(
                _ITEMS.c.id == item_id,
                _ITEMS.c.status == _REVIEW,
                _ITEMS.c.review_stage == from_stage,
            )
            .values(review_stage=to_stage, status=status.value)
        )
        return self._rowcount(stmt) == 1

    def add(
        self,
        project_id: ProjectId,
        item_id: ItemId,
        *,
        reviewer_id: UserId,
        stage: int,
        decision: ReviewDecision,
        value: Any,
        reason: str,
    ) -> ReviewRecord:
        row = ReviewDecisionRow(
            project_id=project_id,
            item_id=item_id,
            reviewer_id=reviewer_id,
            stage=stage,
            decision=decision.value,
            value=value,
            reason=reason,
            created_at=self._now(),
        )
        self._s.add(row)
        self._s.flush()
        return _to_record(row)

    def list_for_items(self, item_ids: Sequence[ItemId]) -> dict[ItemId, list[ReviewRecord]]:
        """Decisions on each item, oldest first."""
        out: dict[ItemId, list[ReviewRecord]] = {i: [] for i in item_ids}
        if not item_ids:
            return out
        rows = self._s.execute(
            select(ReviewDecisionRow.__table__)
            .where(ReviewDecisionRow.item_id.in_(set(item_ids)))
            .order_by(ReviewDecisionRow.id)
        )
        for r in rows:
            out[ItemId(r.item_id)].append(_to_record(r))
        return out

    def reject_labels(self, item_id: ItemId) -> int:
        """Mark the item's valid labels rejected, take them off its counters and drop its
        consensus; return how many labels were rejected."""
        rejected = self._s.scalars(
            update(AnnotationRow)
            .where(
                AnnotationRow.item_id == item_id,
                AnnotationRow.status == AnnotationStatus.VALID.value,
            )
            .values(status=AnnotationStatus.REJECTED.value)
            .returning(AnnotationRow.id)
        ).all()
        n = len(rejected)
        self._s.execute(
            update(_ITEMS)
            .where(_ITEMS.c.id == item_id)
            .values(
                n_labels=_ITEMS.c.n_labels - n,
                n_reserved=_ITEMS.c.n_reserved - n,
            )
        )
        self._s.execute(delete(ConsensusRow).where(ConsensusRow.item_id == item_id))
        return n

    def add_evidence(self, project_id: ProjectId, agreed: Mapping[UserId, bool]) -> None:
        """Count one reviewed label per worker, and whether it matched the final label."""
        if not agreed:
            return
        now = self._now()
        dialect = self._s.get_bind().dialect.name
        ids = sorted(agreed)  # id order: no lock-order deadlocks on PostgreSQL
        self._s.execute(
            insert_ignoring_conflicts(_STATS, dialect, keys=("project_id", "worker_id")),
            [
                {
                    "project_id": project_id,
                    "worker_id": w,
                    "n_reviewed": 0,
                    "n_review_agree": 0,
                    "updated_at": now,
                }
                for w in ids
            ],
        )
        self._s.execute(
            _BUMP,
            [
                {"b_project": project_id, "b_worker": w, "b_agree": int(agreed[w]), "b_now": now}
                for w in ids
            ],
        )

    def stats(
        self, project_id: ProjectId, worker_ids: Sequence[UserId] | None
    ) -> dict[UserId, tuple[int, int]]:
        """``(n_reviewed, n_review_agree)`` per worker (all of the project's when ``None``)."""
        stmt = select(
            WorkerReviewStatsRow.worker_id,
            WorkerReviewStatsRow.n_reviewed,
            WorkerReviewStatsRow.n_review_agree,
        ).where(WorkerReviewStatsRow.project_id == project_id)
        if worker_ids is not None:
            if not worker_ids:
                return {}
            stmt = stmt.where(WorkerReviewStatsRow.worker_id.in_(set(worker_ids)))
        return {UserId(w): (int(n), int(a)) for w, n, a in self._s.execute(stmt)}
