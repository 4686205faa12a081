"""Training, the model registry, predictions and production feedback."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shoplabel.domain.ai import Prediction
from shoplabel.domain.training import Feedback, FeedbackSignal, TrainedModel

__all__ = [
    "FeedbackCreate",
    "FeedbackRead",
    "FeedbackSummaryRead",
    "PredictBody",
    "PredictItem",
    "PredictResult",
    "PredictionOut",
    "RelabelSample",
    "TrainBody",
    "TrainedModelRead",
]


class TrainBody(BaseModel):
    """Training options; every field is optional (see docs/training.md)."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    labels: str | None = None
    test_share: float | None = None
    min_items: int | None = None
    class_weights: bool | None = None
    seed: int | None = None
    max_epochs: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    l2: float | None = None
    val_share: float | None = None
    patience: int | None = None
    # base_model is not accepted here: it names a directory on the server (CLI only).
    finetune_epochs: int | None = None
    finetune_batch_size: int | None = None
    finetune_learning_rate: float | None = None
    max_length: int | None = None

    def options(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class TrainedModelRead(BaseModel):
    """A registry entry without its weights."""

    id: int
    project_id: int
    version: int
    model_type: str
    label_source: str
    embedder: str
    snapshot_hash: str
    labels: list[str]
    params: dict[str, Any]
    metrics: dict[str, Any]
    promoted_version: int | None
    created_at: datetime

    @classmethod
    def from_domain(cls, m: TrainedModel) -> TrainedModelRead:
        return cls(
            id=m.id,
            project_id=m.project_id,
            version=m.version,
            model_type=m.model_type.value,
            label_source=m.label_source.value,
            embedder=m.embedder,
            snapshot_hash=m.snapshot_hash,
            labels=m.labels,
            params=dict(m.params),
            metrics=dict(m.metrics),
            promoted_version=m.promoted_version,
            created_at=m.created_at,
        )


class PredictItem(BaseModel):
    """One of ``item_id``, ``external_id`` or ``payload`` (a new item, not stored)."""

    model_config = ConfigDict(extra="forbid")

    item_id: int | None = None
    external_id: str | None = Field(default=None, max_length=255)
    payload: dict[str, Any] | None = None


class PredictBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[PredictItem]


class PredictionOut(BaseModel):
    item_id: int | None
    label: str
    confidence: float
    probas: dict[str, float]

    @classmethod
    def from_domain(cls, p: Prediction) -> PredictionOut:
        return cls(
            item_id=p.item_id or None,
            label=p.value,
            confidence=p.confidence,
            probas=dict(p.probas),
        )


class PredictResult(BaseModel):
    model_id: int
    version: int
    predictions: list[PredictionOut]


class FeedbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: int | None = None
    external_id: str | None = Field(default=None, max_length=255)
    model_id: int | None = None
    value: str | None = Field(default=None, max_length=255)
    signal: FeedbackSignal
    comment: str = ""


class FeedbackRead(BaseModel):
    id: int
    item_id: int
    model_id: int | None
    signal: FeedbackSignal
    comment: str
    model_value: str | None
    disagrees: bool
    created_at: datetime

    @classmethod
    def from_domain(cls, f: Feedback) -> FeedbackRead:
        return cls(
            id=f.id,
            item_id=f.item_id,
            model_id=f.model_id,
            signal=f.signal,
            comment=f.comment,
            model_value=f.model_value,
            disagrees=f.disagrees,
            created_at=f.created_at,
        )


class FeedbackSummaryRead(BaseModel):
    counts: dict[str, int]
    n_disagree: int
    recent: list[FeedbackRead]


class RelabelSample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    share: float = Field(gt=0.0, le=1.0)
    seed: int = Field(default=0, ge=0)
