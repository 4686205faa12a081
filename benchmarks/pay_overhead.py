"""What ledger and audit writes add to the next-task + submit cycle, side by side in one run.

One platform, one project with a pay rule (max overlap 3, so every third label closes an item
and pays three labels). Cycles run in alternating blocks: with the audit record that submit
writes switched off (``services.audit.record`` replaced by a no-op: the code as it was before
payments) and on. The pay pipeline (seal + accrue + seal) runs after every ``--pay-every``
blocks and is timed too, because its ledger and audit writes are work
the same server does in the background. Reported, as wall time and as this process's CPU time
(the machine is shared, so wall time mostly measures other people's load): median ms per cycle
off / on, the pipeline's ms per label, and the overhead
``(on - off + pipeline per label) / off``. Usage::

    .venv/bin/python -m benchmarks.pay_overhead --db both --blocks 20 --block-cycles 50 \
        --pay-every 4
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, text

from benchmarks.import_1m import PG_BASE as PG
from shoplabel.bootstrap import Platform, build
from shoplabel.config import Settings
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.items import NewItem, content_hash
from shoplabel.domain.users import Actor, Role
from shoplabel.services import assignment, audit, auth, pay_rules, pay_run, projects, submissions


def _setup(p: Platform, n_items: int) -> tuple[ProjectId, list[Actor], str]:
    owner = Actor.of(
        auth.create_user(p.uow(), actor=None, username="req", password=None, role=Role.REQUESTER)
    )
    spec = projects.ProjectSpec(
        name="bench", template="product_matching", settings={"max_overlap": 3, "gold_rate": 0}
    )
    pid = projects.create_project(p.uow(), spec, actor=owner).id
    pay_rules.set_rule(p.uow(), actor=owner, project_id=pid, rule={"currency": "USD", "reward": 5})
    for lo in range(0, n_items, 10_000):
        items = [
            NewItem(
                f"e{i}",
                {"left": {"name": f"a{i}"}, "right": {"name": f"b{i}"}},
                content_hash({"i": i}),
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
    return pid, workers, token


@contextmanager
def _audit_off() -> Iterator[None]:
    original = audit.record

    def no_record(*_: Any, **__: Any) -> None:
        return None

    audit.record = no_record
    try:
        yield
    finally:
        audit.record = original


def _cycles(
    p: Platform, pid: ProjectId, workers: list[Actor], token: str, n: int, start: int
) -> tuple[float, float]:
    """(wall ms, CPU ms of this process) per cycle."""
    rng = np.random.default_rng(start)
    t0, c0 = time.perf_counter(), time.process_time()
    for k in range(start, start + n):
        w = workers[k % len(workers)]
        auth.authenticate(p.uow(), secret=token)
        task = assignment.next_task(p.uow(), actor=w, project_id=pid, rng=rng)
        assert task is not None
        submissions.submit(p.uow(), actor=w, lease_id=task.lease_id, value="same", duration_ms=3000)
    return 1000 * (time.perf_counter() - t0) / n, 1000 * (time.process_time() - c0) / n


def _summary(off: list[float], on: list[float], pipeline: float) -> dict[str, float]:
    m_off, m_on = statistics.median(off), statistics.median(on)
    return {
        "off": m_off,
        "on": m_on,
        "pipeline": pipeline,
        "submit_path": (m_on - m_off) / m_off,
        "total": (m_on - m_off + pipeline) / m_off,
    }


def run(
    url: str | None, data_dir: Path, *, blocks: int, block_cycles: int, pay_every: int
) -> dict[str, dict[str, float]]:
    """Medians per block of wall and CPU ms per cycle, off and on; pipeline ms per label."""
    p = build(Settings(data_dir=data_dir, database_url=url, run_jobs=False))
    pid, workers, token = _setup(p, n_items=2 * blocks * block_cycles + 1000)
    off: list[tuple[float, float]] = []
    on: list[tuple[float, float]] = []
    wall = cpu = 0.0
    done = 0
    _cycles(p, pid, workers, token, 50, 10_000_000)  # warm-up (caches, statements)
    pay_run.run(p.uow)
    for b in range(blocks):
        with _audit_off():
            off.append(_cycles(p, pid, workers, token, block_cycles, done))
        done += block_cycles
        on.append(_cycles(p, pid, workers, token, block_cycles, done))
        done += block_cycles
        if (b + 1) % pay_every == 0 or b == blocks - 1:
            t0, c0 = time.perf_counter(), time.process_time()
            pay_run.run(p.uow)
            wall += 1000 * (time.perf_counter() - t0)
            cpu += 1000 * (time.process_time() - c0)
        print(f"  block {b}: off {off[-1][0]:.1f} ms, on {on[-1][0]:.1f} ms (wall)", flush=True)
    report = audit.verify(p.uow)
    assert report.ok, report
    p.dispose()
    labels = blocks * block_cycles
    return {
        "wall": _summary([w for w, _ in off], [w for w, _ in on], wall / labels),
        "cpu": _summary([c for _, c in off], [c for _, c in on], cpu / labels),
    }


def _print(db: str, r: dict[str, dict[str, float]]) -> None:
    for kind, x in r.items():
        print(
            f"{db} {kind}: off {x['off']:.2f} ms/cycle, on {x['on']:.2f} ms/cycle "
            f"(submit path {x['submit_path']:+.1%}); pipeline {x['pipeline']:.2f} ms per label; "
            f"total {x['total']:+.1%}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--blocks", type=int, default=20)
    ap.add_argument("--block-cycles", type=int, default=50)
    ap.add_argument(
        "--pay-every",
        type=int,
        default=4,
        help="Run the pay pipeline after every N blocks (the job worker runs it every 60 s).",
    )
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    args = ap.parse_args()
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            _print(
                "sqlite",
                run(
                    None,
                    Path(tmp),
                    blocks=args.blocks,
                    block_cycles=args.block_cycles,
                    pay_every=args.pay_every,
                ),
            )
    if args.db in ("postgres", "both"):
        schema = f"sl_pay_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            with tempfile.TemporaryDirectory() as tmp:
                url = f"{PG}?options=-csearch_path%3D{schema}"
                _print(
                    "postgres",
                    run(
                        url,
                        Path(tmp),
                        blocks=args.blocks,
                        block_cycles=args.block_cycles,
                        pay_every=args.pay_every,
                    ),
                )
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
