"""The demo: accounts, a project from bundled real data, and a replay of its real crowd.

The Abt-Buy product-matching sample (600 pairs, re-keyed so ids do not leak the gold) comes
with the 1,800 real MTurk answers given to those pairs; they are replayed through the same
services a worker's browser uses, then aggregated.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor, Role
from shoplabel.services import aggregation, auth, imports, projects, replay

__all__ = ["DEMO_ACCOUNTS", "DemoSummary", "seed_demo"]

#: Demo logins, printed when the demo starts. Never use these outside a demo.
DEMO_ACCOUNTS: tuple[tuple[str, str, Role], ...] = (
    ("admin", "demo-admin-pw", Role.ADMIN),
    ("requester", "demo-requester-pw", Role.REQUESTER),
    ("reviewer", "demo-reviewer-pw", Role.REVIEWER),
    ("worker", "demo-worker-pw", Role.WORKER),
)


@dataclass(frozen=True, slots=True)
class DemoSummary:
    project_id: ProjectId
    items: int
    answers_replayed: int
    workers: int
    runs: tuple[aggregation.AggregationSummary, ...]


@contextmanager
def _bundled(name: str) -> Iterator[Path]:
    with resources.as_file(resources.files("shoplabel") / "demo_data" / name) as path:
        yield path


def _accounts(uows: Callable[[], UnitOfWork]) -> dict[str, Actor]:
    out = {}
    for username, password, role in DEMO_ACCOUNTS:
        user = auth.create_user(uows(), actor=None, username=username, password=password, role=role)
        out[username] = Actor.of(user)
    return out


def _crowd(uows: Callable[[], UnitOfWork], rows: list[dict[str, str]]) -> dict[str, Actor]:
    """One account per pseudonymous MTurk worker; they never log in, so no password."""
    actors = {}
    for worker in sorted({r["worker"] for r in rows}):
        user = auth.create_user(
            uows(),
            actor=None,
            username=worker,
            password=None,
            role=Role.WORKER,
            display_name=f"{worker} (MTurk replay)",
        )
        actors[worker] = Actor.of(user)
    return actors


def _answers(
    uows: Callable[[], UnitOfWork], project_id: ProjectId, rows: list[dict[str, str]]
) -> list[replay.Answer]:
    ids: dict[str, int] = {}
    after = 0
    while True:
        with uows().reading() as uow:
            page = uow.items.page(project_id, after_id=after, limit=1000, status=None)
        ids.update({it.external_id: it.id for it in page})
        if len(page) < 1000:
            break
        after = page[-1].id
    ordered = sorted(rows, key=lambda r: int(r["seq"]))
    return [
        replay.Answer(worker=r["worker"], item_id=ItemId(ids[r["external_id"]]), value=r["answer"])
        for r in ordered
    ]


def seed_demo(
    uows: Callable[[], UnitOfWork],
    *,
    seed: int = 0,
    progress: Callable[[str, int, int], None] | None = None,
) -> DemoSummary:
    """Create the demo accounts and project, replay the real crowd, aggregate twice."""
    people = _accounts(uows)
    spec = projects.ProjectSpec(
        name="Abt-Buy product matching (real MTurk crowd)",
        template="product_matching",
        # Every demo item has gold: it is for scoring the replay, not honeypots.
        settings={"max_overlap": 3, "lease_ttl_seconds": 900, "gold_rate": 0},
    )
    project = projects.create_project(uows(), spec, actor=people["requester"])
    with _bundled("abt_buy_pairs.jsonl") as pairs:
        report = imports.import_file(uows, pairs, actor=people["requester"], project_id=project.id)
    with _bundled("abt_buy_answers.csv") as path, path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    crowd = _crowd(uows, rows)
    answers = _answers(uows, project.id, rows)
    done = replay.replay(
        uows,
        answers,
        project_id=project.id,
        actors=crowd,
        rng=np.random.default_rng(seed),
        progress=None if progress is None else (lambda n: progress("replay", n, len(answers))),
    )
    runs = tuple(
        aggregation.aggregate(
            uows, actor=people["requester"], project_id=project.id, method=m, use_gold=False
        )
        for m in ("majority-vote", None)
    )
    return DemoSummary(
        project_id=project.id,
        items=report.inserted,
        answers_replayed=done.submitted,
        workers=len(crowd),
        runs=runs,
    )
