"""Import benchmark: 1M product-matching pairs through ``services.imports.import_file``.

Generates a CSV and a JSONL file of realistic pairs (``left.name``, ``left.brand``,
``left.price``, ``left.description`` and the same for ``right``) in a temporary directory, then
times ``import_file`` (the path ``shoplabel import`` takes, with its default batch size) into a
fresh SQLite file and a fresh PostgreSQL schema. Each import runs in its own child process so
its peak RSS (``resource.getrusage``) is its own. Target: 1M items in at most 60 s.

Usage::

    .venv/bin/python -m benchmarks.import_1m --rows 1000000 --db both --out import.json
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import random
import resource
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from shoplabel.bootstrap import Platform, build
from shoplabel.config import Settings
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.users import Actor, Role
from shoplabel.services import auth, imports
from shoplabel.services.projects import ProjectSpec, create_project

__all__ = ["PG_BASE", "fresh_platform", "new_project", "pair_rows", "pg_schema"]

PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET_SECONDS = 60.0
BATCH_SIZE = 5000  # the CLI's and Settings.import_batch_size's default

_BRANDS = (
    "Sony", "Samsung", "Apple", "LG", "Philips", "Bosch", "Xiaomi", "Huawei", "Lenovo", "Canon",
    "Nikon", "Panasonic", "Dyson", "Logitech", "Anker", "JBL", "Braun", "Tefal", "Asus", "Dell",
)  # fmt: skip
_KINDS = (
    ("wireless headphones", 40, 400), ("4K TV", 300, 2500), ("smartphone", 150, 1400),
    ("laptop", 400, 3000), ("vacuum cleaner", 80, 700), ("electric toothbrush", 20, 250),
    ("coffee maker", 30, 600), ("mirrorless camera", 500, 3500), ("power bank", 15, 120),
    ("bluetooth speaker", 25, 400), ("monitor", 120, 1500), ("hair dryer", 20, 450),
)  # fmt: skip
_COLOURS = ("black", "white", "silver", "blue", "red", "graphite", "rose gold", "green")
_SIZES = ("", "128GB", "256GB", "512GB", "32in", "55in", "65in", "1.5L", "2L", "XL")
_SELLER_NOISE = ("", " - Official Store", " (Renewed)", " | Free Shipping", " New 2024", " UK")


def _listing(rng: random.Random, brand: str, kind: str, model: str, variant: str) -> str:
    colour = rng.choice(_COLOURS)
    parts = [brand, model, kind, variant, colour] if rng.random() < 0.5 else [
        brand, kind, model, colour, variant,
    ]  # fmt: skip
    return " ".join(p for p in parts if p) + rng.choice(_SELLER_NOISE)


def _pair(rng: random.Random, i: int) -> dict[str, Any]:
    brand = rng.choice(_BRANDS)
    kind, lo, hi = rng.choice(_KINDS)
    model = f"{brand[:2].upper()}-{rng.randint(100, 9999)}{rng.choice('ABCDEFX')}"
    variant = rng.choice(_SIZES)
    same = rng.random() < 0.4
    price = round(rng.uniform(lo, hi), 2)
    r_model = model if same else f"{model[:-1]}{rng.choice('GHJKLMN')}"
    r_variant = variant if same or rng.random() < 0.5 else rng.choice(_SIZES)
    r_price = round(price * rng.uniform(0.85, 1.15), 2)
    return {
        "external_id": f"pair-{i:07d}",
        "left.name": _listing(rng, brand, kind, model, variant),
        "left.brand": brand,
        "left.price": f"{price:.2f}",
        "left.description": f"{brand} {kind} {model}. {rng.randint(1, 5)}-year warranty.",
        "right.name": _listing(rng, brand, kind, r_model, r_variant),
        "right.brand": brand if rng.random() < 0.9 else brand.upper(),
        "right.price": f"{r_price:.2f}",
        "right.description": f"{kind.capitalize()} by {brand}, model {r_model}.",
    }


def pair_rows(n_rows: int, *, seed: int = 7, start: int = 0) -> Iterator[dict[str, Any]]:
    """``n_rows`` flat rows (dotted column names), deterministic for a seed."""
    rng = random.Random(seed + start)
    for i in range(start, start + n_rows):
        yield _pair(rng, i)


def write_files(directory: Path, n_rows: int) -> dict[str, Path]:
    """Write the same rows as ``pairs.csv`` and ``pairs.jsonl``; return the paths by format."""
    csv_path, jsonl_path = directory / "pairs.csv", directory / "pairs.jsonl"
    with (
        csv_path.open("w", newline="", encoding="utf-8") as fc,
        jsonl_path.open("w", encoding="utf-8") as fj,
    ):
        writer: csv.DictWriter[str] | None = None
        for row in pair_rows(n_rows):
            if writer is None:
                writer = csv.DictWriter(fc, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
            fj.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {"csv": csv_path, "jsonl": jsonl_path}


@contextmanager
def pg_schema(tag: str) -> Iterator[str]:
    """A fresh PostgreSQL schema in the ``test`` database, dropped on exit; yields its URL."""
    schema = f"sl_bench_{tag}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_BASE)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def fresh_platform(data_dir: Path, url: str | None) -> Platform:
    """A migrated platform on ``url`` (``None``: SQLite in ``data_dir``), no ``.env`` read."""
    settings = Settings(_env_file=None, data_dir=data_dir, database_url=url)
    return build(settings)


def new_project(p: Platform, name: str) -> tuple[Actor, ProjectId]:
    """An admin and a product-matching project (max overlap 3, 600 s leases)."""
    admin = auth.create_user(
        p.uow(), actor=None, username="bench_admin", password="bench-password", role=Role.ADMIN
    )
    actor = Actor.of(admin)
    spec = ProjectSpec(
        name=name,
        template="product_matching",
        settings={"max_overlap": 3, "lease_ttl_seconds": 600},
    )
    return actor, create_project(p.uow(), spec, actor=actor).id


def _import_child(path: str, data_dir: str, url: str | None) -> dict[str, Any]:
    """Runs in a child process: one import into a fresh database, timed."""
    p = fresh_platform(Path(data_dir), url)
    actor, project_id = new_project(p, "import benchmark")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0, cpu0 = time.perf_counter(), time.process_time()
    report = imports.import_file(
        p.uow,
        Path(path),
        actor=actor,
        project_id=project_id,
        options=imports.ImportOptions(batch_size=BATCH_SIZE),
    )
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    p.dispose()
    return {
        "seconds": seconds,
        # This process only (PostgreSQL's own work is not in it): steadier than wall time on
        # a shared machine.
        "cpu_seconds": cpu,
        "loadavg_1m_after": os.getloadavg()[0],
        "rows": report.rows,
        "inserted": report.inserted,
        "rejected": report.rejected,
        "rows_per_s": report.inserted / seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_before_import_mib": rss_before / 1024,
    }


def _run_one(db: str, fmt: str, path: Path, work: Path) -> dict[str, Any]:
    spawn = multiprocessing.get_context("spawn")
    data_dir = work / f"{db}-{fmt}"
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        if db == "postgres":
            with pg_schema(f"imp_{fmt}") as url:
                result = pool.submit(_import_child, str(path), str(data_dir), url).result()
        else:
            result = pool.submit(_import_child, str(path), str(data_dir), None).result()
    return {"db": db, "format": fmt, **result}


def _table(results: list[dict[str, Any]], n_rows: int) -> Table:
    table = Table(title=f"import_file: {n_rows:,} product-matching rows, batch {BATCH_SIZE}")
    cols = (
        "db",
        "format",
        "seconds",
        "CPU s",
        "rows/s",
        "inserted",
        "peak RSS MiB",
        "load",
        "<= 60 s",
    )
    for col in cols:
        table.add_column(col, justify="left" if col in ("db", "format") else "right")
    for r in results:
        target = TARGET_SECONDS * n_rows / 1_000_000
        table.add_row(
            r["db"],
            r["format"],
            f"{r['seconds']:.1f}",
            f"{r['cpu_seconds']:.1f}",
            f"{r['rows_per_s']:,.0f}",
            f"{r['inserted']:,}",
            f"{r['peak_rss_mib']:.0f}",
            f"{r['loadavg_1m_after']:.1f}",
            "yes" if r["seconds"] <= target else "NO",
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--formats", default="csv,jsonl")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    console = Console()
    dbs = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    with tempfile.TemporaryDirectory(prefix="sl-import-bench-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        files = write_files(work, args.rows)
        sizes = {f: p.stat().st_size / 2**20 for f, p in files.items()}
        console.print(f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s: "
                      + ", ".join(f"{f} {mib:.0f} MiB" for f, mib in sizes.items()))  # fmt: skip
        results = []
        for fmt in args.formats.split(","):
            for db in dbs:
                console.print(f"importing {fmt} into {db} ...")
                results.append(_run_one(db, fmt, files[fmt], work))
                console.print(results[-1])
    console.print(_table(results, args.rows))
    if args.out:
        meta = {"rows": args.rows, "batch_size": BATCH_SIZE, "file_mib": sizes}
        args.out.write_text(json.dumps({"meta": meta, "results": results}, indent=2))


if __name__ == "__main__":
    main()
