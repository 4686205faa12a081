"""Builders for review and quality tests: a dynamic-overlap project whose split items go to
review, labelled through the real next-task and submit services."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from shoplabel.domain.ids import ItemId
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor, Role
from shoplabel.services import assignment, submissions
from tests.factories import add_items, make_actor, make_project, matching_payload

#: Dynamic overlap where two agreeing labels close an item (prior skill 0.7: posterior 0.845)
#: and a 2-1 split at the maximum of 3 (posterior 0.7) goes to review.
DYNAMIC = {"overlap_mode": "dynamic", "min_overlap": 2, "max_overlap": 3, "target_confidence": 0.8}


@dataclass(frozen=True)
class Crowd:
    owner: Actor
    workers: tuple[Actor, ...]
    reviewer: Actor
    project: Project


def label(
    uows: Callable[[], UnitOfWork], worker: Actor, project: Project, value: Any, ms: int | None
) -> ItemId:
    """``worker`` takes their next task and answers ``value``; return the item."""
    task = assignment.next_task(
        uows(), actor=worker, project_id=project.id, rng=np.random.default_rng(0)
    )
    assert task is not None
    submissions.submit(uows(), actor=worker, lease_id=task.lease_id, value=value, duration_ms=ms)
    return task.item_id


def build(
    uows: Callable[[], UnitOfWork],
    *,
    n_items: int,
    settings: dict[str, Any] | None = None,
    gold: Sequence[Any] | None = None,
) -> Crowd:
    owner = make_actor(uows(), "owner", Role.REQUESTER)
    workers = tuple(make_actor(uows(), f"w{i}", Role.WORKER) for i in range(4))
    reviewer = make_actor(uows(), "rev", Role.REVIEWER)
    project = make_project(uows(), owner, settings=settings or DYNAMIC)
    add_items(uows(), project.id, [matching_payload(i) for i in range(n_items)], gold=gold)
    return Crowd(owner=owner, workers=workers, reviewer=reviewer, project=project)


def split(uows: Callable[[], UnitOfWork], crowd: Crowd) -> ItemId:
    """Workers 0-2 label the next item same / different / same: it goes to review."""
    w = crowd.workers
    item = label(uows, w[0], crowd.project, "same", 1000)
    assert label(uows, w[1], crowd.project, "different", 2000) == item
    assert label(uows, w[2], crowd.project, "same", 3000) == item
    return item
