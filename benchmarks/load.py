"""Loopback load benchmark: next-task + submit cycles against a real ``shoplabel serve``.

For each database (SQLite file, fresh PostgreSQL schema) and each project size it prepares a
database with one product-matching project (max overlap 3, 600 s leases) and ``max(W)``
worker accounts with API tokens (through the services, not HTTP), starts one ``shoplabel
serve`` subprocess per project size on 127.0.0.1 (all started together; an idle server uses
no CPU) and then, for each W, runs the sizes back to back so the 10k / 1M comparison shares
the machine's noise. Before each run the project's labelling state is reset, so every run
starts from the same state. Each simulated worker is a thread with its own keep-alive
``httpx.Client`` doing next-task + submit; the client shares the machine's cores with the
server and the database (its CPU use is reported).

Every loop is bounded in time and count; only 127.0.0.1 is contacted; servers are stopped at
the end, on errors and on Ctrl-C.

Usage::

    .venv/bin/python -m benchmarks.load --db both --items 10000,1000000 --workers 1,16,32 \\
        --duration 20 --out load.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform as pyplatform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from benchmarks.import_1m import fresh_platform, new_project, pair_rows, pg_schema
from shoplabel.bootstrap import Platform
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.items import NewItem, content_hash
from shoplabel.domain.users import Role
from shoplabel.services import auth

console = Console(width=160)
BATCH = 10_000
LABELS = ("same", "different")
WORKER_ACCURACY = 0.9
MAX_CYCLES_PER_SECOND = 2_000  # per worker: bounds every loop whatever the server does


@dataclass(frozen=True)
class Prepared:
    db: str
    n_items: int
    data_dir: Path
    url: str | None
    project_id: ProjectId
    tokens: tuple[str, ...]
    prep_seconds: float


@dataclass
class Samples:
    next_ms: list[float] = field(default_factory=list)
    submit_ms: list[float] = field(default_factory=list)
    cycle_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    empty: int = 0


# ---------------------------------------------------------------- preparing the databases


def _insert_items(p: Platform, project_id: ProjectId, n_items: int) -> None:
    """``uow.items.add_many`` in batches of 10k, counters as the import service keeps them."""
    for start in range(0, n_items, BATCH):
        items = []
        for row in pair_rows(min(BATCH, n_items - start), start=start):
            payload: dict[str, dict[str, str]] = {"left": {}, "right": {}}
            for key, value in row.items():
                if key != "external_id":
                    side, name = key.split(".")
                    payload[side][name] = value
            items.append(NewItem(row["external_id"], payload, content_hash(payload)))
        with p.uow() as uow:
            n = uow.items.add_many(project_id, items)
            uow.projects.add_counters(project_id, n_items=n, n_open=n)
            uow.commit()


def prepare(db: str, n_items: int, n_workers: int, data_dir: Path, url: str | None) -> Prepared:
    t0 = time.perf_counter()
    p = fresh_platform(data_dir, url)
    _, project_id = new_project(p, f"load {n_items}")
    _insert_items(p, project_id, n_items)
    tokens = []
    for i in range(n_workers):
        name = f"worker{i:03d}"
        auth.create_user(
            p.uow(), actor=None, username=name, password="pw-" + name, role=Role.WORKER
        )
        issued = auth.create_token(p.uow(), actor=None, username=name, name="bench", days=None)
        tokens.append(issued.secret)
    p.dispose()
    if url is not None:  # what autovacuum would do shortly after a bulk load
        _sql(url, ["ANALYZE"])
    return Prepared(db, n_items, data_dir, url, project_id, tuple(tokens), time.perf_counter() - t0)


def _db_url(prep: Prepared) -> str:
    return prep.url or f"sqlite:///{prep.data_dir / 'shoplabel.db'}"


def _sql(url: str, statements: Sequence[str], params: dict[str, Any] | None = None) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for stmt in statements:
            conn.execute(text(stmt), params or {})
    engine.dispose()


def reset(prep: Prepared) -> None:
    """Put the project back to "nothing labelled" (only the rows the last run touched)."""
    _sql(
        _db_url(prep),
        [
            "DELETE FROM annotations WHERE project_id = :p",
            "DELETE FROM leases WHERE project_id = :p",
            "DELETE FROM worker_states WHERE project_id = :p",
            "UPDATE items SET status = 'open', n_labels = 0, n_reserved = 0 "
            "WHERE project_id = :p AND (n_reserved > 0 OR n_labels > 0 OR status != 'open')",
            "UPDATE projects SET n_open = n_items, n_done = 0, n_review = 0, "
            "n_annotations = 0, n_skips = 0 WHERE id = :p",
        ],
        {"p": prep.project_id},
    )


# ---------------------------------------------------------------- the server subprocess


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(prep: Prepared, *, procs: int) -> Iterator[tuple[str, int]]:
    """``shoplabel serve`` on a free loopback port; yields (base URL, pid); always stopped."""
    port = _free_port()
    env = {**os.environ, "SHOPLABEL_DATA_DIR": str(prep.data_dir), "SHOPLABEL_RUN_JOBS": "false"}
    env.pop("SHOPLABEL_DATABASE_URL", None)
    if prep.url:
        env["SHOPLABEL_DATABASE_URL"] = prep.url
    exe = Path(sys.executable).with_name("shoplabel")
    cmd = [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(procs)]
    log = (prep.data_dir / f"server-{port}.log").open("wb")
    proc = subprocess.Popen(
        cmd, env=env, cwd=prep.data_dir, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_healthy(base, proc, prep.data_dir / f"server-{port}.log")
        yield base, proc.pid
    finally:
        _stop(proc)
        log.close()


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"server not healthy after 90 s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)  # our own session: the server and its worker processes
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its direct children (uvicorn worker processes)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


# ---------------------------------------------------------------- the simulated workers


@dataclass(frozen=True)
class Window:
    measure_from: float
    until: float
    max_cycles: int


def answer(item_id: int, rng: random.Random) -> str:
    """A careful worker: the item's hidden truth (a fixed function of its id) 90% of the time.

    Random answers would be right, too, for a load test, but the project's default quality
    rules ban near-chance workers within a few dozen labels, which turns the run into 403s.
    """
    truth = LABELS[item_id % 7 == 0]  # 1 in 7 pairs is "different": an unbalanced task
    return truth if rng.random() < WORKER_ACCURACY else LABELS[truth == LABELS[0]]


def _cycle(c: httpx.Client, project_id: int, rng: random.Random, s: Samples) -> tuple[float, ...]:
    """One next + submit; returns (start, after next, after submit), or () if not a cycle."""
    t0 = time.perf_counter()
    r = c.post(f"/api/v1/projects/{project_id}/tasks/next")
    t1 = time.perf_counter()
    if r.status_code == 204:
        s.empty += 1
        return ()
    if r.status_code != 200:
        s.errors[f"next {r.status_code}"] += 1
        return ()
    task = r.json()
    body = {"value": answer(task["item_id"], rng), "duration_ms": rng.randint(800, 9000)}
    r = c.post(f"/api/v1/tasks/{task['lease_id']}/annotations", json=body)
    t2 = time.perf_counter()
    if r.status_code != 201:
        s.errors[f"submit {r.status_code}"] += 1
        return ()
    return t0, t1, t2


def worker(base: str, token: str, project_id: int, w: Window) -> Samples:
    s = Samples()
    rng = random.Random(token)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
        for _ in range(w.max_cycles):
            if time.perf_counter() >= w.until:
                break
            try:
                got = _cycle(c, project_id, rng, s)
            except httpx.HTTPError as e:
                s.errors[type(e).__name__] += 1
                got = ()
            if not got:
                time.sleep(0.05)  # back off on 204 / errors; still bounded by the window
                continue
            t0, t1, t2 = got
            if t0 >= w.measure_from and t2 <= w.until:
                s.next_ms.append((t1 - t0) * 1000)
                s.submit_ms.append((t2 - t1) * 1000)
                s.cycle_ms.append((t2 - t0) * 1000)
    return s


def _pcts(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p99": float("nan")}
    p50, p99 = np.percentile(np.asarray(values), [50, 99])
    return {"p50": float(p50), "p99": float(p99)}


def run_load(base: str, pid: int, prep: Prepared, n_workers: int, args: Any) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    w = Window(start + args.warmup, start + args.warmup + args.duration,
               int((args.warmup + args.duration) * MAX_CYCLES_PER_SECOND))  # fmt: skip
    cpu0, srv0 = time.process_time(), _cpu_seconds(pid)
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        futures = [
            pool.submit(worker, base, prep.tokens[i], prep.project_id, w) for i in range(n_workers)
        ]
        parts = [f.result() for f in futures]
    wall = time.perf_counter() - start
    client_cpu, server_cpu = time.process_time() - cpu0, _cpu_seconds(pid) - srv0
    cycles = [x for p in parts for x in p.cycle_ms]
    errors: Counter[str] = sum((p.errors for p in parts), Counter())
    return {
        "cycles": len(cycles),
        "cycles_per_s": len(cycles) / args.duration,
        "next": _pcts([x for p in parts for x in p.next_ms]),
        "submit": _pcts([x for p in parts for x in p.submit_ms]),
        "cycle": _pcts(cycles),
        "errors": dict(errors),
        "empty_204": sum(p.empty for p in parts),
        "client_cpu_cores": client_cpu / wall,
        "server_cpu_cores": server_cpu / wall,
        "server_cpu_ms_per_cycle": 1000 * server_cpu / wall * args.duration / max(len(cycles), 1),
        "loadavg_1m_before": load_before,
    }


# ---------------------------------------------------------------- orchestration and output


def _prepare_all(stack: ExitStack, db: str, args: Any, tmp: Path) -> list[Prepared]:
    preps = []
    for n_items in args.items:
        data_dir = tmp / f"{db}-{n_items}"
        data_dir.mkdir()
        url = stack.enter_context(pg_schema(f"load_{n_items}")) if db == "postgres" else None
        console.print(f"[bold]{db}[/]: preparing {n_items:,} items ...")
        preps.append(prepare(db, n_items, max(args.workers), data_dir, url))
        console.print(f"  ready in {preps[-1].prep_seconds:.1f} s")
    return preps


def bench_db(db: str, args: Any, tmp: Path) -> list[dict[str, Any]]:
    results = []
    with ExitStack() as stack:
        preps = _prepare_all(stack, db, args, tmp)
        for procs in args.procs or ((1, 2) if db == "postgres" and args.pg_two_procs else (1,)):
            with ExitStack() as servers:
                bases = [servers.enter_context(server(p, procs=procs)) for p in preps]
                for n_workers in args.workers:
                    for prep, (base, pid) in zip(preps, bases, strict=True):
                        reset(prep)
                        row = run_load(base, pid, prep, n_workers, args)
                        row |= {"db": db, "procs": procs, "items": prep.n_items, "W": n_workers}
                        console.print(_summary(row))
                        results.append(row)
    return results


def _summary(r: dict[str, Any]) -> str:
    return (
        f"{r['db']} procs={r['procs']} items={r['items']:,} W={r['W']}: "
        f"{r['cycles_per_s']:.0f} cycles/s, cycle p50 {r['cycle']['p50']:.1f} ms "
        f"p99 {r['cycle']['p99']:.1f} ms, errors {r['errors']}"
    )


def results_table(results: list[dict[str, Any]]) -> Table:
    t = Table(title="next + submit cycles over loopback HTTP (latencies in ms)")
    cols = ("db", "procs", "items", "W", "cycles/s", "next p50", "next p99", "submit p50",
            "submit p99", "cycle p50", "cycle p99", "errors", "CPU srv/cli")  # fmt: skip
    for col in cols:
        t.add_column(col, justify="left" if col == "db" else "right")
    for r in results:
        t.add_row(
            r["db"], str(r["procs"]), f"{r['items']:,}", str(r["W"]), f"{r['cycles_per_s']:.0f}",
            *(f"{r[k][p]:.1f}" for k in ("next", "submit", "cycle") for p in ("p50", "p99")),
            str(sum(r["errors"].values())),
            f"{r['server_cpu_cores']:.2f}/{r['client_cpu_cores']:.2f}",
        )  # fmt: skip
    return t


def ratio_table(results: list[dict[str, Any]]) -> Table:
    """Largest project vs smallest, same database, processes and W."""
    t = Table(title="largest / smallest project, same db, procs and W")
    for col in ("db", "procs", "W", "cycles/s", "next p50", "submit p50", "cycle p50", "cycle p99"):
        t.add_column(col, justify="left" if col == "db" else "right")
    by = {(r["db"], r["procs"], r["W"], r["items"]): r for r in results}
    for (db, procs, w, items), small in by.items():
        big_items = max(i for (d, p, x, i) in by if (d, p, x) == (db, procs, w))
        if (
            items != min(i for (d, p, x, i) in by if (d, p, x) == (db, procs, w))
            or big_items == items
        ):
            continue
        big = by[(db, procs, w, big_items)]
        t.add_row(
            db, str(procs), str(w), f"{big['cycles_per_s'] / small['cycles_per_s']:.2f}",
            *(f"{big[k]['p50'] / small[k]['p50']:.2f}" for k in ("next", "submit", "cycle")),
            f"{big['cycle']['p99'] / small['cycle']['p99']:.2f}",
        )  # fmt: skip
    return t


def _args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--items", default="10000,1000000")
    ap.add_argument("--workers", default="1,16,32")
    ap.add_argument("--duration", type=float, default=20.0, help="Measured seconds per run.")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--no-pg-two-procs", dest="pg_two_procs", action="store_false",
                    help="Skip the PostgreSQL pass with 2 uvicorn worker processes.")  # fmt: skip
    ap.add_argument("--procs", default=None,
                    help="Uvicorn worker processes to run, e.g. 1,2,4 (default: 1; PostgreSQL "
                    "also 2 unless --no-pg-two-procs).")  # fmt: skip
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    args.items = [int(x) for x in args.items.split(",")]
    args.workers = [int(x) for x in args.workers.split(",")]
    args.procs = [int(x) for x in args.procs.split(",")] if args.procs else None
    if args.duration > 600 or args.warmup > 60 or max(args.workers) > 256:
        ap.error("bounded benchmark: duration <= 600 s, warmup <= 60 s, workers <= 256")
    return args


def main() -> None:
    args = _args()
    dbs = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="sl-load-bench-") as tmp:
        for db in dbs:
            results += bench_db(db, args, Path(tmp))
    console.print(results_table(results))
    console.print(ratio_table(results))
    if args.out:
        meta = {"python": pyplatform.python_version(), "cpus": os.cpu_count(),
                "argv": sys.argv[1:], "duration": args.duration, "warmup": args.warmup}  # fmt: skip
        args.out.write_text(json.dumps({"meta": meta, "results": results}, indent=2))


if __name__ == "__main__":
    main()
