"""Pay pages: a worker's earnings and leaderboards, a requester's cost panel, admin payouts.

The same services as the JSON API (``services.earnings``, ``costs``, ``leaderboards``,
``payouts``); amounts are formatted from integer minor units by ``domain.money``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from shoplabel.domain.ids import ProjectId
from shoplabel.domain.money import CURRENCIES, format_amount
from shoplabel.services import costs, earnings, leaderboards, pay_run, payout_files, payouts
from shoplabel.web.deps import PlatformDep, UowDep, UowFactoryDep
from shoplabel.web.pages.common import CSRF_FIELD, PageUserDep, check_csrf, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
_MAX_CONFIRMATION_BYTES = 20 * 1024 * 1024


@router.get("/earnings", response_class=HTMLResponse)
def earnings_page(request: Request, user: PageUserDep, uow: UowDep) -> HTMLResponse:
    view = earnings.my_earnings(uow, actor=user.actor)
    return render(request, "pay/earnings.html", {"view": view, "money": format_amount}, user=user)


@router.get("/projects/{project_id}/leaderboard", response_class=HTMLResponse)
def leaderboard_page(
    project_id: ProjectId, request: Request, user: PageUserDep, uow: UowDep
) -> HTMLResponse:
    raw = request.query_params.get("period", "week")
    period = (
        leaderboards.Period(raw) if raw in set(leaderboards.Period) else leaderboards.Period.WEEK
    )
    board = leaderboards.leaderboard(uow, actor=user.actor, project_id=project_id, period=period)
    context = {"board": board, "periods": list(leaderboards.Period), "money": format_amount}
    return render(request, "pay/leaderboard.html", context, user=user)


@router.post("/projects/{project_id}/leaderboard", response_class=RedirectResponse)
def leaderboard_opt_in(
    project_id: ProjectId,
    user: PageUserDep,
    platform: PlatformDep,
    uow: UowDep,
    opt_in: Annotated[bool, Form()],
    display_name: Annotated[str, Form()] = "",
    csrf: CsrfField = "",
) -> RedirectResponse:
    check_csrf(platform.secret, user, csrf)
    leaderboards.set_opt_in(
        uow, actor=user.actor, project_id=project_id, opt_in=opt_in, display_name=display_name
    )
    return RedirectResponse(f"/projects/{project_id}/leaderboard", status_code=303)


@router.get("/projects/{project_id}/costs", response_class=HTMLResponse)
def costs_page(
    project_id: ProjectId, request: Request, user: PageUserDep, uow: UowDep
) -> HTMLResponse:
    view = costs.project_costs(uow, actor=user.actor, project_id=project_id)
    top = max((abs(d.spend) for d in view.by_day), default=0) or 1
    per_label = "–"
    if view.cost_per_label is not None and view.currency is not None:
        per_label = f"{view.cost_per_label / 10 ** CURRENCIES[view.currency]:.4f}"
    context = {"view": view, "money": format_amount, "top": top, "per_label": per_label}
    return render(request, "pay/costs.html", context, user=user)


@router.get("/admin/payouts", response_class=HTMLResponse)
def payouts_page(request: Request, user: PageUserDep, uow: UowDep) -> HTMLResponse:
    batches = payouts.list_batches(uow, actor=user.actor)
    context = {
        "batches": batches,
        "money": format_amount,
        "notice": request.query_params.get("notice", ""),
    }
    return render(request, "admin/payouts.html", context, user=user)


@router.post("/admin/payouts", response_class=RedirectResponse)
def create_payout(
    user: PageUserDep,
    platform: PlatformDep,
    uow: UowDep,
    currency: Annotated[str, Form()],
    minimum: Annotated[int, Form(ge=1)],
    csrf: CsrfField = "",
) -> RedirectResponse:
    check_csrf(platform.secret, user, csrf)
    batch = payouts.create_batch(
        uow, actor=user.actor, currency=currency.strip().upper(), minimum=minimum
    )
    notice = "created" if batch is not None else "empty"
    return RedirectResponse(f"/admin/payouts?notice={notice}", status_code=303)


@router.post("/admin/payouts/confirm", response_class=RedirectResponse)
def confirm_payout(
    user: PageUserDep,
    platform: PlatformDep,
    uows: UowFactoryDep,
    file: Annotated[UploadFile, File()],
    csrf: CsrfField = "",
) -> RedirectResponse:
    check_csrf(platform.secret, user, csrf)
    # A plain def (run in the thread pool): the services below do blocking database work.
    raw = file.file.read(_MAX_CONFIRMATION_BYTES)
    fmt = "json" if (file.filename or "").lower().endswith(".json") else "csv"
    rows = payout_files.parse_confirmation(raw.decode("utf-8-sig"), fmt=fmt)
    payouts.confirm(uows(), actor=user.actor, batch_id=payout_files.batch_of(rows), rows=rows)
    return RedirectResponse("/admin/payouts?notice=confirmed", status_code=303)


@router.post("/admin/pay/run", response_class=RedirectResponse)
def run_pay(
    user: PageUserDep, platform: PlatformDep, uows: UowFactoryDep, csrf: CsrfField = ""
) -> RedirectResponse:
    check_csrf(platform.secret, user, csrf)
    pay_run.run(uows, actor=user.actor)
    return RedirectResponse("/admin/payouts?notice=ran", status_code=303)
