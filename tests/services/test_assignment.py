"""Leased assignment and submission on real SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest

from shoplabel.domain.items import ItemStatus
from shoplabel.domain.ports import ConsensusWrite
from shoplabel.domain.scheduling import NextReason
from shoplabel.domain.users import Role
from shoplabel.errors import (
    InvalidValue,
    LabelNotInSchema,
    LeaseExpired,
    LeaseNotHeld,
    LeaseSettled,
    PermissionDenied,
)
from shoplabel.services import assignment, projects, submissions
from tests.conftest import Clock, Database
from tests.factories import add_items, make_actor, make_project, matching_payload


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


def test_next_task_leases_hides_gold_and_completes_at_overlap(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    workers = [make_actor(db.uow(), f"w{i}", Role.WORKER) for i in range(3)]
    project = make_project(db.uow(), owner, settings={"max_overlap": 2})
    add_items(
        db.uow(), project.id, [matching_payload(i) for i in range(2)], gold=["same", "different"]
    )

    t0 = assignment.next_task(db.uow(), actor=workers[0], project_id=project.id, rng=_rng())
    assert t0 is not None
    assert t0.reason is NextReason.ROUND_ROBIN
    assert "gold" not in t0.data and set(t0.data) == {"left", "right"}
    again = assignment.next_task(db.uow(), actor=workers[0], project_id=project.id, rng=_rng())
    assert again is not None and again.lease_id == t0.lease_id
    assert again.reason is NextReason.HELD_LEASE

    submissions.submit(db.uow(), actor=workers[0], lease_id=t0.lease_id, value="same")
    t1 = assignment.next_task(db.uow(), actor=workers[1], project_id=project.id, rng=_rng())
    assert t1 is not None and t1.item_id == t0.item_id
    submissions.submit(db.uow(), actor=workers[1], lease_id=t1.lease_id, value="different")

    p = projects.get_project(db.uow(), actor=owner, project_id=project.id)
    assert (p.counters.n_done, p.counters.n_open, p.counters.n_annotations) == (1, 1, 2)
    with db.uow().reading() as uow:
        assert uow.items.get(t0.item_id).status is ItemStatus.DONE


def test_worker_never_gets_same_item_twice(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    w = make_actor(db.uow(), "w0", Role.WORKER)
    project = make_project(db.uow(), owner, settings={"max_overlap": 3})
    add_items(db.uow(), project.id, [matching_payload(i) for i in range(3)])
    seen = []
    while t := assignment.next_task(db.uow(), actor=w, project_id=project.id, rng=_rng()):
        seen.append(t.item_id)
        if len(seen) == 2:
            assignment.skip(db.uow(), actor=w, lease_id=t.lease_id)
        else:
            submissions.submit(db.uow(), actor=w, lease_id=t.lease_id, value="same")
    assert len(seen) == len(set(seen)) == 3
    p = projects.get_project(db.uow(), actor=owner, project_id=project.id)
    assert p.counters.n_skips == 1 and p.counters.n_annotations == 2


def test_bad_submissions_are_refused_and_store_nothing(db: Database, clock: Clock) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    w1 = make_actor(db.uow(), "w1", Role.WORKER)
    w2 = make_actor(db.uow(), "w2", Role.WORKER)
    project = make_project(db.uow(), owner, settings={"lease_ttl_seconds": 60})
    add_items(db.uow(), project.id, [matching_payload(0)])
    task = assignment.next_task(db.uow(clock), actor=w1, project_id=project.id, rng=_rng())
    assert task is not None
    with pytest.raises(LabelNotInSchema):
        submissions.submit(db.uow(clock), actor=w1, lease_id=task.lease_id, value="maybe")
    with pytest.raises(InvalidValue):
        submissions.submit(db.uow(clock), actor=w1, lease_id=task.lease_id, value=["same"])
    with pytest.raises(LeaseNotHeld):
        submissions.submit(db.uow(clock), actor=w2, lease_id=task.lease_id, value="same")
    with pytest.raises(PermissionDenied):
        assignment.next_task(db.uow(clock), actor=owner, project_id=project.id, rng=_rng())
    submissions.submit(db.uow(clock), actor=w1, lease_id=task.lease_id, value="same")
    with pytest.raises(LeaseSettled):
        submissions.submit(db.uow(clock), actor=w1, lease_id=task.lease_id, value="same")

    t2 = assignment.next_task(db.uow(clock), actor=w2, project_id=project.id, rng=_rng())
    assert t2 is not None
    clock.advance(61)
    with pytest.raises(LeaseExpired):
        submissions.submit(db.uow(clock), actor=w2, lease_id=t2.lease_id, value="same")
    p = projects.get_project(db.uow(), actor=owner, project_id=project.id)
    assert p.counters.n_annotations == 1


def test_expired_lease_returns_item_to_pool(db: Database, clock: Clock) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    w1 = make_actor(db.uow(), "w1", Role.WORKER)
    w2 = make_actor(db.uow(), "w2", Role.WORKER)
    project = make_project(db.uow(), owner, settings={"max_overlap": 1, "lease_ttl_seconds": 30})
    add_items(db.uow(), project.id, [matching_payload(0)])
    t1 = assignment.next_task(db.uow(clock), actor=w1, project_id=project.id, rng=_rng())
    assert t1 is not None
    assert assignment.next_task(db.uow(clock), actor=w2, project_id=project.id, rng=_rng()) is None
    clock.advance(31)
    t2 = assignment.next_task(db.uow(clock), actor=w2, project_id=project.id, rng=_rng())
    assert t2 is not None and t2.item_id == t1.item_id
    with pytest.raises(LeaseExpired):
        submissions.submit(db.uow(clock), actor=w1, lease_id=t1.lease_id, value="same")
    submissions.submit(db.uow(clock), actor=w2, lease_id=t2.lease_id, value="different")


def test_random_policy_spreads_and_respects_quota(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = make_project(
        db.uow(), owner, settings={"assignment_policy": "random", "max_overlap": 1}
    )
    add_items(db.uow(), project.id, [matching_payload(i) for i in range(20)])
    rng = np.random.default_rng(7)
    got = []
    for i in range(25):
        w = make_actor(db.uow(), f"w{i}", Role.WORKER)
        t = assignment.next_task(db.uow(), actor=w, project_id=project.id, rng=rng)
        if t is not None:
            assert t.reason is NextReason.RANDOM
            got.append(t.item_id)
    assert len(got) == len(set(got)) == 20


def test_dynamic_overlap_closes_confident_items_early(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    workers = [make_actor(db.uow(), f"w{i}", Role.WORKER) for i in range(5)]
    project = make_project(
        db.uow(),
        owner,
        settings={
            "overlap_mode": "dynamic",
            "min_overlap": 2,
            "max_overlap": 5,
            "target_confidence": 0.9,
        },
    )
    add_items(db.uow(), project.id, [matching_payload(0)])
    answers = ["same", "same", "same"]  # prior skill 0.7: 0.70, 0.845, 0.927 -> done at 3
    for w, value in zip(workers, answers, strict=False):
        task = assignment.next_task(db.uow(), actor=w, project_id=project.id, rng=_rng())
        assert task is not None
        submissions.submit(db.uow(), actor=w, lease_id=task.lease_id, value=value)
    assert (
        assignment.next_task(db.uow(), actor=workers[3], project_id=project.id, rng=_rng()) is None
    )
    assert task is not None
    with db.uow().reading() as uow:
        [consensus] = uow.consensus.get_many([task.item_id]).values()
        assert uow.items.get(task.item_id).status is ItemStatus.DONE
    assert consensus.value == "same"
    assert consensus.confidence == pytest.approx(0.7**3 / (0.7**3 + 0.3**3), abs=1e-6)
    assert consensus.n_labels == 3


def test_members_only_projects_admit_members_only(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    member = make_actor(db.uow(), "w0", Role.WORKER)
    outsider = make_actor(db.uow(), "w1", Role.WORKER)
    project = make_project(db.uow(), owner, settings={"access": "members"})
    add_items(db.uow(), project.id, [matching_payload(0)])
    projects.add_member(db.uow(), actor=owner, project_id=project.id, user_id=member.user_id)
    with pytest.raises(PermissionDenied):
        assignment.next_task(db.uow(), actor=outsider, project_id=project.id, rng=_rng())
    task = assignment.next_task(db.uow(), actor=member, project_id=project.id, rng=_rng())
    assert task is not None
    submissions.submit(db.uow(), actor=member, lease_id=task.lease_id, value="same")


def test_uncertainty_first_serves_contested_items_before_fresh_ones(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    workers = [make_actor(db.uow(), f"w{i}", Role.WORKER) for i in range(3)]
    project = make_project(
        db.uow(), owner, settings={"assignment_policy": "uncertainty-first", "max_overlap": 3}
    )
    add_items(db.uow(), project.id, [matching_payload(i) for i in range(5)])
    for w, value in zip(workers[:2], ["same", "different"], strict=True):
        # Round one: both workers land on the first item and disagree about it.
        t = assignment.next_task(db.uow(), actor=w, project_id=project.id, rng=_rng())
        assert t is not None
        submissions.submit(db.uow(), actor=w, lease_id=t.lease_id, value=value)
        first = t.item_id
    with db.uow().reading() as uow:
        assert uow.items.get(first).priority > 0
    t = assignment.next_task(db.uow(), actor=workers[2], project_id=project.id, rng=_rng())
    assert t is not None
    assert (t.item_id, t.reason) == (first, NextReason.UNCERTAINTY_FIRST)


def test_ability_matched_gives_new_workers_easy_items(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    newcomer = make_actor(db.uow(), "w0", Role.WORKER)
    project = make_project(db.uow(), owner, settings={"assignment_policy": "ability-matched"})
    add_items(db.uow(), project.id, [matching_payload(i) for i in range(3)])
    with db.uow() as uow:
        hard, fresh, easy = [
            it.id for it in uow.items.page(project.id, after_id=0, limit=3, status=None)
        ]
        uow.consensus.upsert_many(
            project.id,
            [
                ConsensusWrite(
                    item_id=hard,
                    value="same",
                    confidence=0.5,
                    probas={"same": 0.5, "different": 0.5},
                    method="t",
                    n_labels=2,
                ),
                ConsensusWrite(
                    item_id=easy,
                    value="same",
                    confidence=0.99,
                    probas={"same": 0.99, "different": 0.01},
                    method="t",
                    n_labels=1,
                ),
            ],
            now=uow.now(),
        )
        uow.commit()
    t = assignment.next_task(db.uow(), actor=newcomer, project_id=project.id, rng=_rng())
    assert t is not None
    assert (t.item_id, t.reason) == (easy, NextReason.ABILITY_MATCHED)
    del fresh
