"""Data quality: duplicate groups and the requester's decision on them, item flags, reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from shoplabel.domain.ids import ItemId, ProjectId

__all__ = [
    "DuplicateDecision",
    "DuplicateGroup",
    "FlagCount",
    "GroupCount",
    "ItemFlag",
    "NewDuplicateGroup",
    "StoredReport",
]


class DuplicateDecision(StrEnum):
    """``keep_one``: one member stays in the queue, the others leave it (status ``done``) and
    may take its label; ``keep_all``: every member stays; ``undecided``: not yet chosen."""

    UNDECIDED = "undecided"
    KEEP_ONE = "keep_one"
    KEEP_ALL = "keep_all"


@dataclass(frozen=True, slots=True)
class NewDuplicateGroup:
    kind: str
    item_ids: tuple[ItemId, ...]
    similarity: float
    conflicting: bool


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    id: int
    project_id: ProjectId
    kind: str
    item_ids: tuple[ItemId, ...]
    similarity: float
    conflicting: bool
    decision: DuplicateDecision
    keep_item_id: ItemId | None
    created_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class ItemFlag:
    item_id: ItemId
    source: str
    field: str
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class GroupCount:
    kind: str
    n_groups: int
    n_items: int
    n_conflicting: int
    n_undecided: int


@dataclass(frozen=True, slots=True)
class FlagCount:
    source: str
    code: str
    field: str
    n_items: int


@dataclass(frozen=True, slots=True)
class StoredReport:
    project_id: ProjectId
    created_at: datetime
    report: Mapping[str, Any]
