"""Masking items at import, and the audiences' views of masked items.

Masking happens **once, at import**: the worker's view is stored as the item's payload, so
next-task, item reads, exam questions, review pages and exports serve it with no extra work
and no code path can forget to mask. The originals of the masked fields are sealed
(AES-256-GCM, :mod:`shoplabel.dataprep.pii.sealing`) into ``item_secrets`` next to the views
of the other audiences (reviewers, managers) when their style differs. At 1M items this costs
one detection per masked string in total, instead of one per read on every next-task.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from shoplabel.dataprep.pii.errors import MissingMaskKey
from shoplabel.dataprep.pii.policy import (
    Audience,
    PrivacyPolicy,
    get_path,
    mask_payload,
    set_path,
)
from shoplabel.dataprep.pii.sealing import Keyring
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.items import Item, NewItem, canonical_json, content_hash
from shoplabel.domain.permissions import can_manage_project
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.privacy import NewItemSecret, sealing_context
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor, Role

__all__ = [
    "ItemMasker",
    "MaskedRowProblem",
    "PrivacyKeys",
    "audience_of",
    "masker_for",
    "with_views",
]


@dataclass(frozen=True)
class PrivacyKeys:
    """The data keys sealing originals and the key of pseudonyms and fingerprints."""

    keyring: Keyring
    pii_key: bytes | None = None

    @classmethod
    def none(cls) -> PrivacyKeys:
        return cls(Keyring({}))

    def __repr__(self) -> str:
        return f"PrivacyKeys({self.keyring!r}, pii_key={'set' if self.pii_key else 'unset'})"


class MaskedRowProblem(Exception):
    """A row that cannot be stored once masked (reported per row by the import)."""

    def __init__(self, fld: str | None, code: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.code, self.reason = fld, code, reason


@dataclass(frozen=True)
class ItemMasker:
    """Masks and seals the rows of one import into one project."""

    project_id: ProjectId
    policy: PrivacyPolicy
    keys: PrivacyKeys
    max_payload_bytes: int

    def apply(self, item: NewItem, *, derived_id: bool) -> tuple[NewItem, NewItemSecret | None]:
        """Mask ``item``'s payload; return the item to store and its secret (if any field
        was masked).

        Args:
            item: A validated item with its original payload.
            derived_id: Its external id was derived from its content (no ``external_id``
                column): it is replaced by a keyed fingerprint, since a plain hash of the
                original payload could be inverted by guessing the masked values.

        Raises:
            MaskedRowProblem: the masked payload breaks the size limit.
        """
        masked = mask_payload(item.payload, self.policy, key=self.keys.pii_key)
        if not masked.originals:
            return item, None
        canonical = canonical_json(masked.payload)
        if len(canonical) > self.max_payload_bytes:
            raise MaskedRowProblem(
                None,
                "masked_payload_too_large",
                f"the row's data is {len(canonical)} bytes once masked; the limit is "
                f"{self.max_payload_bytes}",
            )
        external_id = item.external_id
        if derived_id:
            original = canonical_json(item.payload)
            key = self.keys.pii_key or b""
            external_id = "hmac:" + hmac.new(key, original, hashlib.sha256).hexdigest()[:32]
        originals = dict(masked.originals)
        if item.original is not None:
            # Seal the values as imported, before clean-up (NFKC, HTML, whitespace): a reveal
            # gives back exactly what the file held.
            for path in originals:
                raw = get_path(item.original, path)
                if raw is not None:
                    originals[path] = raw
        sealed = self.keys.keyring.seal(
            json.dumps(originals, ensure_ascii=False, sort_keys=True).encode(),
            context=sealing_context(self.project_id, external_id),
        )
        # The pre-clean-up original (data_rules, docs/data_quality.md) is stored in clear, so it
        # is masked the same way: the sealed originals are the only place raw PII lives.
        pre_clean = None
        if item.original is not None:
            pre_clean = mask_payload(item.original, self.policy, key=self.keys.pii_key).payload
        stored = replace(
            item,
            external_id=external_id,
            payload=masked.payload,
            content_hash=content_hash(masked.payload, canonical=canonical),
            original=pre_clean,
        )
        secret = NewItemSecret(external_id, sealed.key_id, sealed.blob, masked.views, masked.found)
        return stored, secret


def masker_for(project: Project, keys: PrivacyKeys, *, max_payload_bytes: int) -> ItemMasker | None:
    """The masker of ``project``'s policy, or ``None`` when it masks nothing.

    Raises:
        DataKeyMissing: the project masks fields and no data key is configured.
        MissingMaskKey: the policy uses the ``hash`` style and no PII key is configured.
    """
    policy = PrivacyPolicy.parse(project.settings.privacy)
    if policy is None:
        return None
    keys.keyring.require_active()
    if not keys.pii_key:
        raise MissingMaskKey("masking needs a PII key (SHOPLABEL_PII_KEY or the secret key)")
    return ItemMasker(project.id, policy, keys, max_payload_bytes)


def audience_of(actor: Actor, project: Project) -> Audience:
    """Which view of a masked item ``actor`` gets outside labelling."""
    if can_manage_project(actor, project):
        return Audience.MANAGER
    return Audience.REVIEWER if actor.role is Role.REVIEWER else Audience.WORKER


def _overlay(payload: Mapping[str, Any], view: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(payload)
    for path, value in view.items():
        set_path(out, path, value)
    return out


def with_views(uow: UnitOfWork, items: Sequence[Item], audience: Audience) -> list[Item]:
    """``items`` as ``audience`` sees them (inside the caller's transaction).

    Workers see the stored payload; reviewers and managers see their own style where the
    policy gives them one (one indexed read for the whole page).
    """
    if audience is Audience.WORKER or not items:
        return list(items)
    views = uow.privacy.views([it.id for it in items])
    out = []
    for it in items:
        view = views.get(it.id, {}).get(audience.value)
        out.append(replace(it, payload=_overlay(it.payload, view)) if view else it)
    return out
