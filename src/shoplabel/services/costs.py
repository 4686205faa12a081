"""What a project costs its requester: spend, cost per accepted label, spend over time, and
the cost vs. estimated accuracy curve shown next to the quality dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shoplabel.domain.ids import ProjectId
from shoplabel.domain.pay_rules import PayRuleVersion
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor
from shoplabel.services.projects import visible_project

__all__ = ["CostCurvePoint", "DayCost", "ProjectCosts", "project_costs"]


@dataclass(frozen=True, slots=True)
class DayCost:
    day: date
    spend: int
    n_accepted: int
    cum_spend: int


@dataclass(frozen=True, slots=True)
class CostCurvePoint:
    """Done items that needed ``n_labels`` labels: what one such item cost at the average
    cost per accepted label, and their mean consensus confidence (estimated accuracy)."""

    n_labels: int
    n_items: int
    cost_per_item: float
    mean_confidence: float


@dataclass(frozen=True, slots=True)
class ProjectCosts:
    """Amounts in minor units of ``currency`` (``None`` before the project has a pay rule)."""

    project_id: ProjectId
    project_name: str
    currency: str | None
    spent: int
    n_accepted: int
    cost_per_label: float | None
    by_day: tuple[DayCost, ...]
    curve: tuple[CostCurvePoint, ...]
    rules: tuple[PayRuleVersion, ...]


def project_costs(uow: UnitOfWork, *, actor: Actor, project_id: ProjectId) -> ProjectCosts:
    """Costs of a project, for its managers.

    Raises:
        ProjectNotFound: unknown or invisible project. PermissionDenied: not a manager.
    """
    with uow.reading():
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"see the costs of project {project_id}")
        rules = uow.pay_rules.list_for(project_id)
        days = uow.ledger.spend_by_day(project_id)
        done = uow.quality.done_confidence(project_id)
    currency = rules[-1].rule.currency if rules else None
    by_day, cum = [], 0
    for day, cur, spend, n in days:
        if cur != currency:
            continue
        cum += spend
        by_day.append(DayCost(day, spend, n, cum))
    n_accepted = sum(d.n_accepted for d in by_day)
    per_label = cum / n_accepted if n_accepted > 0 else None
    curve = tuple(
        CostCurvePoint(
            n_labels=n_labels,
            n_items=n_items,
            cost_per_item=round(n_labels * per_label, 2),
            mean_confidence=round(conf, 6),
        )
        for n_labels, n_items, conf in done
        if per_label is not None
    )
    return ProjectCosts(
        project_id=project_id,
        project_name=project.name,
        currency=currency,
        spent=cum,
        n_accepted=n_accepted,
        cost_per_label=None if per_label is None else round(per_label, 4),
        by_day=tuple(by_day),
        curve=curve,
        rules=tuple(rules),
    )
