"""Annotations and consensus results."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from shoplabel.domain.annotations import Annotation, AnnotationStatus, NewAnnotation
from shoplabel.domain.ids import ItemId, ProjectId, UserId
from shoplabel.domain.ports import ConsensusWrite, LabelRow
from shoplabel.errors import AnnotationExists
from shoplabel.storage.dialect import upsert
from shoplabel.storage.mappers import to_annotation
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import AnnotationRow, ConsensusRow

__all__ = ["SqlAnnotationRepository", "SqlConsensusRepository"]

_T = cast(Table, AnnotationRow.__table__)
_STREAM_BATCH = 10_000
_INSERT = insert(_T).returning(*_T.c)
_FOR_ITEM = select(_T).where(_T.c.item_id == bindparam("b_item")).order_by(_T.c.id)


class SqlAnnotationRepository(Repository):
    def add(self, new: NewAnnotation, *, now: datetime) -> Annotation:
        # No savepoint: a duplicate (item, worker) aborts the whole unit of work anyway.
        values = {
            "item_id": new.item_id,
            "project_id": new.project_id,
            "worker_id": new.worker_id,
            "lease_id": new.lease_id,
            "value": new.value,
            "source": new.source.value,
            "status": AnnotationStatus.VALID.value,
            "duration_ms": new.duration_ms,
            "created_at": now,
        }
        try:
            row = self._s.execute(_INSERT, values).one()
        except IntegrityError:
            raise AnnotationExists(
                f"worker {new.worker_id} already labelled item {new.item_id}",
                details={"item_id": new.item_id},
            ) from None
        return to_annotation(row)

    def list_for_item(self, item_id: ItemId) -> list[Annotation]:
        rows = self._s.execute(_FOR_ITEM, {"b_item": item_id})
        return [to_annotation(r) for r in rows]

    def list_for_items(self, item_ids: Sequence[ItemId]) -> dict[ItemId, list[Annotation]]:
        out: dict[ItemId, list[Annotation]] = {i: [] for i in item_ids}
        if not item_ids:
            return out
        rows = self._s.execute(
            select(_T).where(AnnotationRow.item_id.in_(set(item_ids))).order_by(AnnotationRow.id)
        )
        for r in rows:
            out[ItemId(r.item_id)].append(to_annotation(r))
        return out

    def list_for_worker(
        self, project_id: ProjectId, worker_id: UserId, *, after_id: int, limit: int
    ) -> list[Annotation]:
        rows = self._s.execute(
            select(_T)
            .where(
                AnnotationRow.project_id == project_id,
                AnnotationRow.worker_id == worker_id,
                AnnotationRow.id > after_id,
            )
            .order_by(AnnotationRow.id)
            .limit(limit)
        )
        return [to_annotation(r) for r in rows]

    def page(self, project_id: ProjectId, *, after_id: int, limit: int) -> list[Annotation]:
        rows = self._s.execute(
            select(_T)
            .where(AnnotationRow.project_id == project_id, AnnotationRow.id > after_id)
            .order_by(AnnotationRow.id)
            .limit(limit)
        )
        return [to_annotation(r) for r in rows]

    def reject_worker(self, project_id: ProjectId, worker_id: UserId) -> list[ItemId]:
        """Mark every valid label of a worker in a project rejected; return their items."""
        stmt = (
            update(AnnotationRow)
            .where(
                AnnotationRow.project_id == project_id,
                AnnotationRow.worker_id == worker_id,
                AnnotationRow.status == AnnotationStatus.VALID.value,
            )
            .values(status=AnnotationStatus.REJECTED.value)
            .returning(AnnotationRow.item_id)
        )
        return [ItemId(i) for i in self._s.scalars(stmt)]

    def label_rows(self, project_id: ProjectId) -> Iterator[LabelRow]:
        """Valid labels of a project in id order, fetched in keyset batches."""
        cols = (
            AnnotationRow.id,
            AnnotationRow.item_id,
            AnnotationRow.worker_id,
            AnnotationRow.value,
        )
        after = 0
        while True:
            rows = self._s.execute(
                select(*cols)
                .where(
                    AnnotationRow.project_id == project_id,
                    AnnotationRow.id > after,
                    AnnotationRow.status == AnnotationStatus.VALID.value,
                )
                .order_by(AnnotationRow.id)
                .limit(_STREAM_BATCH)
            ).all()
            for r in rows:
                yield LabelRow(
                    item_id=ItemId(r.item_id), worker_id=UserId(r.worker_id), value=r.value
                )
            if len(rows) < _STREAM_BATCH:
                return
            after = rows[-1].id


class SqlConsensusRepository(Repository):
    def upsert_many(
        self, project_id: ProjectId, rows: Sequence[ConsensusWrite], *, now: datetime
    ) -> None:
        if not rows:
            return
        dialect = self._s.get_bind().dialect.name
        stmt = upsert(
            cast(Table, ConsensusRow.__table__),
            dialect,
            keys=("item_id",),
            update=("value", "confidence", "probas", "method", "n_labels", "updated_at"),
        )
        self._s.execute(
            stmt,
            [
                {
                    "item_id": r.item_id,
                    "project_id": project_id,
                    "value": r.value,
                    "confidence": r.confidence,
                    "probas": dict(r.probas) if r.probas else None,
                    "method": r.method,
                    "n_labels": r.n_labels,
                    "updated_at": now,
                }
                for r in rows
            ],
        )

    def reviewed_item_ids(self, project_id: ProjectId) -> set[ItemId]:
        """Items whose consensus a reviewer decided (aggregation runs leave them alone)."""
        stmt = select(ConsensusRow.item_id).where(
            ConsensusRow.project_id == project_id, ConsensusRow.method == "review"
        )
        return {ItemId(i) for i in self._s.scalars(stmt)}

    def get_many(self, item_ids: Sequence[ItemId]) -> dict[ItemId, ConsensusWrite]:
        if not item_ids:
            return {}
        rows = self._s.execute(
            select(ConsensusRow.__table__).where(ConsensusRow.item_id.in_(set(item_ids)))
        )
        return {
            ItemId(r.item_id): ConsensusWrite(
                item_id=ItemId(r.item_id),
                value=r.value,
                confidence=r.confidence,
                probas=r.probas,
                method=r.method,
                n_labels=r.n_labels,
            )
            for r in rows
        }
