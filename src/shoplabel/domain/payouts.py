"""Payout batches: earnings above a minimum, exported for the payment provider, settled by the
provider's confirmation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shoplabel.domain.ids import UserId

__all__ = [
    "BatchStatus",
    "Confirmation",
    "LineStatus",
    "PayoutBatch",
    "PayoutLine",
    "line_reference",
]


class BatchStatus(StrEnum):
    OPEN = "open"  # exported, some lines await the provider's confirmation
    SETTLED = "settled"  # every line is paid or failed


class LineStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PayoutBatch:
    id: int
    currency: str
    minimum: int
    status: BatchStatus
    n_lines: int
    total: int
    created_at: datetime
    settled_at: datetime | None


@dataclass(frozen=True, slots=True)
class PayoutLine:
    id: int
    batch_id: int
    worker_id: UserId
    username: str
    amount: int
    currency: str
    status: LineStatus
    provider_ref: str
    settled_at: datetime | None

    @property
    def reference(self) -> str:
        return line_reference(self.batch_id, self.id)


def line_reference(batch_id: int, line_id: int) -> str:
    """The reference sent to the provider and expected back in its confirmation."""
    return f"SL-{batch_id}-{line_id}"


@dataclass(frozen=True, slots=True)
class Confirmation:
    """One row of a provider confirmation: the line's reference, its outcome and amount."""

    row: int
    reference: str
    status: LineStatus
    amount: int
    provider_ref: str
