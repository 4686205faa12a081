"""Pay: rules, a worker's earnings, a project's costs, leaderboards, and running the pipeline."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from shoplabel.domain.ids import ProjectId
from shoplabel.services import costs, earnings, leaderboards, pay_rules, pay_run
from shoplabel.web.deps import CurrentActor, UowDep, UowFactoryDep
from shoplabel.web.schemas.pay import (
    CostsRead,
    EarningsRead,
    LeaderboardRead,
    OptInUpdate,
    PayRuleRead,
    PayRunRead,
)

__all__ = ["router"]

router = APIRouter(tags=["pay"])


@router.get("/me/earnings")
def my_earnings(
    actor: CurrentActor,
    uow: UowDep,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=earnings.MAX_PAGE)] = 50,
) -> EarningsRead:
    """Your balances (pending, in payout, paid), entries, rejections with reasons, payouts."""
    view = earnings.my_earnings(uow, actor=actor, before_id=before_id, limit=limit)
    return EarningsRead.from_domain(view)


@router.get("/projects/{project_id}/pay-rules")
def list_pay_rules(project_id: ProjectId, actor: CurrentActor, uow: UowDep) -> list[PayRuleRead]:
    """Every version of the project's pay rule, oldest first."""
    versions = pay_rules.list_rules(uow, actor=actor, project_id=project_id)
    return [PayRuleRead.from_domain(v) for v in versions]


@router.post("/projects/{project_id}/pay-rules", status_code=201)
def set_pay_rule(
    project_id: ProjectId,
    actor: CurrentActor,
    uow: UowDep,
    rule: Annotated[dict[str, Any], Body(description="A pay rule (docs/payments.md).")],
) -> PayRuleRead:
    """Store a new version of the pay rule; it applies to work accepted from now on."""
    version = pay_rules.set_rule(uow, actor=actor, project_id=project_id, rule=rule)
    return PayRuleRead.from_domain(version)


@router.get("/projects/{project_id}/costs")
def project_costs(project_id: ProjectId, actor: CurrentActor, uow: UowDep) -> CostsRead:
    """Spend, cost per accepted label, spend per day and cost vs. accuracy (managers)."""
    return CostsRead.from_domain(costs.project_costs(uow, actor=actor, project_id=project_id))


@router.get("/projects/{project_id}/leaderboard")
def leaderboard(
    project_id: ProjectId,
    actor: CurrentActor,
    uow: UowDep,
    period: leaderboards.Period = leaderboards.Period.WEEK,
) -> LeaderboardRead:
    """Opted-in workers ranked over the period (only if the pay rule enables leaderboards)."""
    board = leaderboards.leaderboard(uow, actor=actor, project_id=project_id, period=period)
    return LeaderboardRead.from_domain(board)


@router.put("/projects/{project_id}/leaderboard/opt-in", status_code=204)
def opt_in(project_id: ProjectId, body: OptInUpdate, actor: CurrentActor, uow: UowDep) -> None:
    """Appear on the project's leaderboard under ``display_name`` (or leave it)."""
    leaderboards.set_opt_in(
        uow, actor=actor, project_id=project_id, opt_in=body.opt_in, display_name=body.display_name
    )


@router.post("/pay/run")
def run_pay(actor: CurrentActor, uows: UowFactoryDep) -> PayRunRead:
    """Seal the audit trail, accrue pay and bonuses now (admins; the job worker does it
    every ``SHOPLABEL_PAY_RUN_SECONDS``)."""
    return PayRunRead.from_domain(pay_run.run(uows, actor=actor))
