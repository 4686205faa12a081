"""The audit trail: verify the hash chain (admins)."""

from __future__ import annotations

from fastapi import APIRouter

from shoplabel.services import audit
from shoplabel.web.deps import CurrentActor, UowFactoryDep
from shoplabel.web.schemas.pay import AuditVerifyRead

__all__ = ["router"]

router = APIRouter(tags=["audit"])


@router.get("/audit/verify")
def verify(actor: CurrentActor, uows: UowFactoryDep) -> AuditVerifyRead:
    """Recompute the chain; ``broken_seq`` names the first edited or missing record."""
    return AuditVerifyRead.from_domain(audit.verify(uows, actor=actor))
