"""Replaying a real crowd through the real services.

Each recorded answer is one *arrival* of its worker, in submission order. On arrival the
worker asks for a task like any worker, restricted to the items they really answered and
have not been given yet; the project's policy and overlap rule decide which item (if any),
and the worker's recorded answer for that item is submitted. So the engine, not the
recording, decides what is asked and when an item is done.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor
from shoplabel.errors import WorkerBanned, WorkerSuspended
from shoplabel.services import assignment, submissions

__all__ = ["Answer", "ReplayReport", "replay"]


@dataclass(frozen=True, slots=True)
class Answer:
    """One recorded answer: ``worker`` labelled ``item_id`` with ``value``."""

    worker: str
    item_id: ItemId
    value: Any


@dataclass(frozen=True, slots=True)
class ReplayReport:
    arrivals: int
    submitted: int
    idle: int
    #: Arrivals refused because a quality rule banned or suspended the worker (also idle).
    blocked: int = 0


def replay(
    uows: Callable[[], UnitOfWork],
    answers: Sequence[Answer],
    *,
    project_id: ProjectId,
    actors: Mapping[str, Actor],
    rng: np.random.Generator,
    progress: Callable[[int], None] | None = None,
    after_submit: Callable[[int], None] | None = None,
) -> ReplayReport:
    """Replay ``answers`` (in order) into ``project_id``; ``actors`` maps worker -> account."""
    pending: dict[str, dict[ItemId, Any]] = defaultdict(dict)
    for a in answers:
        pending[a.worker][a.item_id] = a.value  # a repeated (worker, item): the last counts
    submitted = idle = blocked = 0
    for n, a in enumerate(answers, start=1):
        mine = pending[a.worker]
        task = None
        if mine:
            try:
                task = assignment.next_task(
                    uows(),
                    actor=actors[a.worker],
                    project_id=project_id,
                    rng=rng,
                    only=list(mine),
                )
            except (WorkerBanned, WorkerSuspended):
                # A quality rule blocked this worker: like a real one, they get nothing more
                # (a suspension may end, so their answers stay pending).
                blocked += 1
        if task is None:
            idle += 1
        else:
            submissions.submit(
                uows(), actor=actors[a.worker], lease_id=task.lease_id, value=mine.pop(task.item_id)
            )
            submitted += 1
            if after_submit:
                after_submit(submitted)
        if progress:
            progress(n)
    return ReplayReport(arrivals=len(answers), submitted=submitted, idle=idle, blocked=blocked)
