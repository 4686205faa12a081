"""In-process cost of one next-task + submit cycle through the services (no HTTP).

Isolates the platform's own work (services, storage, SQL) from the web stack, on SQLite and
PostgreSQL, side by side in one run. Usage::

    .venv/bin/python -m benchmarks.service_cycle --cycles 2000 --db both
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text

from shoplabel.bootstrap import build
from shoplabel.config import Settings
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.items import NewItem, content_hash
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor, Role
from shoplabel.services import assignment, auth, projects, submissions

PG = os.environ.get(
    "SHOPLABEL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _project(uow: UnitOfWork, owner: Actor) -> ProjectId:
    spec = projects.ProjectSpec(
        name="bench", template="product_matching", settings={"max_overlap": 3, "gold_rate": 0}
    )
    return projects.create_project(uow, spec, actor=owner).id


def run(url: str | None, data_dir: Path, *, cycles: int, n_items: int) -> tuple[float, float]:
    """Return (wall, process CPU) milliseconds per cycle.

    Process CPU counts this Python process only (not the PostgreSQL server); on a shared
    machine it is the steadier of the two numbers.
    """
    p = build(Settings(data_dir=data_dir, database_url=url, run_jobs=False))
    owner = Actor.of(
        auth.create_user(p.uow(), actor=None, username="req", password=None, role=Role.REQUESTER)
    )
    pid = _project(p.uow(), owner)
    for lo in range(0, n_items, 10_000):
        items = [
            NewItem(
                external_id=f"e{i}",
                payload={"left": {"name": f"a{i}"}, "right": {"name": f"b{i}"}},
                content_hash=content_hash({"i": i}),
            )
            for i in range(lo, min(lo + 10_000, n_items))
        ]
        with p.uow() as uow:
            n = uow.items.add_many(pid, items)
            uow.projects.add_counters(pid, n_items=n, n_open=n)
            uow.commit()
    workers = [
        Actor.of(
            auth.create_user(p.uow(), actor=None, username=f"w{i}", password=None, role=Role.WORKER)
        )
        for i in range(16)
    ]
    token = auth.create_token(p.uow(), actor=None, username="w0", name="t", days=None).secret
    rng = np.random.default_rng(0)
    start, cpu0 = time.perf_counter(), time.process_time()
    for n in range(cycles):
        w = workers[n % 16]
        auth.authenticate(p.uow(), secret=token)  # what every HTTP request pays
        task = assignment.next_task(p.uow(), actor=w, project_id=pid, rng=rng)
        assert task is not None
        submissions.submit(p.uow(), actor=w, lease_id=task.lease_id, value="same", duration_ms=3000)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
    p.dispose()
    return 1000 * elapsed / cycles, 1000 * cpu / cycles


def _report(db: str, ms: tuple[float, float]) -> None:
    wall, cpu = ms
    print(
        f"{db + ':':9} {wall:.2f} ms per next+submit cycle ({1000 / wall:.0f} cycles/s, "
        f"1 thread), {cpu:.2f} ms process CPU per cycle, load average {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cycles", type=int, default=2000)
    ap.add_argument("--items", type=int, default=20_000)
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    args = ap.parse_args()
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            ms = run(None, Path(tmp), cycles=args.cycles, n_items=args.items)
        _report("sqlite", ms)
    if args.db in ("postgres", "both"):
        schema = f"sl_cycle_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            with tempfile.TemporaryDirectory() as tmp:
                ms = run(
                    f"{PG}?options=-csearch_path%3D{schema}",
                    Path(tmp),
                    cycles=args.cycles,
                    n_items=args.items,
                )
            _report("postgres", ms)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
