"""Gold honeypots, worker standing and quality rules in the labelling loop (SQLite + PG)."""

from __future__ import annotations

import numpy as np
import pytest

from shoplabel.domain.items import ItemStatus
from shoplabel.domain.scheduling import NextReason
from shoplabel.domain.users import Actor, Role
from shoplabel.domain.workers import WorkerStatus
from shoplabel.errors import InvalidSettings, WorkerBanned
from shoplabel.services import aggregation, assignment, projects, submissions
from tests.conftest import Database
from tests.factories import add_items, make_actor, make_project, matching_payload

RULES = {
    "rules": [
        {
            "name": "bad-on-gold",
            "condition": "low_gold_accuracy",
            "params": {"min_accuracy": 0.7, "level": 0.9, "min_gold": 4},
            "actions": [{"kind": "ban_from_project"}, {"kind": "reject_labels"}],
        }
    ]
}


def _label_all(
    db: Database, worker: Actor, project_id: int, answer: str, rng: np.random.Generator
) -> list[NextReason]:
    reasons = []
    while (
        t := assignment.next_task(
            db.uow(),
            actor=worker,
            project_id=project_id,  # type: ignore[arg-type]
            rng=rng,
        )
    ) is not None:
        reasons.append(t.reason)
        assert "gold" not in t.data
        submissions.submit(
            db.uow(), actor=worker, lease_id=t.lease_id, value=answer, duration_ms=5000
        )
    return reasons


def test_gold_honeypots_score_workers_and_rules_ban_and_reject(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = make_project(
        db.uow(),
        owner,
        settings={"max_overlap": 2, "gold_rate": 0.2, "gold_min_every": 5, "quality_rules": RULES},
    )
    add_items(db.uow(), project.id, [matching_payload(i) for i in range(20)])
    add_items(
        db.uow(),
        project.id,
        [matching_payload(100 + i) for i in range(6)],
        gold=["different"] * 6,
        prefix="gold",
    )
    rng = np.random.default_rng(3)
    spammer = make_actor(db.uow(), "spam", Role.WORKER)
    with pytest.raises(WorkerBanned):
        _label_all(db, spammer, project.id, "same", rng)  # wrong on every gold item
    with db.uow().reading() as uow:
        state = uow.workers.get(project.id, spammer.user_id)
        events = uow.workers.events(project.id, worker_id=spammer.user_id, limit=10)
        labelled = [
            a
            for a in uow.annotations.list_for_worker(
                project.id, spammer.user_id, after_id=0, limit=100
            )
            if a.status.value == "valid"
        ]
    assert state.status is WorkerStatus.BANNED
    assert state.n_gold >= 4 and state.gold_credit == 0
    assert [e.rule for e in events] == ["bad-on-gold"]
    assert "gold" in events[0].reason
    assert labelled == [], "the banned worker's labels must be rejected"

    good = make_actor(db.uow(), "good", Role.WORKER)
    reasons = _label_all(db, good, project.id, "different", rng)
    assert NextReason.GOLD in reasons
    assert reasons.count(NextReason.GOLD) >= len(reasons) // 5 - 1  # floor: 1 gold per 5
    p = projects.get_project(db.uow(), actor=owner, project_id=project.id)
    assert p.counters.n_done == 0 and p.counters.n_open == 26  # overlap 2, one good worker
    with db.uow().reading() as uow:
        assert all(
            uow.items.get(i).status is ItemStatus.OPEN for i in uow.items.gold_labels(project.id)
        )
        assert uow.workers.get(project.id, good.user_id).status is WorkerStatus.ACTIVE


def test_contradictory_rules_are_refused(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    rules = {
        "rules": [
            {
                "name": "a",
                "condition": "skip_streak",
                "params": {"max_streak": 10},
                "actions": [{"kind": "warn"}],
            },
            {
                "name": "b",
                "condition": "skip_streak",
                "params": {"max_streak": 10},
                "actions": [{"kind": "ban_from_project"}],
            },
        ]
    }
    with pytest.raises(InvalidSettings):
        make_project(db.uow(), owner, settings={"quality_rules": rules})


def test_aggregation_bans_workers_who_disagree_with_the_consensus(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    good = [make_actor(db.uow(), f"good{i}", Role.WORKER) for i in range(3)]
    spammer = make_actor(db.uow(), "spam", Role.WORKER)
    project = make_project(db.uow(), owner, settings={"max_overlap": 4})
    add_items(db.uow(), project.id, [matching_payload(i) for i in range(40)])
    rng = np.random.default_rng(5)
    with db.uow().reading() as uow:
        ids = [it.id for it in uow.items.page(project.id, after_id=0, limit=40, status=None)]
    truth = {i: ("same" if k % 3 == 0 else "different") for k, i in enumerate(ids)}
    for worker in (*good, spammer):
        while (
            t := assignment.next_task(db.uow(), actor=worker, project_id=project.id, rng=rng)
        ) is not None:
            value = (
                ("same" if t.item_id % 2 else "different")
                if worker is spammer
                else truth[t.item_id]
            )
            submissions.submit(db.uow(), actor=worker, lease_id=t.lease_id, value=value)
    aggregation.aggregate(db.uow, actor=owner, project_id=project.id)
    with db.uow().reading() as uow:
        banned = uow.workers.get(project.id, spammer.user_id)
        events = uow.workers.events(project.id, worker_id=spammer.user_id, limit=10)
        kept = [
            a
            for a in uow.annotations.list_for_worker(
                project.id, spammer.user_id, after_id=0, limit=100
            )
            if a.status.value == "valid"
        ]
        goods = [uow.workers.get(project.id, w.user_id).status for w in good]
    assert banned.status is WorkerStatus.BANNED
    assert any(e.rule == "very-low-agreement" for e in events)
    assert kept == []
    assert goods == [WorkerStatus.ACTIVE] * 3
    p = projects.get_project(db.uow(), actor=owner, project_id=project.id)
    assert p.counters.n_annotations == 120 and p.counters.n_open == 40
