"""Page benchmark: the requester dashboard and the annotate page's next item on a big project.

Prepares one product-matching project with ``--items`` items of which ``--labelled`` are done
with three labels each from a crowd of ``--crowd`` workers (labels spread over 30 days), their
consensus rows, the workers' maintained counters and the per-hour label counts - written with
bulk inserts, as a project that size would look after months of work. Then, in this order:

1. the background cost: one ``quality_report`` snapshot (:mod:`shoplabel.services
   .quality_snapshots`), which scans the project's labels and consensus;
2. the pages, through the real app (``TestClient(create_app(...))``, session cookie): the
   dashboard, the project page, the project list and the health page, ``--repeat`` times
   each, server time per request (the client runs in-process, there is no network);
3. the annotate page's next item: ``--workers`` threads, each a worker looping next-task +
   submit through the services for ``--duration`` seconds after a warm-up; the next-task
   call's time is the server's work for "next item" minus HTTP framing.

Usage::

    .venv/bin/python -m benchmarks.pages --db sqlite --items 1000000 --labelled 900000 \\
        --out pages.json
"""

from __future__ import annotations

import argparse
import json
import platform as pyplatform
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import Table, create_engine, insert, text

from benchmarks.import_1m import fresh_platform, new_project, pg_schema
from benchmarks.load import _insert_items
from shoplabel.bootstrap import Platform
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.users import Actor, Role
from shoplabel.services import assignment, auth, quality_snapshots, submissions
from shoplabel.storage.tables import (
    AnnotationRow,
    ConsensusRow,
    LabelActivityRow,
    WorkerStateRow,
)
from shoplabel.web.app import create_app
from shoplabel.web.security import SESSION_COOKIE

BATCH = 50_000
OVERLAP = 3
DAYS = 30


def _table(row: type[Any]) -> Table:
    return cast(Table, row.__table__)


def _crowd(p: Platform, n: int) -> list[int]:
    ids = []
    for i in range(n):
        user = auth.create_user(
            p.uow(), actor=None, username=f"crowd{i:04d}", password=None, role=Role.WORKER
        )
        ids.append(int(user.id))
    return ids


def _label_batches(
    first_item: int, n_labelled: int, crowd: list[int], rng: np.random.Generator
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """(annotation rows, consensus rows) per batch of items; three distinct workers per item."""
    span = DAYS * 24 * 3600
    start = datetime.now(UTC) - timedelta(days=DAYS)
    for lo in range(0, n_labelled, BATCH):
        n = min(BATCH, n_labelled - lo)
        picks = np.stack([rng.choice(len(crowd), OVERLAP, replace=False) for _ in range(n)])
        seconds = np.sort(rng.integers(0, span, n))
        anns, cons = [], []
        for k in range(n):
            item = first_item + lo + k
            at = start + timedelta(seconds=int(seconds[k]))
            values = ["same" if rng.random() < 0.8 else "different" for _ in range(OVERLAP)]
            for j in range(OVERLAP):
                anns.append(
                    {
                        "item_id": item,
                        "project_id": 0,
                        "worker_id": crowd[int(picks[k, j])],
                        "value": values[j],
                        "duration_ms": int(rng.integers(1500, 20000)),
                        "created_at": at + timedelta(seconds=j * 40),
                    }
                )
            top = max(set(values), key=values.count)
            cons.append(
                {
                    "item_id": item,
                    "project_id": 0,
                    "value": top,
                    "confidence": values.count(top) / OVERLAP,
                    "method": "majority-vote",
                    "n_labels": OVERLAP,
                    "updated_at": at,
                }
            )
        yield anns, cons


def _load_labels(
    p: Platform, pid: ProjectId, n_labelled: int, crowd: list[int]
) -> tuple[int, float]:
    url = p.settings.resolved_database_url()
    engine = create_engine(url)
    t0 = time.perf_counter()
    per_worker: Counter[int] = Counter()
    per_hour: Counter[datetime] = Counter()
    with engine.begin() as conn:
        first = int(
            conn.execute(
                text("SELECT min(id) FROM items WHERE project_id = :p"), {"p": pid}
            ).scalar_one()
        )
    rng = np.random.default_rng(11)
    n_labels = 0
    for anns, cons in _label_batches(first, n_labelled, crowd, rng):
        for a in anns:
            a["project_id"] = pid
            per_worker[a["worker_id"]] += 1
            per_hour[a["created_at"].replace(minute=0, second=0, microsecond=0)] += 1
        for c in cons:
            c["project_id"] = pid
        with engine.begin() as conn:
            conn.execute(insert(_table(AnnotationRow)), anns)
            conn.execute(insert(_table(ConsensusRow)), cons)
        n_labels += len(anns)
        print(f"  labels {n_labels:,}", file=sys.stderr, flush=True)
    last = first + n_labelled
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE items SET n_labels = 3, n_reserved = 3, status = 'done' "
                "WHERE project_id = :p AND id < :last"
            ),
            {"p": pid, "last": last},
        )
        conn.execute(
            text(
                "UPDATE projects SET n_done = :d, n_open = n_items - :d, n_annotations = :a "
                "WHERE id = :p"
            ),
            {"p": pid, "d": n_labelled, "a": n_labels},
        )
        now = datetime.now(UTC)
        conn.execute(
            insert(_table(WorkerStateRow)),
            [
                {
                    "project_id": pid,
                    "worker_id": w,
                    "n_labels": n,
                    "n_tasks": n,
                    "answer_counts": {},
                    "fired": {},
                    "updated_at": now,
                }
                for w, n in per_worker.items()
            ],
        )
        conn.execute(
            insert(_table(LabelActivityRow)),
            [{"project_id": pid, "hour": h, "n_labels": n} for h, n in per_hour.items()],
        )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return n_labels, time.perf_counter() - t0


