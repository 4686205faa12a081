"""Stored secrets of masked items and the reveal audit trail, as services see them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shoplabel.domain.ids import ItemId, ProjectId, UserId

__all__ = ["ItemSecret", "NewItemSecret", "Reveal", "sealing_context"]


def sealing_context(project_id: ProjectId, external_id: str) -> bytes:
    """What a ciphertext is bound to: its item's project and external id (known before the
    item's row id exists, and unique per project)."""
    return f"item:{int(project_id)}:{external_id}".encode()


@dataclass(frozen=True, slots=True)
class NewItemSecret:
    """What an import stores next to a masked item (keyed by external id until inserted)."""

    external_id: str
    key_id: str
    sealed: bytes
    views: Mapping[str, Mapping[str, Any]]
    found: Mapping[str, int]

    def __repr__(self) -> str:
        return f"NewItemSecret(external_id={self.external_id!r}, key_id={self.key_id!r})"


@dataclass(frozen=True, slots=True)
class ItemSecret:
    """The sealed originals of one item's masked fields and the other audiences' views."""

    item_id: ItemId
    project_id: ProjectId
    external_id: str
    key_id: str
    sealed: bytes
    views: Mapping[str, Mapping[str, Any]]
    found: Mapping[str, int]

    def __repr__(self) -> str:
        return f"ItemSecret(item_id={self.item_id!r}, key_id={self.key_id!r})"


@dataclass(frozen=True, slots=True)
class Reveal:
    """One reveal of originals: who, which item and fields, why, when (never the values)."""

    id: int
    project_id: ProjectId
    item_id: ItemId
    actor_id: UserId
    actor_username: str
    fields: tuple[str, ...]
    reason: str
    created_at: datetime
