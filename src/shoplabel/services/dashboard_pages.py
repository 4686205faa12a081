"""Read-only view for the requester dashboard page: the counters and consensus aggregates of
:func:`shoplabel.services.dashboards.project_dashboard` with the quality report of
:func:`shoplabel.services.quality_report.quality_report` (both check the role and are bounded:
GROUP BY queries on one project, sampled labels, capped workers)."""

from __future__ import annotations

from dataclasses import dataclass

from shoplabel.domain.ids import ProjectId
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor
from shoplabel.services.dashboards import ProjectDashboard, project_dashboard
from shoplabel.services.quality_report import QualityReport, quality_report

__all__ = ["DashboardPage", "dashboard_page"]


@dataclass(frozen=True, slots=True)
class DashboardPage:
    dashboard: ProjectDashboard
    report: QualityReport


def dashboard_page(uow: UnitOfWork, *, actor: Actor, project_id: ProjectId) -> DashboardPage:
    """Raises ``ProjectNotFound`` or ``PermissionDenied`` unless ``actor`` manages the project."""
    return DashboardPage(
        dashboard=project_dashboard(uow, actor=actor, project_id=project_id),
        report=quality_report(uow, actor=actor, project_id=project_id),
    )