def _pcts(values: list[float]) -> dict[str, float]:
    a = np.asarray(values)
    return {
        "n": len(values),
        "p50": round(float(np.percentile(a, 50)), 1),
        "p99": round(float(np.percentile(a, 99)), 1),
        "max": round(float(a.max()), 1),
    }


def _timed(client: TestClient, path: str, repeat: int) -> tuple[dict[str, float], str]:
    assert client.get(path).status_code == 200  # compile the template once
    times = []
    text_out = ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        text_out = r.text
    return _pcts(times), text_out


def _pages(p: Platform, pid: ProjectId, repeat: int) -> dict[str, Any]:
    admin = auth.login(p.uow(), username="bench_admin", password="bench-password", session_hours=1)
    name = f"page_worker_{time.time_ns():x}"
    auth.create_user(
        p.uow(), actor=None, username=name, password="page-worker-pw", role=Role.WORKER
    )
    worker = auth.login(p.uow(), username=name, password="page-worker-pw", session_hours=1)
    out: dict[str, Any] = {}
    with TestClient(create_app(p)) as client:
        client.cookies.set(SESSION_COOKIE, admin.secret)
        for name, path in (
            ("dashboard", f"/projects/{pid}/dashboard"),
            ("project", f"/projects/{pid}"),
            ("projects", "/projects"),
            ("health", "/admin/health"),
        ):
            out[name], html = _timed(client, path, repeat)
            if name == "dashboard":
                assert 'id="snapshot-age"' in html
                assert '"activity": [[' in html
        client.cookies.set(SESSION_COOKIE, worker.secret)
        for name, path in (("worker_home", "/home"), ("annotate", f"/projects/{pid}/annotate")):
            out[name], _ = _timed(client, path, repeat)
    return out


