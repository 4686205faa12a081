"""Multi-round review: decisions on items the crowd could not settle, and the stage rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from shoplabel.domain.ids import ItemId, ProjectId, UserId

__all__ = ["REVIEW_METHOD", "ReviewDecision", "ReviewOutcome", "ReviewRecord", "outcome"]

#: ``consensus.method`` of an item whose final label a review decided (confidence 1.0).
REVIEW_METHOD = "review"


class ReviewDecision(StrEnum):
    """``accept`` the proposed label, ``correct`` it with another, or ``reject`` the labels."""

    ACCEPT = "accept"
    CORRECT = "correct"
    REJECT = "reject"


class ReviewOutcome(StrEnum):
    """What a decision does to the item: on to the next stage, resolved, or back to the crowd."""

    NEXT_STAGE = "next_stage"
    RESOLVED = "resolved"
    REQUEUED = "requeued"


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    """One stored decision. ``value`` is the label it endorses (``None`` for a reject)."""

    id: int
    project_id: ProjectId
    item_id: ItemId
    reviewer_id: UserId
    stage: int
    decision: ReviewDecision
    value: Any
    reason: str
    created_at: datetime


def outcome(decision: ReviewDecision, *, stage: int, n_stages: int) -> ReviewOutcome:
    """A reject sends the item back to the crowd; an accept or correct moves it to the next
    stage, and at the last stage (``stage == n_stages - 1``) resolves it."""
    if decision is ReviewDecision.REJECT:
        return ReviewOutcome.REQUEUED
    return ReviewOutcome.RESOLVED if stage >= n_stages - 1 else ReviewOutcome.NEXT_STAGE
