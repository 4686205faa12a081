"""Read-only views for pages: the worker's home list and a project's dashboard.

Everything comes from maintained counters (``Project.counters``) or from small GROUP BY
queries on one project, so a dashboard costs the same for 1k and 1M items.
"""

from __future__ import annotations

from dataclasses import dataclass

from shoplabel.domain.ids import ProjectId
from shoplabel.domain.permissions import can_create_project, can_manage_project, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor
from shoplabel.services.projects import list_projects, visible_project

__all__ = [
    "CONFIDENCE_BINS",
    "HomeProject",
    "ProjectDashboard",
    "managed_project",
    "managed_projects",
    "project_dashboard",
    "worker_home",
]

CONFIDENCE_BINS = 10


@dataclass(frozen=True, slots=True)
class HomeProject:
    """A project a worker may label, with how many labels they gave in it."""

    project: Project
    my_labels: int


@dataclass(frozen=True, slots=True)
class ProjectDashboard:
    """What the requester dashboard plots; counts only, never items."""

    project: Project
    label_counts: tuple[tuple[str, int], ...]
    confidence_bins: tuple[int, ...]


def worker_home(uow: UnitOfWork, *, actor: Actor, limit: int = 100) -> list[HomeProject]:
    """The projects ``actor`` may see (as :func:`list_projects`) with their own label counts."""
    visible = list_projects(uow, actor=actor, offset=0, limit=limit)
    with uow.reading():
        counts = uow.dashboards.worker_label_counts(actor.user_id, [p.id for p in visible])
    return [HomeProject(project=p, my_labels=counts.get(p.id, 0)) for p in visible]


def project_dashboard(uow: UnitOfWork, *, actor: Actor, project_id: ProjectId) -> ProjectDashboard:
    """Counters and consensus aggregates of a project: its managers only.

    Raises:
        ProjectNotFound: no such project, or not visible to ``actor``.
        PermissionDenied: visible but not managed by ``actor``.
    """
    with uow.reading():
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"see the dashboard of project {project_id}")
        labels = uow.dashboards.consensus_label_counts(project_id)
        bins = uow.dashboards.consensus_confidence_bins(project_id, n_bins=CONFIDENCE_BINS)
    return ProjectDashboard(
        project=project, label_counts=tuple(labels), confidence_bins=tuple(bins)
    )


def managed_projects(uow: UnitOfWork, *, actor: Actor, limit: int = 100) -> list[Project]:
    """The requester's own projects (all of them for an admin).

    Raises:
        PermissionDenied: the actor is a worker or reviewer.
    """
    require(can_create_project(actor), "manage projects (requesters and admins only)")
    return list_projects(uow, actor=actor, offset=0, limit=limit)


def managed_project(uow: UnitOfWork, *, actor: Actor, project_id: ProjectId) -> Project:
    """A project with its maintained counters, for one of its managers.

    Raises:
        ProjectNotFound: no such project, or not visible to ``actor``.
        PermissionDenied: visible but not managed by ``actor``.
    """
    with uow.reading():
        project = visible_project(uow, actor, project_id)
    require(can_manage_project(actor, project), f"manage project {project_id}")
    return project
