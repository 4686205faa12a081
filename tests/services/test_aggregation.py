"""Aggregation runs and online posteriors through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest

from shoplabel.domain.ports import ConsensusWrite
from shoplabel.domain.users import Role
from shoplabel.errors import InvalidInput, PermissionDenied
from shoplabel.services import aggregation, assignment, submissions
from tests.conftest import Database
from tests.factories import add_items, make_actor, make_project, matching_payload


def test_aggregate_stores_consensus_and_the_model_submits_use(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    good = [make_actor(db.uow(), f"good{i}", Role.WORKER) for i in range(2)]
    spammer = make_actor(db.uow(), "spam", Role.WORKER)
    project = make_project(db.uow(), owner, settings={"max_overlap": 3})
    truth = ["same" if i % 2 else "different" for i in range(12)]
    add_items(db.uow(), project.id, [matching_payload(i) for i in range(12)], gold=truth)
    rng = np.random.default_rng(1)
    with db.uow().reading() as uow:
        item_truth = {
            it.id: it.gold for it in uow.items.page(project.id, after_id=0, limit=100, status=None)
        }
    for actor in (*good, spammer):
        while (
            t := assignment.next_task(db.uow(), actor=actor, project_id=project.id, rng=rng)
        ) is not None:
            value = "same" if actor is spammer else item_truth[t.item_id]
            submissions.submit(db.uow(), actor=actor, lease_id=t.lease_id, value=value)

    summary = aggregation.aggregate(
        db.uow, actor=owner, project_id=project.id, method="dawid-skene", use_gold=False
    )
    assert (summary.n_items, summary.n_labels, summary.n_workers) == (12, 36, 3)
    assert summary.accuracy_on_gold == 1.0
    with db.uow().reading() as uow:
        consensus = uow.consensus.get_many(list(item_truth))
        assert uow.worker_models.version(project.id) == 1
    assert {c.method for c in consensus.values()} == {"dawid-skene"}
    assert all(consensus[i].value == g for i, g in item_truth.items())

    aggregation.aggregate(db.uow, actor=owner, project_id=project.id)
    with db.uow().reading() as uow:
        assert uow.worker_models.version(project.id) == 2
    with pytest.raises(PermissionDenied):
        aggregation.aggregate(db.uow, actor=spammer, project_id=project.id)


def test_aggregate_refuses_non_choice_schemas(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = make_project(
        db.uow(), owner, template="custom", schema={"kind": "rating", "min": 1, "max": 5}
    )
    with pytest.raises(InvalidInput):
        aggregation.aggregate(db.uow, actor=owner, project_id=project.id)


def test_aggregation_never_overwrites_a_review_decision(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    workers = [make_actor(db.uow(), f"w{i}", Role.WORKER) for i in range(2)]
    project = make_project(db.uow(), owner, settings={"max_overlap": 2})
    add_items(db.uow(), project.id, [matching_payload(0)])
    rng = np.random.default_rng(0)
    item_id = None
    for w in workers:
        t = assignment.next_task(db.uow(), actor=w, project_id=project.id, rng=rng)
        assert t is not None
        submissions.submit(db.uow(), actor=w, lease_id=t.lease_id, value="same")
        item_id = t.item_id
    assert item_id is not None
    with db.uow() as uow:
        uow.consensus.upsert_many(
            project.id,
            [
                ConsensusWrite(
                    item_id=item_id,
                    value="different",
                    confidence=1.0,
                    probas=None,
                    method="review",
                    n_labels=2,
                )
            ],
            now=uow.now(),
        )
        uow.commit()
    aggregation.aggregate(db.uow, actor=owner, project_id=project.id)
    with db.uow().reading() as uow:
        kept = uow.consensus.get_many([item_id])[item_id]
    assert (kept.value, kept.method) == ("different", "review")
