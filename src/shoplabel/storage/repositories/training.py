"""The model registry (trained models) and feedback from production."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, func, select, update

from shoplabel.domain.ids import ItemId, ProjectId, UserId
from shoplabel.domain.training import (
    Feedback,
    FeedbackCounts,
    FeedbackSignal,
    LabelSource,
    ModelType,
    TrainedModel,
)
from shoplabel.errors import ModelNotFound
from shoplabel.storage.dialect import upsert_adding
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import FeedbackCounterRow, FeedbackRow, ItemRow, TrainedModelRow

__all__ = ["SqlTrainingRepository"]

_COUNTERS = cast(Table, FeedbackCounterRow.__table__)


def _model(r: TrainedModelRow) -> TrainedModel:
    return TrainedModel(
        id=int(r.id),
        project_id=ProjectId(r.project_id),
        version=int(r.version),
        model_type=ModelType(r.model_type),
        label_source=LabelSource(r.label_source),
        embedder=r.embedder,
        snapshot_hash=r.snapshot_hash,
        params=r.params,
        weights=r.weights,
        metrics=r.metrics,
        promoted_version=r.promoted_version,
        created_by=None if r.created_by is None else UserId(r.created_by),
        created_at=r.created_at,
    )


def _feedback(r: FeedbackRow) -> Feedback:
    return Feedback(
        id=int(r.id),
        project_id=ProjectId(r.project_id),
        item_id=ItemId(r.item_id),
        model_id=r.model_id,
        signal=FeedbackSignal(r.signal),
        comment=r.comment,
        model_value=r.model_value,
        disagrees=bool(r.disagrees),
        created_by=None if r.created_by is None else UserId(r.created_by),
        created_at=r.created_at,
    )


class SqlTrainingRepository(Repository):
    def add_model(  # noqa: PLR0913 - one keyword per registry column
        self,
        project_id: ProjectId,
        *,
        model_type: ModelType,
        label_source: LabelSource,
        embedder: str,
        snapshot_hash: str,
        params: Mapping[str, Any],
        weights: Mapping[str, Any],
        metrics: Mapping[str, Any],
        created_by: UserId | None,
    ) -> TrainedModel:
        """Register the project's next trained model (versions count from 1)."""
        last = self._s.scalar(
            select(func.max(TrainedModelRow.version)).where(
                TrainedModelRow.project_id == project_id
            )
        )
        row = TrainedModelRow(
            project_id=project_id,
            version=int(last or 0) + 1,
            model_type=model_type.value,
            label_source=label_source.value,
            embedder=embedder,
            snapshot_hash=snapshot_hash,
            params=dict(params),
            weights=dict(weights),
            metrics=dict(metrics),
            promoted_version=None,
            created_by=created_by,
            created_at=self._now(),
        )
        self._s.add(row)
        self._s.flush()
        return _model(row)

    def get_model(self, model_id: int) -> TrainedModel:
        row = self._s.get(TrainedModelRow, model_id)
        if row is None:
            raise ModelNotFound(f"model {model_id} does not exist", details={"model_id": model_id})
        return _model(row)

    def list_models(self, project_id: ProjectId, *, limit: int) -> list[TrainedModel]:
        """Newest first."""
        rows = self._s.scalars(
            select(TrainedModelRow)
            .where(TrainedModelRow.project_id == project_id)
            .order_by(TrainedModelRow.version.desc())
            .limit(limit)
        )
        return [_model(r) for r in rows]

    def set_promoted(self, model_id: int, version: int) -> None:
        self._s.execute(
            update(TrainedModelRow)
            .where(TrainedModelRow.id == model_id)
            .values(promoted_version=version)
        )

    def add_feedback(  # noqa: PLR0913 - one keyword per feedback column
        self,
        project_id: ProjectId,
        *,
        item_id: ItemId,
        model_id: int | None,
        signal: FeedbackSignal,
        comment: str,
        model_value: str | None,
        disagrees: bool,
        created_by: UserId | None,
    ) -> Feedback:
        row = FeedbackRow(
            project_id=project_id,
            item_id=item_id,
            model_id=model_id,
            signal=signal.value,
            comment=comment,
            model_value=model_value,
            disagrees=disagrees,
            created_by=created_by,
            created_at=self._now(),
        )
        self._s.add(row)
        self._s.flush()
        stmt = upsert_adding(
            _COUNTERS,
            self._s.get_bind().dialect.name,
            keys=("project_id", "signal"),
            add=("n", "n_disagree"),
        )
        values = {"n": 1, "n_disagree": int(disagrees)}
        self._s.execute(stmt, {"project_id": project_id, "signal": signal.value, **values})
        return _feedback(row)

    def list_feedback(
        self, project_id: ProjectId, *, before_id: int | None, limit: int
    ) -> list[Feedback]:
        """Newest first; ``before_id`` pages backwards."""
        stmt = select(FeedbackRow).where(FeedbackRow.project_id == project_id)
        if before_id is not None:
            stmt = stmt.where(FeedbackRow.id < before_id)
        rows = self._s.scalars(stmt.order_by(FeedbackRow.id.desc()).limit(limit))
        return [_feedback(r) for r in rows]

    def feedback_counts(self, project_id: ProjectId) -> FeedbackCounts:
        """Feedback received per signal, from the maintained counters (a few key rows)."""
        rows = self._s.execute(
            select(
                FeedbackCounterRow.signal, FeedbackCounterRow.n, FeedbackCounterRow.n_disagree
            ).where(FeedbackCounterRow.project_id == project_id)
        ).all()
        return FeedbackCounts(
            by_signal={str(s): int(n) for s, n, _ in rows if n},
            n_disagree=sum(int(d) for _, _, d in rows),
        )

    def item_ids_by_external(
        self, project_id: ProjectId, external_ids: Sequence[str]
    ) -> dict[str, ItemId]:
        """Item ids of the project's items with these external ids (unknown ones absent)."""
        out: dict[str, ItemId] = {}
        wanted = sorted(set(external_ids))
        for i in range(0, len(wanted), 900):
            rows = self._s.execute(
                select(ItemRow.external_id, ItemRow.id).where(
                    ItemRow.project_id == project_id, ItemRow.external_id.in_(wanted[i : i + 900])
                )
            )
            out.update({str(e): ItemId(int(n)) for e, n in rows})
        return out
