"""Payouts: batches above a minimum, their export for the provider, and its confirmation."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from shoplabel.domain.payouts import Confirmation, LineStatus
from shoplabel.errors import InvalidPayoutConfirmation
from shoplabel.services import payout_files, payouts
from shoplabel.web.deps import CurrentActor, UowDep
from shoplabel.web.schemas.pay import (
    ConfirmRead,
    ConfirmRowCreate,
    PayoutBatchCreate,
    PayoutBatchRead,
    PayoutLineRead,
)

__all__ = ["router"]

router = APIRouter(tags=["payouts"])


@router.get("/payouts")
def list_batches(actor: CurrentActor, uow: UowDep) -> list[PayoutBatchRead]:
    """Payout batches, newest first (admins)."""
    return [PayoutBatchRead.from_domain(b) for b in payouts.list_batches(uow, actor=actor)]


@router.post(
    "/payouts",
    status_code=201,
    responses={201: {"model": PayoutBatchRead}, 204: {"description": "Nobody to pay."}},
)
def create_batch(body: PayoutBatchCreate, actor: CurrentActor, uow: UowDep) -> Response:
    """Move every available balance of at least ``minimum`` into a new batch (admins)."""
    batch = payouts.create_batch(uow, actor=actor, currency=body.currency, minimum=body.minimum)
    if batch is None:
        return Response(status_code=204)
    return Response(
        PayoutBatchRead.from_domain(batch).model_dump_json(),
        status_code=201,
        media_type="application/json",
    )


@router.get("/payouts/{batch_id}/lines")
def batch_lines(batch_id: int, actor: CurrentActor, uow: UowDep) -> list[PayoutLineRead]:
    _, lines = payouts.batch_lines(uow, actor=actor, batch_id=batch_id)
    return [PayoutLineRead.from_domain(x) for x in lines]


@router.get("/payouts/{batch_id}/export", response_class=Response)
def export_batch(
    batch_id: int,
    actor: CurrentActor,
    uow: UowDep,
    fmt: Annotated[Literal["csv", "json"], Query(alias="format")] = "csv",
) -> Response:
    """The batch file for the payment provider (CSV or JSON)."""
    batch, lines = payouts.batch_lines(uow, actor=actor, batch_id=batch_id)
    media = "text/csv" if fmt == "csv" else "application/json"
    return Response(
        payout_files.export_text(batch, lines, fmt=fmt),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="payout-{batch_id}.{fmt}"'},
    )


def _rows(body: list[ConfirmRowCreate]) -> list[Confirmation]:
    out = []
    for i, r in enumerate(body, start=1):
        if r.status not in (LineStatus.PAID, LineStatus.FAILED):
            raise InvalidPayoutConfirmation(
                f"row {i}: status must be paid or failed", details={"row": i, "field": "status"}
            )
        out.append(
            Confirmation(i, r.reference, LineStatus(r.status), r.amount_minor, r.provider_ref)
        )
    return out


@router.post("/payouts/{batch_id}/confirm")
def confirm_batch(
    batch_id: int, body: list[ConfirmRowCreate], actor: CurrentActor, uow: UowDep
) -> ConfirmRead:
    """Apply the provider's confirmation: each line ``paid`` or ``failed`` (idempotent)."""
    report = payouts.confirm(uow, actor=actor, batch_id=batch_id, rows=_rows(body))
    return ConfirmRead.from_domain(report)
