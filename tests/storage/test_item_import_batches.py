"""``items.add_many`` on SQLite and PostgreSQL (PostgreSQL inserts from arrays): counts,
idempotence, JSON round trips and "no gold" as SQL NULL."""

from __future__ import annotations

from sqlalchemy import text

from shoplabel.domain.items import ItemStatus, NewItem, content_hash
from shoplabel.domain.users import Role
from tests.conftest import Database
from tests.factories import make_actor, make_project


def _item(ext: str, payload: dict[str, object], gold: object = None) -> NewItem:
    return NewItem(external_id=ext, payload=payload, content_hash=content_hash(payload), gold=gold)


def test_add_many_counts_new_rows_and_keeps_json_and_null_gold(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = make_project(db.uow(), owner)
    batch = [
        _item("a", {"left": {"name": "Sony ü"}, "right": {"name": "索尼"}, "n": [1, 2.5, None]}),
        _item("b", {"left": {"name": "x"}, "right": {"name": "y"}}, gold="same"),
        _item("c", {"left": {"name": "'quoted' \"x\""}, "right": {}}, gold={"k": [1]}),
        _item("a", {"left": {"name": "dup in batch"}, "right": {}}),
    ]
    with db.uow() as uow:
        assert uow.items.add_many(project.id, batch) == 3
        uow.commit()
    with db.uow() as uow:  # idempotent by external id
        assert uow.items.add_many(project.id, [*batch[:2], _item("d", {"left": {}})]) == 1
        uow.commit()
    with db.uow().reading() as uow:
        items = {
            it.external_id: it
            for it in uow.items.page(project.id, after_id=0, limit=10, status=None)
        }
    assert sorted(items) == ["a", "b", "c", "d"]
    assert items["a"].payload == batch[0].payload
    assert items["c"].payload == batch[2].payload
    assert (items["a"].gold, items["b"].gold, items["c"].gold) == (None, "same", {"k": [1]})
    assert all(it.status is ItemStatus.OPEN and it.n_labels == 0 for it in items.values())
    assert all(it.created_at.tzinfo is not None for it in items.values())
    with db.engine.connect() as conn:
        no_gold = conn.execute(
            text("SELECT external_id FROM items WHERE gold IS NULL ORDER BY external_id")
        ).scalars()
        assert list(no_gold) == ["a", "d"]
