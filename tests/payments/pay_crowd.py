"""Builders for payment tests: a project with a pay rule, labelled through the real services."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shoplabel.domain.ledger import AccountKind, balances_by_currency
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor, Role
from shoplabel.services import pay_rules
from tests.factories import add_items, make_actor, make_project, matching_payload
from tests.services.review_crowd import label

#: Two labels close an item (fixed overlap).
PAIRS = {"max_overlap": 2, "min_overlap": 2}
RULE: Mapping[str, Any] = {"currency": "USD", "reward": 5}

Uows = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class PayCrowd:
    owner: Actor
    workers: tuple[Actor, ...]
    project: Project


def build(
    uows: Uows,
    *,
    n_items: int,
    rule: Mapping[str, Any] | None = RULE,
    settings: Mapping[str, Any] | None = None,
    n_workers: int = 3,
    gold: list[Any] | None = None,
) -> PayCrowd:
    owner = make_actor(uows(), "owner", Role.REQUESTER)
    workers = tuple(make_actor(uows(), f"w{i}", Role.WORKER) for i in range(n_workers))
    project = make_project(uows(), owner, settings={**PAIRS, **(settings or {})})
    add_items(uows(), project.id, [matching_payload(i) for i in range(n_items)], gold=gold)
    if rule is not None:
        pay_rules.set_rule(uows(), actor=owner, project_id=project.id, rule=rule)
    return PayCrowd(owner=owner, workers=workers, project=project)


def label_pairs(uows: Uows, crowd: PayCrowd, n_items: int, value: Any = "same") -> None:
    """Workers 0 and 1 label ``n_items`` items each: every item closes with two labels."""
    for _ in range(n_items):
        item = label(uows, crowd.workers[0], crowd.project, value, 3000)
        assert label(uows, crowd.workers[1], crowd.project, value, 3000) == item


def available(uows: Uows, worker: Actor, currency: str = "USD") -> dict[str, int]:
    """The worker's balances by account kind in ``currency``."""
    with uows().reading() as uow:
        rows = uow.ledger.balances(
            worker.user_id, (AccountKind.WORKER, AccountKind.PAYOUT, AccountKind.PAID)
        )
    for b in balances_by_currency(rows):
        if b.currency == currency:
            return {"available": b.available, "in_payout": b.in_payout, "paid": b.paid}
    return {"available": 0, "in_payout": 0, "paid": 0}
