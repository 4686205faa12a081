"""Read-only views for the reviewer pages: one queue item with its project's label schema, and
the projects a reviewer may open.

Built on :mod:`shoplabel.services.review` (which checks the role) so the page handler calls one
function and gets one frozen view.
"""

from __future__ import annotations

from dataclasses import dataclass

from shoplabel.domain.ids import ProjectId
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor
from shoplabel.services.projects import list_projects, visible_project
from shoplabel.services.review import ReviewItem, review_queue

__all__ = ["ReviewPage", "review_page", "review_projects"]


@dataclass(frozen=True, slots=True)
class ReviewPage:
    """The item a reviewer decides next (``None`` when the queue is empty) and its project."""

    project: Project
    item: ReviewItem | None
    n_review: int
    wrapped: bool


def review_page(
    uow: UnitOfWork, *, actor: Actor, project_id: ProjectId, after_id: int = 0
) -> ReviewPage:
    """The first item in review after ``after_id``, wrapping round to the start of the queue.

    Raises:
        ProjectNotFound: no such project, or not visible to ``actor``.
        PermissionDenied: ``actor`` is neither a reviewer who may work here nor a manager.
    """
    queue = review_queue(uow, actor=actor, project_id=project_id, after_id=after_id, limit=1)
    wrapped = False
    if not queue.items and after_id > 0:
        queue = review_queue(uow, actor=actor, project_id=project_id, after_id=0, limit=1)
        wrapped = True
    with uow.reading():
        project = visible_project(uow, actor, project_id)
    item = queue.items[0] if queue.items else None
    return ReviewPage(project=project, item=item, n_review=queue.n_review, wrapped=wrapped)


def review_projects(uow: UnitOfWork, *, actor: Actor, limit: int = 100) -> list[Project]:
    """The projects ``actor`` may see that have items waiting for review (counters only)."""
    return [
        p for p in list_projects(uow, actor=actor, offset=0, limit=limit) if p.counters.n_review > 0
    ]
