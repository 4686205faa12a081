"""Test builders that go through the real services (no hand-written rows)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shoplabel.domain.ids import ProjectId
from shoplabel.domain.items import NewItem, content_hash
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor, Role
from shoplabel.services import auth, projects

PASSWORD = "correct horse battery"


def make_actor(uow: UnitOfWork, username: str, role: Role, *, can_login: bool = False) -> Actor:
    """An account; without ``can_login`` it has no password (argon2 costs ~0.1 s a hash)."""
    user = auth.create_user(
        uow, actor=None, username=username, password=PASSWORD if can_login else None, role=role
    )
    return Actor.of(user)


def make_project(
    uow: UnitOfWork,
    owner: Actor,
    *,
    template: str = "product_matching",
    settings: Mapping[str, Any] | None = None,
    schema: Mapping[str, Any] | None = None,
) -> Project:
    # Gold in these tests is for evaluation; honeypot tests turn gold_rate on explicitly.
    spec = projects.ProjectSpec(
        name=f"{template} test",
        template=template,
        schema=schema,
        settings={"gold_rate": 0, **(settings or {})},
    )
    return projects.create_project(uow, spec, actor=owner)


def matching_payload(i: int) -> dict[str, Any]:
    return {"left": {"name": f"Sony WH-{i}"}, "right": {"name": f"Sony WH {i} headphones"}}


def add_items(
    uow: UnitOfWork,
    project_id: ProjectId,
    payloads: Sequence[Mapping[str, Any]],
    *,
    gold: Sequence[Any] | None = None,
    prefix: str = "ext",
) -> int:
    """Store items directly through the repository, with their counters, in one commit."""
    items = [
        NewItem(
            external_id=f"{prefix}-{i}",
            payload=p,
            content_hash=content_hash(p),
            gold=None if gold is None else gold[i],
        )
        for i, p in enumerate(payloads)
    ]
    with uow:
        n = uow.items.add_many(project_id, items)
        uow.projects.add_counters(project_id, n_items=n, n_open=n)
        uow.commit()
    return n
