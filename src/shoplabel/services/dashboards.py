"""Read-only views for pages: the worker's home list and the requester's projects.

Everything comes from maintained counters (``Project.counters``, ``worker_states``), so these
pages cost the same for 1k and 1M items.
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
    "managed_project",
    "managed_projects",
    "worker_home",
]

#: Bins of the consensus confidence histogram (computed by the quality snapshot).
CONFIDENCE_BINS = 10


@dataclass(frozen=True, slots=True)
class HomeProject:
    """A project a worker may label, with how many labels they gave in it."""

    project: Project
    my_labels: int


def worker_home(uow: UnitOfWork, *, actor: Actor, limit: int = 100) -> list[HomeProject]:
    """The projects ``actor`` may see (as :func:`list_projects`) with their own label counts."""
    visible = list_projects(uow, actor=actor, offset=0, limit=limit)
    with uow.reading():
        counts = uow.dashboards.worker_label_counts(actor.user_id, [p.id for p in visible])
    return [HomeProject(project=p, my_labels=counts.get(p.id, 0)) for p in visible]


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