def _annotate(p: Platform, pid: ProjectId, n_workers: int, args: Any) -> dict[str, Any]:
    tag = f"{time.time_ns():x}"
    actors = [
        Actor.of(
            auth.create_user(
                p.uow(), actor=None, username=f"live{tag}_{i}", password=None, role=Role.WORKER
            )
        )
        for i in range(n_workers)
    ]
    next_ms: list[float] = []
    submit_ms: list[float] = []
    errors: Counter[str] = Counter()
    lock = threading.Lock()
    t_start = time.perf_counter()
    t_measure, t_end = t_start + args.warmup, t_start + args.warmup + args.duration

    def run(actor: Actor, seed: int) -> None:
        rng = np.random.default_rng(seed)
        for _ in range(100_000):  # bounded whatever the timings
            now = time.perf_counter()
            if now >= t_end:
                return
            try:
                task = assignment.next_task(p.uow(), actor=actor, project_id=pid, rng=rng)
                t1 = time.perf_counter()
                if task is None:
                    return
                submissions.submit(p.uow(), actor=actor, lease_id=task.lease_id, value="same")
                t2 = time.perf_counter()
            except Exception as e:  # a benchmark counts failures instead of stopping
                errors[type(e).__name__] += 1
                continue
            if now >= t_measure:
                with lock:
                    next_ms.append((t1 - now) * 1000)
                    submit_ms.append((t2 - t1) * 1000)

    threads = [threading.Thread(target=run, args=(a, i)) for i, a in enumerate(actors)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=args.warmup + args.duration + 60)
    return {
        "workers": n_workers,
        "cycles_per_s": round(len(next_ms) / args.duration, 1),
        "next_ms": _pcts(next_ms) if next_ms else {},
        "submit_ms": _pcts(submit_ms) if submit_ms else {},
        "errors": dict(errors),
    }


def _prepare(p: Platform, args: Any) -> dict[str, Any]:
    t0 = time.perf_counter()
    admin, pid = new_project(p, f"pages {args.items}")
    _insert_items(p, pid, args.items)
    items_s = time.perf_counter() - t0
    crowd = _crowd(p, args.crowd)
    n_labels, labels_s = _load_labels(p, pid, args.labelled, crowd)
    t0 = time.perf_counter()
    snap = quality_snapshots.refresh_snapshot(p.uow, actor=admin, project_id=pid)
    return {
        "project_id": int(pid),
        "items": args.items,
        "labels": n_labels,
        "crowd": args.crowd,
        "prepare_items_s": round(items_s, 1),
        "prepare_labels_s": round(labels_s, 1),
        "snapshot_job_s": round(time.perf_counter() - t0, 2),
        "snapshot_sampled": snap.report.agreement.sampled,
    }


def bench(db: str, args: Any, stack: ExitStack) -> dict[str, Any]:
    """Prepare (or, with ``--data-dir`` holding a prepared SQLite database, reuse) the
    project, then time the pages and the annotate loop."""
    if args.data_dir is not None and db == "sqlite":
        data_dir: Path = args.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
    else:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sl-pages-")))
    url = None if db == "sqlite" else stack.enter_context(pg_schema("pages"))
    marker = data_dir / "prepared.json"
    reuse = url is None and marker.exists()
    p = fresh_platform(data_dir, url)
    stack.callback(p.dispose)
    prepared = json.loads(marker.read_text()) if reuse else _prepare(p, args)
    if url is None:
        marker.write_text(json.dumps(prepared))
    pid = ProjectId(prepared["project_id"])
    result = {"db": db, "reused": reuse, **prepared, "pages_ms": _pages(p, pid, args.repeat)}
    print(json.dumps(result), file=sys.stderr, flush=True)
    result["annotate"] = [_annotate(p, pid, w, args) for w in args.workers]
    return result


def _args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--labelled", type=int, default=900_000)
    ap.add_argument("--crowd", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], default=[1, 16])
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument(
        "--data-dir", type=Path, default=None, help="keep (and reuse) the SQLite database here"
    )
    return ap.parse_args()


def main() -> None:
    args = _args()
    if args.labelled > args.items:
        raise SystemExit("--labelled must not exceed --items")
    dbs = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    results = []
    for db in dbs:
        with ExitStack() as stack:
            results.append(bench(db, args, stack))
    report = {
        "machine": f"{pyplatform.machine()}, Python {pyplatform.python_version()}",
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "results": results,
    }
    text_out = json.dumps(report, indent=2)
    print(text_out)
    if args.out is not None:
        args.out.write_text(text_out, encoding="utf-8")


if __name__ == "__main__":
    main()
