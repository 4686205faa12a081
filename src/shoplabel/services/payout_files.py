"""Payout files: the batch export for the payment provider (CSV or JSON) and the reading of
its confirmation. Amounts are written in minor units and as exact decimal text."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from shoplabel.domain.money import format_amount
from shoplabel.domain.payouts import Confirmation, LineStatus, PayoutBatch, PayoutLine
from shoplabel.errors import InvalidPayoutConfirmation

__all__ = ["CONFIRM_COLUMNS", "EXPORT_COLUMNS", "batch_of", "export_text", "parse_confirmation"]

EXPORT_COLUMNS = (
    "reference",
    "batch_id",
    "worker_id",
    "username",
    "currency",
    "amount_minor",
    "amount",
)
CONFIRM_COLUMNS = ("reference", "status", "amount_minor", "provider_ref")
_REF = re.compile(r"^SL-(\d+)-(\d+)$")


def _rows(lines: Sequence[PayoutLine]) -> list[dict[str, Any]]:
    return [
        {
            "reference": line.reference,
            "batch_id": line.batch_id,
            "worker_id": line.worker_id,
            "username": line.username,
            "currency": line.currency,
            "amount_minor": line.amount,
            "amount": format_amount(line.amount, line.currency),
        }
        for line in lines
    ]


def export_text(batch: PayoutBatch, lines: Sequence[PayoutLine], *, fmt: str) -> str:
    """The batch as ``csv`` (one row per line) or ``json`` (batch header and lines)."""
    if fmt == "json":
        header = {
            "batch_id": batch.id,
            "currency": batch.currency,
            "total_minor": batch.total,
            "total": format_amount(batch.total, batch.currency),
            "n_lines": batch.n_lines,
        }
        return json.dumps({**header, "lines": _rows(lines)}, ensure_ascii=False, indent=2) + "\n"
    if fmt != "csv":
        raise InvalidPayoutConfirmation(
            f"unknown format {fmt!r}; use csv or json", details={"field": "format"}
        )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_rows(lines))
    return out.getvalue()


def _confirmation(row: int, raw: Mapping[str, Any]) -> Confirmation:
    missing = [c for c in ("reference", "status", "amount_minor") if raw.get(c) in (None, "")]
    if missing:
        raise InvalidPayoutConfirmation(
            f"row {row}: missing {missing[0]}", details={"row": row, "field": missing[0]}
        )
    try:
        status = LineStatus(str(raw["status"]).strip().lower())
    except ValueError:
        status = LineStatus.PENDING
    if status is LineStatus.PENDING:
        raise InvalidPayoutConfirmation(
            f"row {row}: status must be paid or failed, got {raw['status']!r}",
            details={"row": row, "field": "status"},
        )
    amount = raw["amount_minor"]
    if isinstance(amount, str) and amount.strip().lstrip("-").isdigit():
        amount = int(amount.strip())
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidPayoutConfirmation(
            f"row {row}: amount_minor must be an integer",
            details={"row": row, "field": "amount_minor"},
        )
    return Confirmation(
        row=row,
        reference=str(raw["reference"]).strip(),
        status=status,
        amount=amount,
        provider_ref=str(raw.get("provider_ref") or "").strip()[:200],
    )


def parse_confirmation(text: str, *, fmt: str) -> list[Confirmation]:
    """Rows of a confirmation: CSV with columns :data:`CONFIRM_COLUMNS`, or JSON (a list of
    such objects, or an object with ``lines``). Rows are numbered from 1 (data rows).

    Raises:
        InvalidPayoutConfirmation: unreadable file or bad row (named).
    """
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise InvalidPayoutConfirmation(f"not JSON: {e}", details={"field": "file"}) from None
        records = data.get("lines") if isinstance(data, dict) else data
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise InvalidPayoutConfirmation(
                "JSON confirmation must be a list of objects (or {'lines': [...]})",
                details={"field": "file"},
            )
    else:
        records = list(csv.DictReader(io.StringIO(text)))
    return [_confirmation(i, r) for i, r in enumerate(records, start=1)]


def batch_of(rows: Sequence[Confirmation]) -> int:
    """The batch every row's reference belongs to.

    Raises:
        InvalidPayoutConfirmation: a malformed reference, or rows of several batches.
    """
    batches = set()
    for c in rows:
        m = _REF.match(c.reference)
        if m is None:
            raise InvalidPayoutConfirmation(
                f"row {c.row}: reference {c.reference!r} is not of the form SL-<batch>-<line>",
                details={"row": c.row, "field": "reference"},
            )
        batches.add(int(m.group(1)))
    if len(batches) != 1:
        raise InvalidPayoutConfirmation(
            f"the confirmation must cover exactly one batch, found {sorted(batches)}",
            details={"field": "reference"},
        )
    return batches.pop()
