"""What every background job runner needs: who queued it (for the permission checks) and a
progress callback that writes the job's progress row."""

from __future__ import annotations

from collections.abc import Callable

from shoplabel.domain.ids import ProjectId
from shoplabel.domain.jobs import Job
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor
from shoplabel.errors import JobNotFound

__all__ = ["job_owner", "job_progress"]


def job_owner(uows: Callable[[], UnitOfWork], job: Job) -> tuple[Actor, ProjectId]:
    """The job's creator as an actor, and its project.

    Raises:
        JobNotFound: the job has no project or no creator.
    """
    if job.project_id is None or job.created_by is None:
        raise JobNotFound(f"{job.kind.value} job {job.id} has no project or owner")
    with uows().reading() as uow:
        # The creator's current role applies: a demoted requester's queued job fails.
        return Actor.of(uow.users.get(job.created_by)), job.project_id


def job_progress(uows: Callable[[], UnitOfWork], job: Job) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback that records the job's progress (own transaction)."""

    def progress(done: int, total: int) -> None:
        with uows() as uow:
            uow.jobs.set_progress(job.id, done=done, total=total)
            uow.commit()

    return progress
