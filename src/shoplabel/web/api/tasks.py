"""Labelling: get the next task, submit an answer, skip.

These three are the hot path (every worker calls them all day), and they run **on the event
loop**, not in the thread pool: they are ``async def`` around synchronous services. A service
call is a few milliseconds of CPU plus local database calls. In the thread pool, 16 busy
workers meant 16 threads contending for the GIL; a thread that released it for a database call
then waited up to the interpreter's 5 ms switch interval to get it back, while it held the
database's writer turn, so throughput collapsed into a convoy (docs/benchmarks.md, "Third
optimisation pass"). Inline, requests of one process run one after another at full speed;
use ``--workers`` to run several processes. The trade-off: a request that waits (SQLite's
writer turn held by a bulk import, a PostgreSQL row lock) stalls its process's other requests
for that long; both waits are bounded (``StorageBusy`` after the lock timeout).
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from shoplabel.domain.ids import LeaseId, ProjectId
from shoplabel.services import assignment, submissions
from shoplabel.web.deps import CurrentActor, RngDep, UowDep
from shoplabel.web.responses import model_response
from shoplabel.web.schemas.work import AnnotationRead, AnnotationSubmit, TaskRead

__all__ = ["router"]

router = APIRouter(tags=["tasks"])


@router.post(
    "/projects/{project_id}/tasks/next",
    response_model=TaskRead,
    responses={204: {"description": "Nothing is left for you in this project."}},
)
async def next_task(
    project_id: ProjectId, actor: CurrentActor, uow: UowDep, rng: RngDep
) -> Response:
    """Lease the next item to label (or the one you already hold)."""
    task = assignment.next_task(uow, actor=actor, project_id=project_id, rng=rng)
    if task is None:
        return Response(status_code=204)
    return model_response(TaskRead.from_domain(task))


@router.post("/tasks/{lease_id}/annotations", status_code=201, response_model=AnnotationRead)
async def submit_annotation(
    lease_id: LeaseId, body: AnnotationSubmit, actor: CurrentActor, uow: UowDep
) -> Response:
    annotation = submissions.submit(
        uow, actor=actor, lease_id=lease_id, value=body.value, duration_ms=body.duration_ms
    )
    return model_response(AnnotationRead.from_domain(annotation), status_code=201)


@router.post("/tasks/{lease_id}/skip", status_code=204)
async def skip_task(lease_id: LeaseId, actor: CurrentActor, uow: UowDep) -> Response:
    assignment.skip(uow, actor=actor, lease_id=lease_id)
    return Response(status_code=204)
