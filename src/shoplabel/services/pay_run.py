"""The pay pipeline, run by the job worker every ``pay_run_seconds``, by ``shoplabel pay
run`` and by ``POST /api/v1/pay/run``: seal the audit trail, accrue pay for what it recorded,
post period bonuses, and seal the pay entries' own records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from shoplabel.domain.permissions import can_manage_users, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor
from shoplabel.services import audit
from shoplabel.services.accrual import accrue
from shoplabel.services.bonuses import run_bonuses

__all__ = ["PayRunReport", "run"]


@dataclass(frozen=True, slots=True)
class PayRunReport:
    n_sealed: int
    n_records: int
    n_entries: int
    n_bonuses: int
    head_seq: int


def run(
    uows: Callable[[], UnitOfWork],
    *,
    actor: Actor | None = None,
    today: date | None = None,
    batch: int = 2000,
) -> PayRunReport:
    """Run the pipeline to the end of what is recorded.

    Raises:
        PermissionDenied: ``actor`` is not an admin (``None`` is the job worker or the CLI).
    """
    if actor is not None:
        require(can_manage_users(actor), "run the pay pipeline (admins only)")
    first = audit.seal(uows, batch=batch * 2)
    accrued = accrue(uows, batch=batch)
    bonuses = run_bonuses(uows, today=today)
    last = audit.seal(uows, batch=batch * 2)
    return PayRunReport(
        n_sealed=first.n_sealed + last.n_sealed,
        n_records=accrued.n_records,
        n_entries=accrued.n_entries,
        n_bonuses=bonuses,
        head_seq=last.head_seq,
    )
