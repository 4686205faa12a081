"""The tamper-evident audit trail: record, seal, verify and export.

Actions write their record unsealed, in their own transaction (one small INSERT, no lock on
the chain); :func:`seal` later gives the records their place in the hash chain in batches, in
id order, under a conditional update of the chain head (one sealer at a time). The chain
format is in :mod:`shoplabel.domain.audit`; :func:`verify` recomputes it and names the first
broken link.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shoplabel.domain.audit import (
    GENESIS,
    AuditKind,
    BreakReason,
    ChainBreak,
    ChainState,
    canonical,
    link_hash,
    verify_links,
)
from shoplabel.domain.permissions import can_manage_users, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor

__all__ = [
    "SealReport",
    "VerifyReport",
    "export",
    "record",
    "require_auditor",
    "seal",
    "verify",
]

Progress = Callable[[int, int], None]


def record(uow: UnitOfWork, kind: AuditKind, fields: Mapping[str, Any]) -> None:
    """Append an (unsealed) audit record inside the caller's transaction."""
    body = canonical({"kind": kind.value, "at": uow.now().isoformat(), **fields})
    uow.audit.append(body, now=uow.now())


def require_auditor(actor: Actor | None) -> None:
    """Admins (and the local operator, ``actor=None``) read the audit trail."""
    if actor is not None:
        require(can_manage_users(actor), "read the audit trail (admins only)")


@dataclass(frozen=True, slots=True)
class SealReport:
    n_sealed: int
    head_seq: int


def _seal_batch(uow: UnitOfWork, batch: int) -> int:
    seq, prev = uow.audit.head()
    rows = uow.audit.unsealed(limit=batch)
    if not rows:
        return 0
    sealed = []
    for row_id, body in rows:
        seq += 1
        prev = link_hash(seq, prev, body)
        sealed.append((row_id, seq, prev))
    if not uow.audit.advance_head(sealed[0][1] - 1, new_seq=seq, new_hash=prev):
        return -1  # another sealer got there first
    uow.audit.seal(sealed)
    uow.commit()
    return len(sealed)


def seal(
    uows: Callable[[], UnitOfWork], *, batch: int = 5000, max_batches: int = 1000
) -> SealReport:
    """Chain every unsealed record (up to ``batch * max_batches``), one transaction per batch."""
    total = 0
    for _ in range(max_batches):
        with uows() as uow:
            n = _seal_batch(uow, batch)
        if n <= 0:
            break
        total += n
    with uows().reading() as uow:
        head_seq, _ = uow.audit.head()
    return SealReport(n_sealed=total, head_seq=head_seq)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """``broken`` names the first bad link (``None``: the chain is intact up to the head)."""

    head_seq: int
    n_checked: int
    n_unsealed: int
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(
    uows: Callable[[], UnitOfWork],
    *,
    actor: Actor | None = None,
    batch: int = 100_000,
    progress: Progress | None = None,
) -> VerifyReport:
    """Recompute the chain from the first record to the head.

    Raises:
        PermissionDenied: ``actor`` is not an admin.
    """
    require_auditor(actor)
    state = ChainState(0, GENESIS, 0)
    broken: ChainBreak | None = None
    with uows().reading() as uow:
        head_seq, head_hash = uow.audit.head()
        n_unsealed = uow.audit.count_unsealed()
        while state.seq < head_seq and broken is None:
            rows = uow.audit.chain(after_seq=state.seq, limit=batch)
            rows = [r for r in rows if r[0] <= head_seq]
            if not rows:
                break
            state, broken = verify_links(rows, state)
            if progress is not None:
                progress(state.n_checked, head_seq)
    if broken is None and (state.seq, state.hash) != (head_seq, head_hash):
        broken = ChainBreak(
            state.seq + 1,
            BreakReason.HEAD,
            f"the chain ends at record {state.seq} but the head says {head_seq}",
        )
    return VerifyReport(head_seq, state.n_checked, n_unsealed, broken)


def export(
    uows: Callable[[], UnitOfWork],
    out: Path,
    *,
    actor: Actor | None = None,
    batch: int = 100_000,
    progress: Progress | None = None,
) -> tuple[int, str]:
    """Write the sealed chain as JSON lines ``{"seq", "prev_hash", "hash", "body"}`` and a
    last line ``{"head": {"seq", "hash"}}``; return the head."""
    require_auditor(actor)
    prev, last = GENESIS, 0
    with uows().reading() as uow, out.open("w", encoding="utf-8") as f:
        head_seq, head_hash = uow.audit.head()
        while last < head_seq:
            rows = [r for r in uow.audit.chain(after_seq=last, limit=batch) if r[0] <= head_seq]
            if not rows:
                break
            for seq, body, h in rows:
                line = {"seq": seq, "prev_hash": prev, "hash": h, "body": body}
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
                prev, last = h, seq
            if progress is not None:
                progress(last, head_seq)
        f.write(json.dumps({"head": {"seq": head_seq, "hash": head_hash}}) + "\n")
    return head_seq, head_hash
