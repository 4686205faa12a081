"""Models trained on a project's labels (the registry) and feedback from production.

A :class:`TrainedModel` is one ``shoplabel train`` run: what it learned from (label source,
a hash of the exact labels used), its parameters, the fitted weights, its evaluation, and
which pre-labeller version it became once promoted. :class:`Feedback` is a signal from a
search or recommendation system about one item's model output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from shoplabel.domain.ids import ItemId, ProjectId, UserId

__all__ = [
    "Feedback",
    "FeedbackCounts",
    "FeedbackSignal",
    "LabelSource",
    "ModelType",
    "TrainedModel",
    "feedback_weight",
]


class LabelSource(StrEnum):
    """What a model is trained on. ``soft``: each item's truth-inference posterior (the
    default aggregator's probabilities). ``consensus``: that posterior's top label.
    ``majority``: the plain majority vote of the human answers. ``gold``: known answers."""

    SOFT = "soft"
    CONSENSUS = "consensus"
    MAJORITY = "majority"
    GOLD = "gold"


class ModelType(StrEnum):
    """``head``: softmax regression on frozen embeddings (numpy, CPU). ``finetune``: a
    sentence-transformers encoder fine-tuned with torch (the ``train`` extra)."""

    HEAD = "head"
    FINETUNE = "finetune"


class FeedbackSignal(StrEnum):
    """What production said about a model output."""

    IRRELEVANT = "irrelevant"
    WRONG_CATEGORY = "wrong_category"
    WRONG_LABEL = "wrong_label"
    CLICKED = "clicked"
    NOT_CLICKED = "not_clicked"
    CONFIRMED = "confirmed"


#: Signals that say the model's output was wrong (they send the item back to labellers).
NEGATIVE_SIGNALS = frozenset(
    {
        FeedbackSignal.IRRELEVANT,
        FeedbackSignal.WRONG_CATEGORY,
        FeedbackSignal.WRONG_LABEL,
        FeedbackSignal.NOT_CLICKED,
    }
)


def feedback_weight(signal: FeedbackSignal, *, disagrees: bool) -> float:
    """Priority boost of an item that got ``signal``: explicit corrections weigh most, weak
    implicit signals (not clicked) least; an item whose human consensus disagrees with the
    model's output weighs double (the labels or the model are wrong)."""
    base = {
        FeedbackSignal.WRONG_LABEL: 1.0,
        FeedbackSignal.WRONG_CATEGORY: 1.0,
        FeedbackSignal.IRRELEVANT: 0.8,
        FeedbackSignal.NOT_CLICKED: 0.2,
    }.get(signal, 0.0)
    return base * (2.0 if disagrees else 1.0)


@dataclass(frozen=True, slots=True)
class TrainedModel:
    """One training run in the registry.

    ``params``: the training options and data description (label source, item counts, label
    names, embedder, template). ``weights``: the fitted head as plain numbers. ``metrics``:
    evaluation on the held-out human / gold set and the learning curve.
    """

    id: int
    project_id: ProjectId
    version: int
    model_type: ModelType
    label_source: LabelSource
    embedder: str
    snapshot_hash: str
    params: Mapping[str, Any]
    weights: Mapping[str, Any]
    metrics: Mapping[str, Any]
    promoted_version: int | None
    created_by: UserId | None
    created_at: datetime

    @property
    def labels(self) -> list[str]:
        return [str(v) for v in self.params.get("labels", [])]


@dataclass(frozen=True, slots=True)
class Feedback:
    """A production signal about one item's model output."""

    id: int
    project_id: ProjectId
    item_id: ItemId
    model_id: int | None
    signal: FeedbackSignal
    comment: str
    model_value: str | None
    disagrees: bool
    created_by: UserId | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FeedbackCounts:
    """Signals received per kind (maintained counters), and how many of all signals were
    about an output that disagreed with the item's human consensus."""

    by_signal: Mapping[str, int]
    n_disagree: int

    @property
    def total(self) -> int:
        return sum(self.by_signal.values())
