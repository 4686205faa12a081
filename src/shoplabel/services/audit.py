"""The tamper-evident audit trail: record, seal, verify and export.

Actions write their record unsealed, in their own transaction (one small INSERT, no lock on
the chain); :func:`seal` later gives the records their place in the hash chain in batches, in
id order, under a conditional update of the chain head (one sealer at a time). The chain
format is in :mod:`shoplabel.domain.audit`; :func:`verify` recomputes it and names the first
broken link.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
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


def record(
    uow: UnitOfWork, kind: AuditKind, fields: Mapping[str, Any], *, with_commit: bool = False
) -> None:
    """Append an (unsealed) audit record inside the caller's transaction.

    ``with_commit``: the caller does not read the record back before committing, so the
    storage may send it together with the commit (the submit path does this).
    """
    body = canonical({"kind": kind.value, "at": uow.now().isoformat(), **fields})
    uow.audit.append(body, now=uow.now(), with_commit=with_commit)


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


def _links(
    uows: Callable[[], UnitOfWork], lo: int, hi: int, batch: int
) -> tuple[ChainState, ChainBreak | None]:
    """Check records ``lo + 1 .. hi`` against the stored hash of record ``lo``: each link
    needs only its record and the previous stored hash, so ranges are independent."""
    with uows().reading() as uow:
        state = ChainState(0, GENESIS, 0)
        if lo > 0:
            first = uow.audit.chain(after_seq=lo - 1, limit=1)
            if not first or first[0][0] != lo:
                return state, ChainBreak(lo, BreakReason.MISSING, f"record {lo} is missing")
            state = ChainState(lo, first[0][2], 0)
        broken: ChainBreak | None = None
        while state.seq < hi and broken is None:
            rows = [r for r in uow.audit.chain(after_seq=state.seq, limit=batch) if r[0] <= hi]
            if not rows:
                break
            state, broken = verify_links(rows, state)
    return state, broken


def _check_range(
    uows: Callable[[], UnitOfWork], lo: int, hi: int, batch: int, *, tail: bool
) -> tuple[ChainState, ChainBreak | None]:
    state, broken = _links(uows, lo, hi, batch)
    if broken is None and state.seq != hi:
        # The records ran out before ``hi``; at the end of the chain (``tail``) the head
        # names records that are gone.
        what = f"the chain ends at record {state.seq} but the head says {hi}"
        if not tail:
            what = f"records {state.seq + 1}..{hi} are missing"
        reason = BreakReason.HEAD if tail else BreakReason.MISSING
        broken = ChainBreak(state.seq + 1, reason, what)
    return state, broken


def _check_range_in_process(
    opener: Callable[[], Callable[[], UnitOfWork]], lo: int, hi: int, batch: int, tail: bool
) -> tuple[ChainState, ChainBreak | None]:
    return _check_range(opener(), lo, hi, batch, tail=tail)


def _ranges(head_seq: int, n: int) -> list[tuple[int, int]]:
    step = max(1, -(-head_seq // n))
    return [(lo, min(lo + step, head_seq)) for lo in range(0, head_seq, step)]


Part = tuple[int, ChainState, ChainBreak | None]


def _parallel(
    opener: Callable[[], Callable[[], UnitOfWork]],
    head_seq: int,
    *,
    workers: int,
    batch: int,
    progress: Progress | None,
) -> list[Part]:
    ranges = _ranges(head_seq, workers * 4)
    done = 0
    out = []
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {
            pool.submit(_check_range_in_process, opener, lo, hi, batch, hi == head_seq): lo
            for lo, hi in ranges
        }
        for future in as_completed(futures):
            state, broken = future.result()
            out.append((futures[future], state, broken))
            done += state.n_checked
            if progress is not None:
                progress(done, head_seq)
    return sorted(out, key=lambda r: r[0])


def _report(parts: list[Part], head: tuple[int, str], n_unsealed: int) -> VerifyReport:
    breaks = [b for _, _, b in parts if b is not None]
    broken = min(breaks, key=lambda b: b.seq) if breaks else None
    last = parts[-1][1]
    if broken is None and (last.seq, last.hash) != head:
        # Same length, another hash: the last record's hash was rewritten.
        broken = ChainBreak(head[0], BreakReason.HEAD, "the last record does not match the head")
    n_checked = sum(s.n_checked for lo, s, _ in parts if broken is None or lo < broken.seq)
    if broken is not None:
        n_checked = min(n_checked, broken.seq - 1)
    return VerifyReport(head[0], n_checked, n_unsealed, broken)


def verify(
    uows: Callable[[], UnitOfWork],
    *,
    actor: Actor | None = None,
    batch: int = 100_000,
    progress: Progress | None = None,
    workers: int = 1,
    opener: Callable[[], Callable[[], UnitOfWork]] | None = None,
) -> VerifyReport:
    """Recompute the chain from the first record to the head.

    With ``workers`` > 1 and an ``opener`` (a picklable callable returning a unit-of-work
    factory in the child process, see ``bootstrap.UowOpener``) the seq range is split across
    processes; the result is the same.

    Raises:
        PermissionDenied: ``actor`` is not an admin.
    """
    require_auditor(actor)
    with uows().reading() as uow:
        head = uow.audit.head()
        n_unsealed = uow.audit.count_unsealed()
    if workers > 1 and opener is not None and head[0] > 0:
        parts = _parallel(opener, head[0], workers=workers, batch=batch, progress=progress)
    else:
        state, brk = _check_range(uows, 0, head[0], batch, tail=True)
        parts = [(0, state, brk)]
        if progress is not None:
            progress(state.n_checked, head[0])
    return _report(parts, head, n_unsealed)


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
