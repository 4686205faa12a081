"""The tamper-evident audit trail's format: canonical record bodies and the hash chain.

Record ``seq`` (1, 2, ...) carries ``hash = sha256(f"{seq}|{prev_hash}|{body}")`` in lower-case
hex, where ``prev_hash`` is the previous record's hash (64 zeros before the first record) and
``body`` the record's canonical JSON text (UTF-8, keys sorted, no spaces). Editing a body or a
hash breaks the record's link; deleting a record leaves a gap in ``seq`` and breaks the next
link; deleting the last records no longer matches the chain head. An auditor can check an
export with ten lines of any language (docs/payments.md shows them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

__all__ = [
    "GENESIS",
    "AuditKind",
    "BreakReason",
    "ChainBreak",
    "ChainState",
    "canonical",
    "link_hash",
    "verify_links",
]

GENESIS: Final = "0" * 64


class AuditKind(StrEnum):
    LABEL_SUBMITTED = "label.submitted"
    ITEM_ACCEPTED = "item.accepted"  # consensus reached (done by the overlap rule)
    REVIEW_DECIDED = "review.decided"
    LABELS_REJECTED = "quality.labels_rejected"  # a quality rule dropped a worker's labels
    PAY_RULE_CHANGED = "pay_rule.changed"
    PAY_ENTRY = "pay.entry"
    PAYOUT_CREATED = "payout.created"
    PAYOUT_CONFIRMED = "payout.confirmed"
    ROLE_CHANGED = "user.role_changed"
    STATUS_CHANGED = "user.status_changed"
    PII_REVEALED = "pii.revealed"


def canonical(body: Mapping[str, Any]) -> str:
    """The one text form of a record body that gets hashed."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(seq: int, prev_hash: str, body: str) -> str:
    return hashlib.sha256(f"{seq}|{prev_hash}|{body}".encode()).hexdigest()


class BreakReason(StrEnum):
    EDITED = "edited"  # the stored hash does not match the record (body or hash changed)
    MISSING = "missing"  # a gap in seq: this record (and maybe more) was deleted
    HEAD = "head"  # the last record does not match the chain head (records deleted at the end)


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first broken link: the record ``seq`` and why."""

    seq: int
    reason: BreakReason
    detail: str


@dataclass(frozen=True, slots=True)
class ChainState:
    """Where a verification stands: the last checked record and how many were checked."""

    seq: int
    hash: str
    n_checked: int


def verify_links(
    rows: Iterable[tuple[int, str, str]], state: ChainState
) -> tuple[ChainState, ChainBreak | None]:
    """Check ``(seq, body, hash)`` rows in seq order, continuing from ``state``.

    Returns the state after the last good row and the first break, if any (checking stops
    there).
    """
    sha = hashlib.sha256
    seq, prev, n = state.seq, state.hash, state.n_checked
    for row_seq, body, stored in rows:
        if row_seq != seq + 1:
            brk = ChainBreak(
                seq + 1, BreakReason.MISSING, f"records {seq + 1}..{row_seq - 1} are missing"
            )
            return ChainState(seq, prev, n), brk
        if sha(f"{row_seq}|{prev}|{body}".encode()).hexdigest() != stored:
            brk = ChainBreak(row_seq, BreakReason.EDITED, "the hash does not match the record")
            return ChainState(seq, prev, n), brk
        seq, prev, n = row_seq, stored, n + 1
    return ChainState(seq, prev, n), None
