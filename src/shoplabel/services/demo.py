"""The demo: accounts, three projects from bundled real data, and work already done.

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
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor, Role
from shoplabel.services import (
    aggregation,
    assignment,
    auth,
    imports,
    projects,
    replay,
    submissions,
)

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


def _abt_buy(
    uows: Callable[[], UnitOfWork],
    owner: Actor,
    *,
    seed: int,
    progress: Callable[[str, int, int], None] | None,
) -> tuple[ProjectId, int, int, int, tuple[aggregation.AggregationSummary, ...]]:
    spec = projects.ProjectSpec(
        name="Abt-Buy product matching (real MTurk crowd)",
        template="product_matching",
        # Every demo item has gold: it is for scoring the replay, not honeypots.
        settings={"max_overlap": 3, "lease_ttl_seconds": 900, "gold_rate": 0},
    )
    project = projects.create_project(uows(), spec, actor=owner)
    with _bundled("abt_buy_pairs.jsonl") as pairs:
        report = imports.import_file(uows, pairs, actor=owner, project_id=project.id)
    with _bundled("abt_buy_answers.csv") as path, path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    crowd = _crowd(uows, rows)
    answers = _answers(uows, project.id, rows)
    done = replay.replay(
        uows,
        answers,
        replay.ReplaySetup(project.id, crowd),
        rng=np.random.default_rng(seed),
        progress=None if progress is None else (lambda n: progress("replay", n, len(answers))),
    )
    runs = tuple(
        aggregation.aggregate(uows, actor=owner, project_id=project.id, method=m, use_gold=False)
        for m in ("majority-vote", None)
    )
    return project.id, report.inserted, done.submitted, len(crowd), runs


def _simulated_crowd(
    uows: Callable[[], UnitOfWork],
    project: Project,
    *,
    prefix: str,
    truth: Callable[[ItemId], str | None],
    n_labels: int,
    rng: np.random.Generator,
) -> int:
    """Synthetic workers (accuracy 0.65-0.95, errors uniform) label through the services."""
    done, n_workers, labels = 0, 8, project.schema.label_values
    skills = rng.uniform(0.65, 0.95, size=n_workers)
    actors = [
        Actor.of(
            auth.create_user(
                uows(),
                actor=None,
                username=f"{prefix}-{k:02d}",
                password=None,
                role=Role.WORKER,
                display_name=f"simulated {prefix} worker {k}",
            )
        )
        for k in range(n_workers)
    ]
    for n in range(n_labels):
        k = n % n_workers
        task = assignment.next_task(uows(), actor=actors[k], project_id=project.id, rng=rng)
        if task is None:
            continue
        right = truth(task.item_id)
        value = right if right is not None and rng.random() < skills[k] else str(rng.choice(labels))
        submissions.submit(
            uows(),
            actor=actors[k],
            lease_id=task.lease_id,
            value=value,
            duration_ms=int(rng.integers(2500, 20000)),
        )
        done += 1
    return done


def _reviews(uows: Callable[[], UnitOfWork], owner: Actor, rng: np.random.Generator) -> int:
    spec = projects.ProjectSpec(
        name="中文商品评论情感 / Chinese review sentiment",
        template="review_sentiment",
        settings={"max_overlap": 3, "gold_rate": 0},
    )
    project = projects.create_project(uows(), spec, actor=owner)
    opts = imports.ImportOptions(mapping="gold=gold_sentiment")
    with _bundled("reviews_zh.jsonl") as path:
        imports.import_file(uows, path, actor=owner, project_id=project.id, options=opts)
    gold = _gold(uows, project.id)
    n = _simulated_crowd(uows, project, prefix="zh", truth=gold.get, n_labels=900, rng=rng)
    aggregation.aggregate(uows, actor=owner, project_id=project.id)
    return n


def _queries(uows: Callable[[], UnitOfWork], owner: Actor) -> None:
    spec = projects.ProjectSpec(
        name="WANDS search intent", template="search_intent", settings={"max_overlap": 2}
    )
    project = projects.create_project(uows(), spec, actor=owner)
    with _bundled("wands_queries.jsonl") as path:
        imports.import_file(uows, path, actor=owner, project_id=project.id)


def _gold(uows: Callable[[], UnitOfWork], project_id: ProjectId) -> dict[ItemId, str]:
    with uows().reading() as uow:
        return {i: str(g) for i, g in uow.items.gold_labels(project_id).items()}


def seed_demo(
    uows: Callable[[], UnitOfWork],
    *,
    seed: int = 0,
    progress: Callable[[str, int, int], None] | None = None,
) -> DemoSummary:
    """Demo accounts; the Abt-Buy pairs with their real MTurk crowd replayed and aggregated;
    Chinese reviews labelled by a simulated crowd; WANDS queries waiting for you to label."""
    people = _accounts(uows)
    owner = people["requester"]
    project_id, items, replayed, workers, runs = _abt_buy(uows, owner, seed=seed, progress=progress)
    _reviews(uows, owner, np.random.default_rng(seed + 1))
    _queries(uows, owner)
    return DemoSummary(
        project_id=project_id, items=items, answers_replayed=replayed, workers=workers, runs=runs
    )
