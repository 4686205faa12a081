"""Reveals of masked originals and their audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from shoplabel.domain.privacy import Reveal
from shoplabel.services.reveals import Revealed

__all__ = ["RevealCreate", "RevealPage", "RevealRead", "RevealedRead"]


class RevealCreate(BaseModel):
    reason: str = Field(description="Why the originals are needed; kept in the audit trail.")
    fields: list[str] | None = Field(
        default=None, description="Reveal only these masked fields (default: all)."
    )


class RevealedRead(BaseModel):
    """The originals of an item's masked fields; this response was recorded as ``reveal_id``."""

    reveal_id: int
    item_id: int
    project_id: int
    originals: dict[str, Any]

    @classmethod
    def from_domain(cls, r: Revealed) -> RevealedRead:
        return cls(
            reveal_id=r.reveal_id,
            item_id=r.item_id,
            project_id=r.project_id,
            originals=dict(r.originals),
        )


class RevealRead(BaseModel):
    """One audit record: who revealed which fields of which item, when and why."""

    id: int
    project_id: int
    item_id: int
    actor_id: int
    actor_username: str
    fields: list[str]
    reason: str
    created_at: datetime

    @classmethod
    def from_domain(cls, r: Reveal) -> RevealRead:
        return cls(
            id=r.id,
            project_id=r.project_id,
            item_id=r.item_id,
            actor_id=r.actor_id,
            actor_username=r.actor_username,
            fields=list(r.fields),
            reason=r.reason,
            created_at=r.created_at,
        )


class RevealPage(BaseModel):
    items: list[RevealRead]
    next_before_id: int | None

    @classmethod
    def from_domain(cls, rows: list[Reveal], *, limit: int) -> RevealPage:
        return cls(
            items=[RevealRead.from_domain(r) for r in rows],
            next_before_id=rows[-1].id if rows and len(rows) == limit else None,
        )
