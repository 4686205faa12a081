"""A crowd of simulated workers labelling one project through the real services.

Used by the concurrency tests in threads and in separate processes (importable, picklable
entry point), and kept free of pytest so a spawned process can import it cheaply.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine

from shoplabel.domain.ids import ProjectId, UserId
from shoplabel.domain.users import Actor, Role
from shoplabel.errors import StorageBusy
from shoplabel.services import assignment, submissions
from shoplabel.storage.engine import make_engine
from shoplabel.storage.uow import SqlUnitOfWork

MAX_IDLE_POLLS = 100


def _open_items(engine: Engine, project_id: int) -> bool:
    with SqlUnitOfWork(engine).reading() as uow:
        return uow.projects.get(ProjectId(project_id)).counters.n_open > 0


@dataclass(frozen=True)
class CrowdResult:
    submitted: int
    skipped: int
    busy_retries: int


def label_until_done(
    url: str, project_id: int, user_id: int, seed: int, skip_rate: float = 0.1
) -> CrowdResult:
    """Loop next-task -> submit (or skip) until the project has nothing left for this worker."""
    engine = make_engine(url, pool_size=2)
    actor = Actor(user_id=UserId(user_id), username=f"u{user_id}", role=Role.WORKER)
    rnd = random.Random(seed)
    rng = np.random.default_rng(seed)
    submitted = skipped = busy = idle = 0
    try:
        while True:
            try:
                task = assignment.next_task(
                    SqlUnitOfWork(engine), actor=actor, project_id=ProjectId(project_id), rng=rng
                )
                if task is None:
                    # Nothing for me now; a skip elsewhere may still free a slot. Real workers
                    # come back, so poll until no item is open or nothing changes for a while.
                    if idle >= MAX_IDLE_POLLS or not _open_items(engine, project_id):
                        break
                    idle += 1
                    time.sleep(0.02)
                    continue
                idle = 0
                if rnd.random() < skip_rate:
                    assignment.skip(SqlUnitOfWork(engine), actor=actor, lease_id=task.lease_id)
                    skipped += 1
                else:
                    submissions.submit(
                        SqlUnitOfWork(engine),
                        actor=actor,
                        lease_id=task.lease_id,
                        value=rnd.choice(["same", "different"]),
                    )
                    submitted += 1
            except StorageBusy:
                busy += 1
    finally:
        engine.dispose()
    return CrowdResult(submitted, skipped, busy)


def label_many(args: tuple[str, int, list[int], int]) -> list[CrowdResult]:
    """Process entry point: several workers, one after another (each a full loop)."""
    url, project_id, user_ids, seed = args
    return [label_until_done(url, project_id, u, seed + u) for u in user_ids]
