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
from shoplabel.quality.errors import ExamAttemptsExhausted, ExamRequired
from shoplabel.services import assignment, exams, submissions
from shoplabel.services.assignment import Task

__all__ = ["Answer", "ReplayReport", "ReplaySetup", "replay"]


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
    #: Arrivals refused because a quality rule banned or suspended the worker, or because
    #: they failed the exam (also idle).
    blocked: int = 0
    #: Exam attempts taken.
    exams: int = 0


@dataclass(frozen=True, slots=True)
class ReplaySetup:
    """Where and how to replay: the project, worker -> account, and the label classes that
    a worker sitting the project's exam draws random answers from (for questions they
    never answered)."""

    project_id: ProjectId
    actors: Mapping[str, Actor]
    labels: Sequence[str] = ()


@dataclass
class _Counts:
    submitted: int = 0
    idle: int = 0
    blocked: int = 0
    exams: int = 0


@dataclass
class _Replayer:
    uows: Callable[[], UnitOfWork]
    setup: ReplaySetup
    rng: np.random.Generator
    recorded: Mapping[str, Mapping[ItemId, Any]]
    counts: _Counts

    def ask(self, worker: str, mine: Mapping[ItemId, Any]) -> Task | None:
        """The worker's next task among ``mine``; sits the exam first when asked to."""
        for _ in range(2):  # the second try follows an exam
            try:
                return assignment.next_task(
                    self.uows(),
                    actor=self.setup.actors[worker],
                    project_id=self.setup.project_id,
                    rng=self.rng,
                    only=list(mine),
                )
            except ExamRequired as e:
                if e.details.get("status") == "cooldown" or not self.setup.labels:
                    break
                self.take_exam(worker)
            except (WorkerBanned, WorkerSuspended, ExamAttemptsExhausted):
                # A quality rule blocked this worker: like a real one, they get nothing more
                # (a suspension may end, so their answers stay pending).
                break
        self.counts.blocked += 1
        return None

    def take_exam(self, worker: str) -> None:
        """Each question gets the worker's recorded answer to that item, or a seeded random
        class when they never answered it."""
        actor, pid, labels = self.setup.actors[worker], self.setup.project_id, self.setup.labels
        recorded = self.recorded[worker]
        view = exams.start_exam(self.uows(), actor=actor, project_id=pid, rng=self.rng)
        self.counts.exams += 1
        while view.question is not None:
            qid = view.question.item_id
            value = recorded.get(qid, labels[int(self.rng.integers(len(labels)))])
            view = exams.answer(self.uows(), actor=actor, project_id=pid, item_id=qid, value=value)


def replay(
    uows: Callable[[], UnitOfWork],
    answers: Sequence[Answer],
    setup: ReplaySetup,
    *,
    rng: np.random.Generator,
    progress: Callable[[int], None] | None = None,
    after_submit: Callable[[int], None] | None = None,
) -> ReplayReport:
    """Replay ``answers`` (in order) into the project of ``setup``."""
    pending: dict[str, dict[ItemId, Any]] = defaultdict(dict)
    for a in answers:
        pending[a.worker][a.item_id] = a.value  # a repeated (worker, item): the last counts
    counts = _Counts()
    replayer = _Replayer(uows, setup, rng, {w: dict(v) for w, v in pending.items()}, counts)
    for n, a in enumerate(answers, start=1):
        mine = pending[a.worker]
        task = replayer.ask(a.worker, mine) if mine else None
        if task is None:
            counts.idle += 1
        else:
            value = mine.pop(task.item_id)
            submissions.submit(
                uows(), actor=setup.actors[a.worker], lease_id=task.lease_id, value=value
            )
            counts.submitted += 1
            if after_submit:
                after_submit(counts.submitted)
        if progress:
            progress(n)
    return ReplayReport(
        arrivals=len(answers),
        submitted=counts.submitted,
        idle=counts.idle,
        blocked=counts.blocked,
        exams=counts.exams,
    )
