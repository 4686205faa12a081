"""Re-sealing stored originals with the active data key (``shoplabel keys rotate``).

Batches are read in a short read transaction, re-sealed outside any transaction and written
back with a conditional ``UPDATE ... WHERE key_id = old`` per row in one short write
transaction: a stop at any point leaves every row readable (old or new key), and running the
command again carries on with the rows still on old keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shoplabel.dataprep.pii.errors import DataKeyUnknown, SealedDataInvalid
from shoplabel.dataprep.pii.sealing import Sealed
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.privacy import ItemSecret, sealing_context
from shoplabel.services.privacy import PrivacyKeys

__all__ = ["KeyStatus", "RotationReport", "key_status", "rotate"]

#: ``progress(done, total)`` after each batch.
RotationProgress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """Sealed items per key id, and which key seals new data."""

    active: str | None
    counts: dict[str, int]

    @property
    def pending(self) -> int:
        return sum(n for k, n in self.counts.items() if k != self.active)


@dataclass(frozen=True, slots=True)
class RotationReport:
    active: str
    rekeyed: int
    before: dict[str, int]


def key_status(uow: UnitOfWork, keys: PrivacyKeys, *, project_id: ProjectId | None) -> KeyStatus:
    with uow.reading():
        return KeyStatus(keys.keyring.active_id, uow.privacy.key_counts(project_id))


def _rotate_key(
    uows: Callable[[], UnitOfWork],
    keys: PrivacyKeys,
    old: str,
    *,
    project_id: ProjectId | None,
    batch_size: int,
) -> Callable[[], int | None]:
    """A step function: re-seal the next batch of ``old``; return how many rows it changed,
    or ``None`` when ``old`` has no rows left."""
    after = 0

    def step() -> int | None:
        nonlocal after
        with uows().reading() as uow:
            batch = uow.privacy.list_by_key(
                old, project_id=project_id, after_item_id=after, limit=batch_size
            )
        if not batch:
            return None
        fresh = [_reseal(keys, s) for s in batch]
        with uows() as uow:
            changed = sum(
                uow.privacy.rekey(s.item_id, old_key_id=old, key_id=f.key_id, sealed=f.blob)
                for s, f in zip(batch, fresh, strict=True)
            )
            uow.commit()
        after = batch[-1].item_id
        return changed

    return step


def _reseal(keys: PrivacyKeys, secret: ItemSecret) -> Sealed:
    try:
        return keys.keyring.reseal(
            Sealed(secret.key_id, secret.sealed),
            context=sealing_context(secret.project_id, secret.external_id),
        )
    except SealedDataInvalid as e:
        raise SealedDataInvalid(
            f"{e.message} (item {secret.item_id}); earlier batches were re-sealed",
            details={**e.details, "item_id": secret.item_id},
        ) from None


def rotate(
    uows: Callable[[], UnitOfWork],
    keys: PrivacyKeys,
    *,
    project_id: ProjectId | None = None,
    batch_size: int = 500,
    progress: RotationProgress | None = None,
) -> RotationReport:
    """Re-seal every stored secret that is not on the active key.

    Raises:
        DataKeyMissing: no data key is configured.
        DataKeyUnknown: some rows are sealed with a key that is not configured (checked
            before anything is changed).
        SealedDataInvalid: a stored secret fails authentication (earlier batches stay
            re-sealed; the failing item id is in the details).
    """
    active = keys.keyring.require_active()
    before = key_status(uows(), keys, project_id=project_id).counts
    missing = sorted(k for k in before if k != active and k not in keys.keyring.ids)
    if missing:
        raise DataKeyUnknown(
            f"items are sealed with data keys {missing}, which are not configured; add them "
            "to SHOPLABEL_DATA_KEYS so that they can be re-sealed",
            details={"key_ids": missing},
        )
    total = sum(n for k, n in before.items() if k != active)
    done = 0
    for old in sorted(k for k in before if k != active):
        step = _rotate_key(uows, keys, old, project_id=project_id, batch_size=batch_size)
        while (n := step()) is not None:
            done += n
            if progress:
                progress(min(done, total), total)
    return RotationReport(active=active, rekeyed=done, before=before)
