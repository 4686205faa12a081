"""The learned routing policy: trained by an aggregation run, then ranking candidates."""

from __future__ import annotations

import numpy as np

from shoplabel.domain.scheduling import NextReason
from shoplabel.domain.users import Role
from shoplabel.ml.router import fit_router
from shoplabel.services import aggregation, assignment, submissions
from shoplabel.services.posteriors import current_model
from tests.conftest import Database
from tests.factories import add_items, make_actor, make_project, matching_payload


def test_learned_policy_trains_on_history_and_routes(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    workers = [make_actor(db.uow(), f"w{i}", Role.WORKER) for i in range(5)]
    project = make_project(
        db.uow(), owner, settings={"assignment_policy": "learned", "max_overlap": 3}
    )
    add_items(db.uow(), project.id, [matching_payload(i) for i in range(60)])
    rng = np.random.default_rng(2)
    with db.uow().reading() as uow:
        ids = [it.id for it in uow.items.page(project.id, after_id=0, limit=60, status=None)]
    truth = {i: ("same" if k % 4 == 0 else "different") for k, i in enumerate(ids)}
    accuracy = [0.95, 0.9, 0.85, 0.6, 0.55]
    for _ in range(25):
        for w, acc in zip(workers, accuracy, strict=True):
            t = assignment.next_task(db.uow(), actor=w, project_id=project.id, rng=rng)
            if t is None:
                continue
            right = rng.random() < acc
            value = (
                truth[t.item_id]
                if right
                else ("same" if truth[t.item_id] == "different" else "different")
            )
            submissions.submit(db.uow(), actor=w, lease_id=t.lease_id, value=value)
    aggregation.aggregate(db.uow, actor=owner, project_id=project.id, trainer=fit_router)
    with db.uow().reading() as uow:
        fitted = current_model(uow, uow.projects.get(project.id))
    assert fitted.router is not None and fitted.router.n_rows >= 50
    newcomer = make_actor(db.uow(), "w9", Role.WORKER)
    task = assignment.next_task(db.uow(), actor=newcomer, project_id=project.id, rng=rng)
    assert task is not None and task.reason is NextReason.LEARNED
