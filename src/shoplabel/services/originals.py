"""The payload of an item as it was imported, before clean-up (clean-up is reversible)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shoplabel.domain.ids import ItemId
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor
from shoplabel.errors import ItemNotFound, ShoplabelError
from shoplabel.services.projects import visible_project

__all__ = ["ItemOriginal", "item_original"]


@dataclass(frozen=True, slots=True)
class ItemOriginal:
    """``original`` is the payload as read; ``changed`` says whether clean-up altered it."""

    item_id: ItemId
    payload: Mapping[str, Any]
    original: Mapping[str, Any]
    changed: bool


def item_original(uow: UnitOfWork, *, actor: Actor, item_id: ItemId) -> ItemOriginal:
    """An item's cleaned and original payloads: the project's managers only (never workers).

    Raises:
        ItemNotFound: no such item, or one of a project the actor may not see.
        PermissionDenied: not a manager of the project.
    """
    with uow.reading():
        item = uow.items.get(item_id)
        try:
            project = visible_project(uow, actor, item.project_id)
        except ShoplabelError:
            raise ItemNotFound(
                f"item {item_id} does not exist", details={"item_id": item_id}
            ) from None
        require(can_manage_project(actor, project), f"see the original of item {item_id}")
        original = uow.items.original(item_id)
    return ItemOriginal(item.id, item.payload, original or item.payload, original is not None)
