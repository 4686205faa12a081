"""CPU cost of one next-task + submit cycle, in process, layer by layer.

The loopback load benchmark (``benchmarks/load.py``) measures what a user sees, but on a
shared 2-core machine its wall numbers move with everybody else's load. This one measures
what the server spends per cycle, which load barely changes: CPU time (``time.process_time``)
and SQL statements, for

- ``service``: ``assignment.next_task`` + ``submissions.submit`` on a unit of work, no web;
- ``asgi``: the same through the FastAPI app, called as an ASGI callable (routing, auth,
  dependencies, validation, JSON), without sockets or an HTTP parser.

One process, one simulated worker at a time (round-robin over ``--workers`` accounts), on a
fresh SQLite file or a fresh PostgreSQL schema.

Usage::

    .venv/bin/python -m benchmarks.cycle_cost --db both --items 10000 --cycles 2000
    .venv/bin/python -m benchmarks.cycle_cost --db sqlite --profile   # pyinstrument tree
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, event

from benchmarks.import_1m import pg_schema
from benchmarks.load import Prepared, answer, prepare
from shoplabel.bootstrap import Platform, build
from shoplabel.config import Settings
from shoplabel.domain.ids import LeaseId
from shoplabel.services import assignment, auth, submissions
from shoplabel.web.app import create_app

console = Console(width=140)
_COUNTED_CYCLES = 100


class StatementCounter:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, *_: Any) -> None:
        self.n += 1


@contextmanager
def counting() -> Iterator[StatementCounter]:
    """Counts every statement any engine of this process sends."""
    counter = StatementCounter()
    event.listen(Engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(Engine, "before_cursor_execute", counter)


# ---------------------------------------------------------------- the two layers


def service_cycles(p: Platform, prep: Prepared, n: int) -> int:
    actors = [auth.authenticate(p.uow(), secret=t) for t in prep.tokens]
    rng, gen = random.Random(0), np.random.default_rng(0)
    done = 0
    for i in range(n):
        actor = actors[i % len(actors)]
        task = assignment.next_task(p.uow(), actor=actor, project_id=prep.project_id, rng=gen)
        if task is None:
            continue
        submissions.submit(
            p.uow(),
            actor=actor,
            lease_id=LeaseId(task.lease_id),
            value=answer(task.item_id, rng),
            duration_ms=rng.randint(800, 9000),
        )
        done += 1
    return done


class AsgiClient:
    """Calls the app as ASGI: one request, its whole response body, nothing else."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self._startup())

    async def _startup(self) -> None:
        self._lifespan_q: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._lifespan_sent: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._lifespan = asyncio.ensure_future(
            self.app(
                {"type": "lifespan", "asgi": {"version": "3.0"}},
                self._lifespan_q.get,
                self._lifespan_sent.put,
            )
        )
        await self._lifespan_q.put({"type": "lifespan.startup"})
        await self._lifespan_sent.get()

    def close(self) -> None:
        async def stop() -> None:
            await self._lifespan_q.put({"type": "lifespan.shutdown"})
            await self._lifespan_sent.get()

        self.loop.run_until_complete(stop())
        self.loop.close()

    def post(self, path: str, token: str, body: bytes = b"") -> tuple[int, bytes]:
        return self.loop.run_until_complete(self._post(path, token, body))

    async def _post(self, path: str, token: str, body: bytes) -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"127.0.0.1"),
                (b"authorization", b"Bearer " + token.encode()),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        sent = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


def asgi_cycles(p: Platform, prep: Prepared, n: int) -> int:
    client = AsgiClient(create_app(p))
    rng = random.Random(0)
    done = 0
    try:
        for i in range(n):
            token = prep.tokens[i % len(prep.tokens)]
            status, raw = client.post(f"/api/v1/projects/{prep.project_id}/tasks/next", token)
            if status != 200:
                continue
            task = json.loads(raw)
            body = {"value": answer(task["item_id"], rng), "duration_ms": rng.randint(800, 9000)}
            status, raw = client.post(
                f"/api/v1/tasks/{task['lease_id']}/annotations", token, json.dumps(body).encode()
            )
            if status != 201:
                raise RuntimeError(f"submit answered {status}: {raw[:300]!r}")
            done += 1
    finally:
        client.close()
    return done


@contextmanager
def _database(db: str) -> Iterator[str | None]:
    if db == "sqlite":
        yield None
        return
    with pg_schema("cycle") as url:
        yield url


LAYERS = {"service": service_cycles, "asgi": asgi_cycles}


# ---------------------------------------------------------------- orchestration


def measure(db: str, args: argparse.Namespace, tmp: Path) -> list[dict[str, Any]]:
    rows = []
    for layer, run in LAYERS.items():
        if args.layers and layer not in args.layers.split(","):
            continue
        data_dir = tmp / f"{db}-{layer}"
        data_dir.mkdir()
        with _database(db) as url:
            prep = prepare(db, args.items, args.workers, data_dir, url)
            settings = Settings(_env_file=None, data_dir=data_dir, database_url=url, run_jobs=False)
            p = build(settings)
            try:
                run(p, prep, args.warmup)
                cpu0, t0 = time.process_time(), time.perf_counter()
                if args.profile:
                    from pyinstrument import Profiler

                    with Profiler(interval=0.0002) as prof:
                        done = run(p, prep, args.cycles)
                    prof.print(show_all=False, short_mode=False)
                else:
                    done = run(p, prep, args.cycles)
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
                # Counted apart: a statement listener makes SQLAlchemy dispatch events on
                # every statement, which would inflate the CPU measured above.
                with counting() as stmts:
                    counted = run(p, prep, _COUNTED_CYCLES)
            finally:
                p.dispose()
        rows.append(
            {
                "db": db,
                "layer": layer,
                "cycles": done,
                "cpu_ms_per_cycle": 1000 * cpu / max(done, 1),
                "wall_ms_per_cycle": 1000 * wall / max(done, 1),
                "statements_per_cycle": stmts.n / max(counted, 1),
            }
        )
        console.print(rows[-1])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--cycles", type=int, default=2_000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--layers", default="", help="Comma-separated subset of service,asgi.")
    ap.add_argument("--profile", action="store_true", help="Print a pyinstrument tree.")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    dbs = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    with tempfile.TemporaryDirectory(prefix="shoplabel-cycle-") as tmp:
        rows = [r for db in dbs for r in measure(db, args, Path(tmp))]
    table = Table(title="CPU per next + submit cycle, in process")
    for col in ("db", "layer", "cycles", "CPU ms/cycle", "wall ms/cycle", "SQL/cycle"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            r["db"],
            r["layer"],
            str(r["cycles"]),
            f"{r['cpu_ms_per_cycle']:.2f}",
            f"{r['wall_ms_per_cycle']:.2f}",
            f"{r['statements_per_cycle']:.1f}",
        )
    console.print(table)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
