"""Online screening in the submit path (SQLite + PostgreSQL): labels checked as their items
settle, random answerers banned at once with their labels dropped and items re-queued,
down-weighting applied to posteriors and aggregation, per-class skill, concurrency."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.items import ItemStatus
from shoplabel.domain.users import Actor, Role
from shoplabel.domain.workers import WorkerStatus
from shoplabel.errors import StorageBusy, WorkerBanned
from shoplabel.inference import item_posterior
from shoplabel.services import aggregation, assignment, posteriors, submissions, worker_quality
from tests.conftest import Database
from tests.factories import add_items, make_actor, make_project, matching_payload

CHANCE_RULES = {
    "rules": [
        {
            "name": "near-chance",
            "condition": "near_chance",
            "params": {"alpha": 0.05, "min_scored": 5},
            "actions": [
                {"kind": "ban_from_project"},
                {"kind": "reject_labels"},
                {"kind": "requeue_items"},
            ],
        }
    ]
}


def _setup(
    db: Database, n_items: int, settings: dict[str, Any]
) -> tuple[Actor, ProjectId, list[ItemId]]:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = make_project(db.uow(), owner, settings=settings)
    add_items(db.uow(), project.id, [matching_payload(i) for i in range(n_items)])
    with db.uow().reading() as uow:
        page = uow.items.page(project.id, after_id=0, limit=n_items, status=None)
    return owner, project.id, [it.id for it in page]


def _label(
    db: Database, worker: Actor, pid: ProjectId, answer: Any, rng: np.random.Generator
) -> int:
    n = 0
    while (t := assignment.next_task(db.uow(), actor=worker, project_id=pid, rng=rng)) is not None:
        submissions.submit(db.uow(), actor=worker, lease_id=t.lease_id, value=answer(t.item_id))
        n += 1
    return n


def test_a_random_answerer_is_banned_online_and_their_labels_dropped(db: Database) -> None:
    _, pid, ids = _setup(db, 60, {"max_overlap": 4, "quality_rules": CHANCE_RULES})
    truth = {i: ("same" if k % 3 == 0 else "different") for k, i in enumerate(ids)}
    good = [make_actor(db.uow(), f"good{k}", Role.WORKER) for k in range(3)]
    rng = np.random.default_rng(1)
    for w in good:
        _label(db, w, pid, truth.__getitem__, rng)
    spammer = make_actor(db.uow(), "spam", Role.WORKER)
    coin = np.random.default_rng(7)
    with pytest.raises(WorkerBanned):  # banned in the middle, without any aggregation run
        _label(db, spammer, pid, lambda _: ("same", "different")[int(coin.integers(2))], rng)
    with db.uow().reading() as uow:
        state = uow.workers.get(pid, spammer.user_id)
        events = uow.workers.events(pid, worker_id=spammer.user_id, limit=10)
        theirs = uow.annotations.list_for_worker(pid, spammer.user_id, after_id=0, limit=100)
        items = {i: uow.items.get(i) for i in ids}
        consensus = uow.consensus.get_many(ids)
        goods = [uow.workers.get(pid, w.user_id) for w in good]
        assert uow.worker_models.get(pid) is None  # no aggregation ran
    assert state.status is WorkerStatus.BANNED
    assert [e.rule for e in events] == ["near-chance"]
    assert "answers look random" in events[0].reason
    assert 5 <= state.n_scored < 60 and state.chance_llr >= math.log(1 / 0.05)
    assert theirs and all(a.status.value == "rejected" for a in theirs)
    touched = {a.item_id for a in theirs}
    for i in touched:  # re-queued, and the posterior comes from the 3 remaining labels again
        assert items[i].status is ItemStatus.OPEN and items[i].n_labels == 3
        assert consensus[i].n_labels == 3 and consensus[i].value == truth[i]
    assert all(g.status is WorkerStatus.ACTIVE and g.chance_llr < 0 for g in goods)
    # each good label was checked once, when the next label on its item arrived: the first
    # two of every item by the good workers' own labels, the third by the spammer's (which
    # also settled the item)
    assert sum(g.n_scored for g in goods) == 2 * len(ids) + len(touched)


def test_per_class_skill_and_agreement_are_kept_online(db: Database) -> None:
    owner, pid, ids = _setup(db, 12, {"max_overlap": 2, "quality_rules": {"rules": []}})
    truth = {i: ("same" if k % 2 == 0 else "different") for k, i in enumerate(ids)}
    careful = make_actor(db.uow(), "careful", Role.WORKER)
    lazy = make_actor(db.uow(), "lazy", Role.WORKER)  # always "different"
    rng = np.random.default_rng(2)
    _label(db, careful, pid, truth.__getitem__, rng)
    _label(db, lazy, pid, lambda _: "different", rng)
    c = worker_quality.my_standing(db.uow(), actor=careful, project_id=pid)
    lz = worker_quality.my_standing(db.uow(), actor=lazy, project_id=pid)
    assert c.state.n_scored == lz.state.n_scored == 12
    assert set(c.class_accuracy) == {"same", "different"}
    # Each label's reference is the other worker's label under the prior model (0.7 right).
    # The lazy worker's recall of "same" is poor and of "different" high; the careful
    # worker's "same" recall is clearly better than the lazy one's.
    assert lz.class_accuracy["same"] < 0.3 and lz.class_accuracy["different"] > 0.8
    assert c.class_accuracy["same"] > lz.class_accuracy["same"] + 0.3
    assert c.agreement == pytest.approx(lz.agreement) == pytest.approx((6 * 0.7 + 6 * 0.3) / 12)
    del owner


DOWN_RULES = {
    "rules": [
        {
            "name": "constant",
            "condition": "constant_answers",
            "params": {"max_share": 0.9, "min_labels": 3},
            "actions": [{"kind": "downweight_labels", "factor": 0.25}],
        }
    ]
}


def test_downweighting_applies_to_online_posteriors_and_aggregation(db: Database) -> None:
    owner, pid, ids = _setup(db, 6, {"max_overlap": 3, "quality_rules": DOWN_RULES})
    const = make_actor(db.uow(), "const", Role.WORKER)
    rng = np.random.default_rng(3)
    _label(db, const, pid, lambda _: "same", rng)
    with db.uow().reading() as uow:
        state = uow.workers.get(pid, const.user_id)
        consensus = uow.consensus.get_many(ids)
        stored = uow.worker_models.get(pid)
    assert state.label_weight == 0.25
    assert stored is not None and stored[2]["weights"] == {str(const.user_id): 0.25}
    # labels 1-3 were scored under the prior model (0.7 right), later ones at weight 0.25
    w = 0.25
    tempered = 0.7**w / (0.7**w + 0.3**w)
    confidences = sorted(round(c.confidence, 4) for c in consensus.values())
    assert confidences == sorted([round(tempered, 4)] * 3 + [0.7] * 3)

    other = make_actor(db.uow(), "other", Role.WORKER)
    alternate = {i: ("same", "different")[k % 2] for k, i in enumerate(ids)}
    _label(db, other, pid, alternate.__getitem__, rng)
    aggregation.aggregate(db.uow, actor=owner, project_id=pid, use_gold=False)
    with db.uow() as uow:
        project = uow.projects.get(pid)
        fitted = posteriors.current_model(uow, project)
        stored = uow.worker_models.get(pid)
        consensus = uow.consensus.get_many(ids)
    assert stored is not None and stored[2]["weights"] == {str(const.user_id): 0.25}
    untempered = posteriors.model_from_json(stored[2])
    for i in ids:
        labels = [str(const.user_id), str(other.user_id)]
        pos = [fitted.model.labels.index("same"), fitted.model.labels.index(alternate[i])]
        expected = item_posterior(fitted.model, labels, pos)
        probas = consensus[i].probas
        assert probas is not None
        assert probas["same"] == pytest.approx(
            expected[fitted.model.labels.index("same")], abs=1e-5
        )
        assert not np.allclose(item_posterior(untempered, labels, pos), expected)


def test_concurrent_settles_lose_no_screening_update(db: Database) -> None:
    _, pid, _ = _setup(db, 30, {"max_overlap": 2, "quality_rules": {"rules": []}})
    workers = [make_actor(db.uow(), f"w{k}", Role.WORKER) for k in range(6)]

    def run(k: int) -> int:
        rng = np.random.default_rng(k)
        n = 0
        while True:
            try:
                t = assignment.next_task(db.uow(), actor=workers[k], project_id=pid, rng=rng)
                if t is None:
                    return n
                value = ("same", "different")[int(rng.integers(2))]
                submissions.submit(db.uow(), actor=workers[k], lease_id=t.lease_id, value=value)
                n += 1
            except StorageBusy:
                continue

    with ThreadPoolExecutor(max_workers=6) as pool:
        submitted = list(pool.map(run, range(6)))
    with db.uow().reading() as uow:
        states = [uow.workers.get(pid, w.user_id) for w in workers]
        done = uow.projects.get(pid).counters.n_done
    assert sum(submitted) == 60 and done == 30
    assert [s.n_labels for s in states] == submitted
    # every label of every settled item was checked exactly once
    assert sum(s.n_scored for s in states) == 60
    mass = sum(v[0] for s in states for v in s.class_counts.values())
    assert mass == pytest.approx(60, abs=1e-3)


def test_a_label_is_checked_when_the_next_label_on_its_item_arrives(db: Database) -> None:
    # One item, max 3 labels and nothing settles before the third: the first label is
    # checked by the second (no settling needed), the second and third by the third.
    _, pid, _ = _setup(db, 1, {"max_overlap": 3, "quality_rules": {"rules": []}})
    workers = [make_actor(db.uow(), f"w{k}", Role.WORKER) for k in range(3)]
    rng = np.random.default_rng(4)

    def scored() -> list[int]:
        with db.uow().reading() as uow:
            return [uow.workers.get(pid, w.user_id).n_scored for w in workers]

    seen = []
    for w in workers:
        t = assignment.next_task(db.uow(), actor=w, project_id=pid, rng=rng)
        assert t is not None
        submissions.submit(db.uow(), actor=w, lease_id=t.lease_id, value="same")
        seen.append(scored())
    assert seen == [[0, 0, 0], [1, 0, 0], [1, 1, 1]]
    with db.uow().reading() as uow:
        first = uow.workers.get(pid, workers[0].user_id)
    # the first label's reference was the second label alone under the prior model (0.7)
    assert first.agree_credit == pytest.approx(0.7)
