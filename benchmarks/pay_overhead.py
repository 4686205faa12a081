"""What ledger and audit writes add to the next-task + submit cycle, side by side in one run.

One platform, one project with a pay rule (max overlap 3, so every third label closes an item
and pays three labels). Cycles run in alternating blocks: with the audit record that submit
writes switched off (``services.audit.record`` replaced by a no-op: the code as it was before
payments) and on. After each "on" block the pay pipeline (seal + accrue + seal) runs and is
timed too, because its ledger and audit writes are work the same server does in the
background. Reported: median ms per cycle off / on, the pipeline's ms per label, and the
overhead ``(on - off + pipeline per cycle) / off``. Usage::

    .venv/bin/python -m benchmarks.pay_overhead --db both --blocks 10 --block-cycles 100
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

from benchmarks.service_cycle import PG
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

    audit.record = no_record  # type: ignore[assignment]
    try:
        yield
    finally:
        audit.record = original  # type: ignore[assignment]


def _cycles(
    p: Platform, pid: ProjectId, workers: list[Actor], token: str, n: int, start: int
) -> float:
    rng = np.random.default_rng(start)
    t0 = time.perf_counter()
    for k in range(start, start + n):
        w = workers[k % len(workers)]
        auth.authenticate(p.uow(), secret=token)
        task = assignment.next_task(p.uow(), actor=w, project_id=pid, rng=rng)
        assert task is not None
        submissions.submit(p.uow(), actor=w, lease_id=task.lease_id, value="same", duration_ms=3000)
    return 1000 * (time.perf_counter() - t0) / n


def run(url: str | None, data_dir: Path, *, blocks: int, block_cycles: int) -> dict[str, float]:
    p = build(Settings(data_dir=data_dir, database_url=url, run_jobs=False))
    pid, workers, token = _setup(p, n_items=blocks * block_cycles + 1000)
    off: list[float] = []
    on: list[float] = []
    pipeline_ms = 0.0
    labels_on = 0
    done = 0
    _cycles(p, pid, workers, token, 50, 10_000_000)  # warm-up (caches, statements)
    pay_run.run(p.uow)
    for b in range(blocks):
        with _audit_off():
            off.append(_cycles(p, pid, workers, token, block_cycles, done))
        done += block_cycles
        on.append(_cycles(p, pid, workers, token, block_cycles, done))
        done += block_cycles
        labels_on += block_cycles
        t0 = time.perf_counter()
        pay_run.run(p.uow)
        pipeline_ms += 1000 * (time.perf_counter() - t0)
        print(f"  block {b}: off {off[-1]:.2f} ms, on {on[-1]:.2f} ms", flush=True)
    verify_t0 = time.perf_counter()
    report = audit.verify(p.uow)
    assert report.ok, report
    p.dispose()
    m_off, m_on = statistics.median(off), statistics.median(on)
    per_cycle = pipeline_ms / labels_on
    return {
        "off_ms": m_off,
        "on_ms": m_on,
        "pipeline_ms_per_label": per_cycle,
        "hot_path_overhead": (m_on - m_off) / m_off,
        "total_overhead": (m_on - m_off + per_cycle) / m_off,
        "verify_s": time.perf_counter() - verify_t0,
        "records": report.n_checked,
    }


def _print(db: str, r: dict[str, float]) -> None:
    print(
        f"{db}: off {r['off_ms']:.2f} ms/cycle, on {r['on_ms']:.2f} ms/cycle "
        f"(submit path {r['hot_path_overhead']:+.1%}); "
        f"pipeline {r['pipeline_ms_per_label']:.2f} ms per label; "
        f"total {r['total_overhead']:+.1%}; verified {r['records']:.0f} records"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--blocks", type=int, default=10)
    ap.add_argument("--block-cycles", type=int, default=100)
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    args = ap.parse_args()
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            _print(
                "sqlite", run(None, Path(tmp), blocks=args.blocks, block_cycles=args.block_cycles)
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
                    run(url, Path(tmp), blocks=args.blocks, block_cycles=args.block_cycles),
                )
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
