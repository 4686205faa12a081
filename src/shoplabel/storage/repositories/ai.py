"""AI in the loop: embedding cache, model versions, predictions and auto-labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, delete, func, select, update

from shoplabel.domain.ai import (
    AutoLabel,
    AutoLabelState,
    ModelKind,
    ModelVersion,
    Prediction,
    ReviewFlag,
)
from shoplabel.domain.ids import ItemId, ProjectId, UserId
from shoplabel.storage.dialect import insert_ignoring_conflicts, upsert
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import (
    AnnotationRow,
    AutoLabelRow,
    ConsensusRow,
    EmbeddingRow,
    ModelVersionRow,
    PredictionRow,
    ReviewFlagRow,
)

__all__ = ["SqlAiRepository"]

_EMB = cast(Table, EmbeddingRow.__table__)
_PRED = cast(Table, PredictionRow.__table__)
_AUTO = cast(Table, AutoLabelRow.__table__)
_FLAG = cast(Table, ReviewFlagRow.__table__)
#: Bound parameters per IN (...) list, under SQLite's and psycopg's limits.
_IN_CHUNK = 900


def _version(r: Any) -> ModelVersion:
    return ModelVersion(
        id=int(r.id),
        project_id=ProjectId(r.project_id),
        version=int(r.version),
        kind=ModelKind(r.kind),
        embedder=r.embedder,
        params=r.params,
        metrics=r.metrics,
        threshold=r.threshold,
        worker_id=None if r.worker_id is None else UserId(r.worker_id),
        created_at=r.created_at,
    )


def _prediction(r: Any) -> Prediction:
    return Prediction(
        item_id=ItemId(r.item_id),
        model_version=int(r.model_version),
        value=r.value,
        confidence=float(r.confidence),
        probas=r.probas,
    )


def _chunks(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[i : i + _IN_CHUNK] for i in range(0, len(values), _IN_CHUNK)]


class SqlAiRepository(Repository):
    def embeddings(self, embedder: str, text_hashes: Sequence[str]) -> dict[str, bytes]:
        """Cached vectors (float16 bytes) of the given text hashes; missing ones are absent."""
        out: dict[str, bytes] = {}
        for chunk in _chunks(sorted(set(text_hashes))):
            rows = self._s.execute(
                select(EmbeddingRow.text_hash, EmbeddingRow.vector).where(
                    EmbeddingRow.embedder == embedder, EmbeddingRow.text_hash.in_(chunk)
                )
            )
            out.update({h: bytes(v) for h, v in rows})
        return out

    def add_embeddings(self, embedder: str, rows: Mapping[str, bytes], *, dim: int) -> None:
        """Cache vectors; a hash cached concurrently by another job is kept as it is."""
        if not rows:
            return
        now = self._now()
        stmt = insert_ignoring_conflicts(
            _EMB, self._s.get_bind().dialect.name, keys=("embedder", "text_hash")
        )
        self._s.execute(
            stmt,
            [
                {"embedder": embedder, "text_hash": h, "dim": dim, "vector": v, "created_at": now}
                for h, v in rows.items()
            ],
        )

    def add_version(
        self,
        project_id: ProjectId,
        *,
        kind: ModelKind,
        embedder: str,
        params: Mapping[str, Any],
        metrics: Mapping[str, Any],
        threshold: float | None,
        worker_id: UserId | None,
    ) -> ModelVersion:
        """Store the next version of the project's model (versions count from 1)."""
        last = self._s.scalar(
            select(func.max(ModelVersionRow.version)).where(
                ModelVersionRow.project_id == project_id
            )
        )
        row = ModelVersionRow(
            project_id=project_id,
            version=int(last or 0) + 1,
            kind=kind.value,
            embedder=embedder,
            params=dict(params),
            metrics=dict(metrics),
            threshold=threshold,
            worker_id=worker_id,
            created_at=self._now(),
        )
        self._s.add(row)
        self._s.flush()
        return _version(row)

    def latest_version(self, project_id: ProjectId) -> ModelVersion | None:
        row = self._s.scalars(
            select(ModelVersionRow)
            .where(ModelVersionRow.project_id == project_id)
            .order_by(ModelVersionRow.version.desc())
            .limit(1)
        ).first()
        return None if row is None else _version(row)

    def list_versions(self, project_id: ProjectId, *, limit: int) -> list[ModelVersion]:
        """Newest first."""
        rows = self._s.scalars(
            select(ModelVersionRow)
            .where(ModelVersionRow.project_id == project_id)
            .order_by(ModelVersionRow.version.desc())
            .limit(limit)
        )
        return [_version(r) for r in rows]

    def set_threshold(self, version_id: int, threshold: float | None) -> None:
        self._s.execute(
            update(ModelVersionRow)
            .where(ModelVersionRow.id == version_id)
            .values(threshold=threshold)
        )

    def upsert_predictions(self, project_id: ProjectId, rows: Sequence[Prediction]) -> None:
        if not rows:
            return
        now = self._now()
        stmt = upsert(
            _PRED,
            self._s.get_bind().dialect.name,
            keys=("item_id",),
            update=("model_version", "value", "confidence", "probas", "updated_at"),
        )
        self._s.execute(
            stmt,
            [
                {
                    "item_id": p.item_id,
                    "project_id": project_id,
                    "model_version": p.model_version,
                    "value": p.value,
                    "confidence": p.confidence,
                    "probas": dict(p.probas),
                    "updated_at": now,
                }
                for p in rows
            ],
        )

    def predictions(self, item_ids: Sequence[ItemId]) -> dict[ItemId, Prediction]:
        out: dict[ItemId, Prediction] = {}
        for chunk in _chunks(sorted(set(item_ids))):
            rows = self._s.execute(select(_PRED).where(_PRED.c.item_id.in_(chunk)))
            out.update({ItemId(r.item_id): _prediction(r) for r in rows})
        return out

    def prediction_page(
        self, project_id: ProjectId, *, after_id: int, limit: int
    ) -> list[Prediction]:
        """A project's predictions in item id order (keyset paging)."""
        rows = self._s.execute(
            select(_PRED)
            .where(_PRED.c.project_id == project_id, _PRED.c.item_id > after_id)
            .order_by(_PRED.c.item_id)
            .limit(limit)
        )
        return [_prediction(r) for r in rows]

    def model_labels(self, item_ids: Sequence[ItemId], worker_id: UserId) -> dict[ItemId, str]:
        """The model worker's current label on each of ``item_ids`` that has one."""
        out: dict[ItemId, str] = {}
        for chunk in _chunks(sorted(set(item_ids))):
            rows = self._s.execute(
                select(AnnotationRow.item_id, AnnotationRow.value).where(
                    AnnotationRow.item_id.in_(chunk), AnnotationRow.worker_id == worker_id
                )
            )
            out.update({ItemId(i): str(v) for i, v in rows})
        return out

    def set_model_label(self, item_id: ItemId, worker_id: UserId, value: str) -> bool:
        """Replace the model worker's label on an item (a newer version's answer); ``False``
        when the model has no label there yet."""
        stmt = (
            update(AnnotationRow)
            .where(AnnotationRow.item_id == item_id, AnnotationRow.worker_id == worker_id)
            .values(value=value)
        )
        return self._rowcount(stmt) > 0

    def add_auto_labels(self, project_id: ProjectId, rows: Sequence[AutoLabel]) -> None:
        """Record auto-labels; an item auto-labelled before gets the new record."""
        if not rows:
            return
        now = self._now()
        stmt = upsert(
            _AUTO,
            self._s.get_bind().dialect.name,
            keys=("item_id",),
            update=("model_version", "value", "confidence", "threshold", "state", "created_at"),
        )
        self._s.execute(
            stmt,
            [
                {
                    "item_id": a.item_id,
                    "project_id": project_id,
                    "model_version": a.model_version,
                    "value": a.value,
                    "confidence": a.confidence,
                    "threshold": a.threshold,
                    "state": a.state.value,
                    "created_at": now,
                }
                for a in rows
            ],
        )

    def auto_labels(
        self, project_id: ProjectId, *, state: AutoLabelState | None
    ) -> list[AutoLabel]:
        stmt = select(_AUTO).where(_AUTO.c.project_id == project_id)
        if state is not None:
            stmt = stmt.where(_AUTO.c.state == state.value)
        return [
            AutoLabel(
                item_id=ItemId(r.item_id),
                model_version=int(r.model_version),
                value=r.value,
                confidence=float(r.confidence),
                threshold=float(r.threshold),
                state=AutoLabelState(r.state),
            )
            for r in self._s.execute(stmt.order_by(_AUTO.c.item_id))
        ]

    def set_auto_state(self, item_ids: Sequence[ItemId], state: AutoLabelState) -> None:
        for chunk in _chunks(sorted(set(item_ids))):
            self._s.execute(
                update(_AUTO).where(_AUTO.c.item_id.in_(chunk)).values(state=state.value)
            )

    def clear_consensus(self, item_ids: Sequence[ItemId]) -> None:
        """Drop the consensus of items an auto-label completed and that are now reopened."""
        for chunk in _chunks(sorted(set(item_ids))):
            self._s.execute(delete(ConsensusRow).where(ConsensusRow.item_id.in_(chunk)))

    def add_review_flags(self, project_id: ProjectId, flags: Sequence[ReviewFlag]) -> None:
        """Record why items were sent to review (a newer finding replaces an older one)."""
        if not flags:
            return
        now = self._now()
        stmt = upsert(
            _FLAG,
            self._s.get_bind().dialect.name,
            keys=("item_id",),
            update=("value", "suggested", "quality", "reason", "created_at"),
        )
        self._s.execute(
            stmt,
            [
                {
                    "item_id": f.item_id,
                    "project_id": project_id,
                    "value": f.value,
                    "suggested": f.suggested,
                    "quality": f.quality,
                    "reason": f.reason,
                    "created_at": now,
                }
                for f in flags
            ],
        )

    def review_flags_for(self, item_ids: Sequence[ItemId]) -> dict[ItemId, ReviewFlag]:
        """The flag of each of ``item_ids`` that has one."""
        out: dict[ItemId, ReviewFlag] = {}
        for chunk in _chunks(sorted(set(item_ids))):
            for r in self._s.execute(select(_FLAG).where(_FLAG.c.item_id.in_(chunk))):
                item_id = ItemId(r.item_id)
                out[item_id] = ReviewFlag(item_id, r.value, r.suggested, float(r.quality), r.reason)
        return out

    def review_flags(self, project_id: ProjectId, *, after_id: int, limit: int) -> list[ReviewFlag]:
        rows = self._s.execute(
            select(_FLAG)
            .where(_FLAG.c.project_id == project_id, _FLAG.c.item_id > after_id)
            .order_by(_FLAG.c.item_id)
            .limit(limit)
        )
        return [
            ReviewFlag(ItemId(r.item_id), r.value, r.suggested, float(r.quality), r.reason)
            for r in rows
        ]
