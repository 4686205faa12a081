"""AI in the loop: model versions and predictions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from shoplabel.domain.ai import ModelKind, ModelVersion, Prediction, ReviewFlag

__all__ = ["ModelVersionRead", "PredictionPage", "PredictionRead", "ReviewFlagRead"]


class ModelVersionRead(BaseModel):
    """A model version without its weights: kind, training size, metrics, threshold."""

    version: int
    kind: ModelKind
    embedder: str
    metrics: dict[str, Any]
    threshold: float | None
    model_worker_id: int | None
    created_at: datetime

    @classmethod
    def from_domain(cls, v: ModelVersion) -> ModelVersionRead:
        return cls(
            version=v.version,
            kind=v.kind,
            embedder=v.embedder,
            metrics=dict(v.metrics),
            threshold=v.threshold,
            model_worker_id=v.worker_id,
            created_at=v.created_at,
        )


class PredictionRead(BaseModel):
    item_id: int
    model_version: int
    value: str
    confidence: float
    probas: dict[str, float]

    @classmethod
    def from_domain(cls, p: Prediction) -> PredictionRead:
        return cls(
            item_id=p.item_id,
            model_version=p.model_version,
            value=p.value,
            confidence=p.confidence,
            probas=dict(p.probas),
        )


class PredictionPage(BaseModel):
    """One page by item id; pass ``next_after_id`` as ``after_id`` for the next one."""

    items: list[PredictionRead]
    next_after_id: int | None


class ReviewFlagRead(BaseModel):
    item_id: int
    value: str
    suggested: str
    quality: float
    reason: str

    @classmethod
    def from_domain(cls, f: ReviewFlag) -> ReviewFlagRead:
        return cls(
            item_id=f.item_id,
            value=f.value,
            suggested=f.suggested,
            quality=f.quality,
            reason=f.reason,
        )
