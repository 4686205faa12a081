"""Revealing the originals of masked fields: managers only, every reveal audited.

A reveal decrypts an item's sealed originals and records who asked, for which fields, why
and when, in the same transaction: if the audit row cannot be written, nothing is returned,
and if decryption fails, nothing is recorded. Log lines name ids and field paths, never values.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from shoplabel.dataprep.pii.sealing import Sealed
from shoplabel.domain.audit import AuditKind
from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.privacy import Reveal, sealing_context
from shoplabel.domain.users import Actor
from shoplabel.errors import InvalidInput, NotFound
from shoplabel.services import audit
from shoplabel.services.privacy import PrivacyKeys
from shoplabel.services.projects import visible_project

__all__ = ["NothingToReveal", "Revealed", "list_reveals", "reveal"]

log = logging.getLogger(__name__)

MAX_REASON: Final = 500


class NothingToReveal(NotFound):
    """The item has no masked fields (or none of the fields asked for)."""

    code = "nothing_to_reveal"


@dataclass(frozen=True, slots=True)
class Revealed:
    """The originals of an item's masked fields, and the audit record of this reveal."""

    reveal_id: int
    item_id: ItemId
    project_id: ProjectId
    originals: Mapping[str, Any]

    def __repr__(self) -> str:
        return f"Revealed(reveal_id={self.reveal_id}, item_id={self.item_id}, fields=...)"


def _reason(reason: str) -> str:
    text = reason.strip()
    if not 1 <= len(text) <= MAX_REASON:
        raise InvalidInput(
            f"a reveal needs a reason of 1-{MAX_REASON} characters (it is kept in the audit)",
            details={"field": "reason"},
        )
    return text


def reveal(
    uow: UnitOfWork,
    *,
    actor: Actor,
    item_id: ItemId,
    keys: PrivacyKeys,
    reason: str,
    fields: Sequence[str] | None = None,
) -> Revealed:
    """Decrypt the originals of an item's masked fields and record the reveal.

    Raises:
        ItemNotFound, ProjectNotFound: no such item (or not visible to the actor).
        PermissionDenied: the actor is not an admin or the project's owner.
        NothingToReveal: the item has no masked fields, or none of ``fields``.
        InvalidInput: no reason.
        DataKeyUnknown, SealedDataInvalid: the key is gone, or the stored data was altered.
    """
    why = _reason(reason)
    with uow:
        item = uow.items.get(item_id)
        project = visible_project(uow, actor, item.project_id)
        require(can_manage_project(actor, project), f"reveal originals of item {item_id}")
        secret = uow.privacy.find(item_id)
        if secret is None:
            raise NothingToReveal(
                f"item {item_id} has no masked fields", details={"item_id": item_id}
            )
        plain = keys.keyring.open(
            Sealed(secret.key_id, secret.sealed),
            context=sealing_context(project.id, item.external_id),
        )
        originals: dict[str, Any] = json.loads(plain)
        if fields:
            wanted = set(fields)
            originals = {f: v for f, v in originals.items() if f in wanted}
            if not originals:
                raise NothingToReveal(
                    f"item {item_id} has none of the masked fields {sorted(fields)}",
                    details={"item_id": item_id},
                )
        reveal_id = uow.privacy.add_reveal(
            item_id,
            project_id=project.id,
            actor_id=actor.user_id,
            fields=sorted(originals),
            reason=why,
        )
        # Also on the tamper-evident trail (services.audit): who revealed what and why, never
        # the values.
        audit.record(
            uow,
            AuditKind.PII_REVEALED,
            {
                "reveal_id": reveal_id,
                "project_id": project.id,
                "item_id": item_id,
                "actor_id": actor.user_id,
                "fields": sorted(originals),
                "reason": why,
            },
        )
        uow.commit()
    log.info(
        "reveal %s: user %s saw fields %s of item %s",
        reveal_id,
        actor.user_id,
        sorted(originals),
        item_id,
    )
    return Revealed(reveal_id, item_id, project.id, originals)


def list_reveals(
    uow: UnitOfWork,
    *,
    actor: Actor,
    project_id: ProjectId,
    item_id: ItemId | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[Reveal]:
    """The project's reveal audit, newest first: for the project's managers.

    Raises:
        ProjectNotFound: not visible to the actor.
        PermissionDenied: the actor does not manage the project.
    """
    with uow.reading():
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"read the reveal audit of {project_id}")
        return uow.privacy.list_reveals(
            project_id, item_id=item_id, before_id=before_id, limit=limit
        )
