"""``audit verify`` on a large chain: N sealed records, then the real verification.

The chain is written straight into a migrated database (SQLite through ``sqlite3``
``executemany``, PostgreSQL through ``COPY``) with realistic ``label.submitted`` bodies and
real hashes; then :func:`shoplabel.services.audit.verify` is timed through the platform, as
``shoplabel audit verify`` runs it. Usage::

    .venv/bin/python -m benchmarks.audit_verify --events 10000000 --db sqlite
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text

from benchmarks.import_1m import PG_BASE as PG
from shoplabel.bootstrap import UowOpener, build
from shoplabel.config import Settings
from shoplabel.domain.audit import GENESIS
from shoplabel.services import audit

CHUNK = 100_000
AT = "2026-11-23T12:00:00+00:00"


def records(n: int) -> Iterator[list[tuple[int, str, str]]]:
    """Chunks of (seq, body, hash): bodies shaped like a submit's record (the canonical JSON
    of ``label.submitted``, formatted directly: ``json.dumps`` would double the fill time)."""
    prev = GENESIS
    chunk: list[tuple[int, str, str]] = []
    values = [hashlib.sha256(str(v).encode()).hexdigest() for v in range(5)]
    for seq in range(1, n + 1):
        body = (
            f'{{"annotation_id":{seq},"at":"{AT}","item_id":{seq // 3 + 1},'
            f'"kind":"label.submitted","project_id":1,"value_sha256":"{values[seq % 5]}",'
            f'"worker_id":{seq % 997 + 1}}}'
        )
        prev = hashlib.sha256(f"{seq}|{prev}|{body}".encode()).hexdigest()
        chunk.append((seq, body, prev))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def fill_sqlite(path: Path, n: int) -> tuple[int, str]:
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    last = (0, GENESIS)
    for chunk in records(n):
        conn.executemany(
            "INSERT INTO audit_events (seq, body, hash, created_at) VALUES (?, ?, ?, ?)",
            [(s, b, h, "2026-11-23 12:00:00.000000") for s, b, h in chunk],
        )
        conn.commit()
        last = (chunk[-1][0], chunk[-1][2])
        print(f"  wrote {last[0]:,}", end="\r", flush=True)
    conn.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", last)
    conn.commit()
    conn.close()
    return last


def fill_postgres(url: str, schema: str, n: int) -> tuple[int, str]:
    import psycopg

    last = (0, GENESIS)
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql").split("?")[0]) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        for chunk in records(n):
            with conn.cursor().copy(
                "COPY audit_events (seq, body, hash, created_at) FROM STDIN"
            ) as cp:
                for s, b, h in chunk:
                    cp.write_row((s, b, h, "2026-11-23 12:00:00+00"))
            conn.commit()
            last = (chunk[-1][0], chunk[-1][2])
            print(f"  wrote {last[0]:,}", end="\r", flush=True)
        conn.execute("UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1", last)
        conn.execute("ANALYZE audit_events")
        conn.commit()
    return last


def verify(url: str | None, data_dir: Path, n: int, workers: int) -> float:
    settings = Settings(data_dir=data_dir, database_url=url, run_jobs=False)
    p = build(settings)
    opener = UowOpener(settings.resolved_database_url())
    t0, c0 = time.perf_counter(), time.process_time()
    report = audit.verify(p.uow, workers=workers, opener=opener)
    seconds = time.perf_counter() - t0
    if workers == 1:
        cpu = time.process_time() - c0
        print(
            f"  1 process: {cpu:.1f} s of CPU in {seconds:.1f} s wall, "
            f"load {os.getloadavg()[0]:.1f}"
        )
    p.dispose()
    assert report.ok, report
    assert report.n_checked == n, report
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    ap.add_argument("--workers", default="1,2", help="Comma-separated process counts to time.")
    args = ap.parse_args()
    n = args.events
    workers = [int(w) for w in args.workers.split(",")]
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            build(Settings(data_dir=Path(tmp), run_jobs=False)).dispose()
            t0 = time.perf_counter()
            fill_sqlite(Path(tmp) / "shoplabel.db", n)
            print(f"sqlite: wrote {n:,} records in {time.perf_counter() - t0:.0f} s")
            for w in workers:
                s = verify(None, Path(tmp), n, w)
                print(f"sqlite: {w} process(es) verified {n:,} records in {s:.1f} s")
    if args.db in ("postgres", "both"):
        schema = f"sl_audit_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{PG}?options=-csearch_path%3D{schema}"
        try:
            with tempfile.TemporaryDirectory() as tmp:
                build(Settings(data_dir=Path(tmp), database_url=url, run_jobs=False)).dispose()
                t0 = time.perf_counter()
                fill_postgres(url, schema, n)
                print(f"postgres: wrote {n:,} records in {time.perf_counter() - t0:.0f} s")
                for w in workers:
                    s = verify(url, Path(tmp), n, w)
                    print(f"postgres: {w} process(es) verified {n:,} records in {s:.1f} s")
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
