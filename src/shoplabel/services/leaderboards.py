"""Leaderboards: opt-in twice over. A project shows one only when its pay rule says
``"leaderboard": true``, and only workers who opted in appear, under the name they chose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from shoplabel.domain.ids import ProjectId, UserId
from shoplabel.domain.pay_rules import rule_at
from shoplabel.domain.permissions import can_manage_project
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor
from shoplabel.errors import InvalidInput
from shoplabel.services.access import require_labeller
from shoplabel.services.projects import visible_project

__all__ = ["Leaderboard", "LeaderboardRow", "Period", "leaderboard", "set_opt_in"]

MAX_NAME = 60
MAX_ROWS = 100


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    ALL = "all"


_DAYS = {Period.DAY: 1, Period.WEEK: 7, Period.MONTH: 30, Period.ALL: 365 * 200}


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    rank: int
    name: str
    n_accepted: int
    earned: int
    gold_accuracy: float | None
    is_me: bool


@dataclass(frozen=True, slots=True)
class Leaderboard:
    project_id: ProjectId
    enabled: bool
    period: Period
    start: date
    end: date
    currency: str | None
    rows: tuple[LeaderboardRow, ...]
    opted_in: bool


def set_opt_in(
    uow: UnitOfWork, *, actor: Actor, project_id: ProjectId, opt_in: bool, display_name: str = ""
) -> None:
    """Appear on (or leave) the project's leaderboard under ``display_name`` (default: the
    account's display name or username).

    Raises:
        PermissionDenied: the actor may not label the project. InvalidInput: name too long.
    """
    name = display_name.strip() or actor.username
    if len(name) > MAX_NAME:
        raise InvalidInput(
            f"display_name must be at most {MAX_NAME} characters", details={"field": "display_name"}
        )
    with uow:
        require_labeller(uow, actor, visible_project(uow, actor, project_id))
        uow.leaderboards.set_opt_in(
            project_id, actor.user_id, display_name=name if opt_in else None
        )
        uow.commit()


def _rows(
    uow: UnitOfWork,
    project_id: ProjectId,
    names: dict[UserId, str],
    me: UserId,
    span: tuple[date, date],
) -> tuple[LeaderboardRow, ...]:
    start, end = span
    totals = uow.ledger.period_totals(project_id, start=start, end=end)
    gold = uow.ledger.period_scores(project_id, start=start, end=end, score_kind="gold")
    ranked = sorted(
        ((w, totals[w]) for w in names if w in totals and totals[w][0] > 0),
        key=lambda wt: (-wt[1][0], -wt[1][1], wt[0]),
    )[:MAX_ROWS]
    return tuple(
        LeaderboardRow(
            rank=i + 1,
            name=names[w],
            n_accepted=n,
            earned=earned,
            gold_accuracy=round(gold[w][1] / gold[w][0], 4) if w in gold and gold[w][0] else None,
            is_me=w == me,
        )
        for i, (w, (n, earned)) in enumerate(ranked)
    )


def leaderboard(
    uow: UnitOfWork, *, actor: Actor, project_id: ProjectId, period: Period = Period.WEEK
) -> Leaderboard:
    """Opted-in workers ranked by accepted labels (then earnings) over ``period`` up to today.

    Raises:
        ProjectNotFound: unknown or invisible project. PermissionDenied: neither a labeller nor
            a manager of the project.
    """
    with uow.reading():
        project = visible_project(uow, actor, project_id)
        if not can_manage_project(actor, project):
            require_labeller(uow, actor, project)
        today = uow.now().date()
        end = today + timedelta(days=1)
        start = end - timedelta(days=_DAYS[period])
        v = rule_at(uow.pay_rules.list_for(project_id), uow.now())
        enabled = v is not None and v.rule.leaderboard
        names = uow.leaderboards.opted_in(project_id)
        rows = _rows(uow, project_id, names, actor.user_id, (start, end)) if enabled else ()
    return Leaderboard(
        project_id=project_id,
        enabled=enabled,
        period=period,
        start=start,
        end=end,
        currency=None if v is None else v.rule.currency,
        rows=rows,
        opted_in=actor.user_id in names,
    )
