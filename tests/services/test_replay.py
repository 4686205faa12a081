"""Replaying a real crowd: a worker banned mid-replay stops getting tasks, the replay goes on."""

from __future__ import annotations

import numpy as np

from shoplabel.domain.ids import ItemId
from shoplabel.domain.users import Role
from shoplabel.services import replay
from tests.conftest import Database
from tests.factories import add_items, make_actor, make_project, matching_payload

RULES = {
    "rules": [
        {
            "name": "skips",
            "condition": "skip_streak",
            "params": {"max_streak": 1},
            "actions": [{"kind": "ban_from_project"}],
        },
        {
            "name": "constant",
            "condition": "constant_answers",
            "params": {"max_share": 0.7, "min_labels": 2},
            "actions": [{"kind": "ban_from_project"}],
        },
    ]
}


def test_replay_survives_a_ban_and_counts_blocked_arrivals(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    bot = make_actor(db.uow(), "bot", Role.WORKER)
    human = make_actor(db.uow(), "human", Role.WORKER)
    project = make_project(db.uow(), owner, settings={"max_overlap": 2, "quality_rules": RULES})
    add_items(db.uow(), project.id, [matching_payload(i) for i in range(4)])
    with db.uow().reading() as uow:
        ids = [ItemId(it.id) for it in uow.items.page(project.id, after_id=0, limit=4, status=None)]
    answers = [replay.Answer(worker="bot", item_id=i, value="same") for i in ids]
    answers += [
        replay.Answer(worker="human", item_id=i, value=("same", "different")[k % 2])
        for k, i in enumerate(ids)
    ]
    report = replay.replay(
        db.uow,
        answers,
        replay.ReplaySetup(project.id, {"bot": bot, "human": human}),
        rng=np.random.default_rng(0),
    )
    # The bot answers "same" twice, the constant-answer rule bans it, its last two arrivals
    # are blocked; the human still gets all four items.
    assert (report.submitted, report.blocked) == (6, 2)
