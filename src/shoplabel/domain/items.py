"""Items to label, their status and the completion rule."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.projects import OverlapMode, ProjectSettings

__all__ = [
    "Item",
    "ItemStatus",
    "NewItem",
    "canonical_json",
    "content_hash",
    "status_after_label",
]


class ItemStatus(StrEnum):
    """``open`` collects labels; ``done`` is complete; ``review`` waits for a reviewer."""

    OPEN = "open"
    DONE = "done"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class NewItem:
    """An item ready to be stored (validated, hashed)."""

    external_id: str
    payload: Mapping[str, Any]
    content_hash: str
    priority: float = 0.0
    gold: Any = None
    # The payload as read, when import clean-up changed it (kept so clean-up is reversible).
    original: Mapping[str, Any] | None = None
    # Kept-but-flagged findings of import rules: ({"field", "code", "reason"}, ...).
    flags: tuple[Mapping[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Item:
    id: ItemId
    project_id: ProjectId
    external_id: str
    payload: Mapping[str, Any]
    content_hash: str
    status: ItemStatus
    priority: float
    gold: Any
    n_labels: int
    created_at: datetime


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    """The payload as canonical JSON (sorted keys, no spaces), UTF-8."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def content_hash(payload: Mapping[str, Any], *, canonical: bytes | None = None) -> str:
    """SHA-256 of the payload's canonical JSON (pass ``canonical`` if already computed)."""
    return hashlib.sha256(canonical or canonical_json(payload)).hexdigest()


def status_after_label(
    settings: ProjectSettings, *, n_labels: int, confidence: float | None
) -> ItemStatus:
    """Status of an item after it received its ``n_labels``-th label.

    Args:
        settings: The project's overlap rule.
        n_labels: Labels the item has now (counting the new one).
        confidence: Max posterior probability, when truth inference has one for the item.
    """
    if n_labels >= settings.max_overlap:
        if settings.overlap_mode is OverlapMode.DYNAMIC and (
            confidence is not None and confidence < settings.target_confidence
        ):
            return ItemStatus.REVIEW
        return ItemStatus.DONE
    if (
        settings.overlap_mode is OverlapMode.DYNAMIC
        and n_labels >= settings.min_overlap
        and confidence is not None
        and confidence >= settings.target_confidence
    ):
        return ItemStatus.DONE
    return ItemStatus.OPEN
