"""Near-duplicate benchmark: 1M short product titles through MinHash LSH (``dataprep.neardup``).

Real titles and queries from ``../shared/data`` (Abt-Buy product names, Alibaba Multi-CPR
Chinese e-commerce queries, WANDS queries, short Chinese product reviews) are the originals;
the benchmark adds realistic re-listings until it has ``--rows`` texts: case changes, spacing
and punctuation, seller noise ("- Official Store", "【包邮】", "2024新款"), one typo, a dropped
word, and model variants (one digit changed: a different product with nearly the same title).

It runs :func:`shoplabel.dataprep.duplicates.near_groups` (the path ``shoplabel dedup`` takes)
in a child process so the peak RSS is the detection's own, then checks a sample against exact
Jaccard similarity: recall on (original, re-listing) pairs at or above the threshold, and, for
grouped texts, whether each one really has a member at least ``threshold - 0.1`` similar.
Target: 1M titles in <= 300 s on 2 cores with bounded memory.

Usage::

    .venv/bin/python -m benchmarks.near_dup_1m --rows 1000000 --out near_dup.json
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import json
import multiprocessing
import os
import random
import resource
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from shoplabel.dataprep.duplicates import near_groups
from shoplabel.dataprep.neardup import NearDupOptions, shingles

__all__ = ["load_titles", "perturbed_titles"]

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
TARGET_SECONDS = 300.0
_SUFFIXES = (" - Official Store", " (Renewed)", " | Free Shipping", " New 2024", "【包邮】",
             " 官方旗舰店", " 正品保证")  # fmt: skip
_PREFIXES = ("NEW ", "2024新款 ", "Hot Sale ", "【现货】")


def _abt_buy(root: Path) -> Iterator[str]:
    path = root / "crowd" / "zheng2017" / "d_jn-product" / "data_product"
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        record = ast.literal_eval(line)
        if record[1]:
            yield str(record[1])


def _multi_cpr(root: Path) -> Iterator[str]:
    for name in ("train.query.txt", "dev.query.txt"):
        path = root / "ecommerce" / "multi_cpr_ecom" / "data" / "ecom" / name
        for line in path.read_text(encoding="utf-8").splitlines():
            yield line.split("\t", 1)[1]


def _wands(root: Path) -> Iterator[str]:
    path = root / "ecommerce" / "wands" / "dataset" / "query.csv"
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            yield row["query"]


def _short_reviews(root: Path) -> Iterator[str]:
    path = root / "ecommerce" / "online_shopping_10_cats" / "online_shopping_10_cats.zip"
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith(".csv"))
        with z.open(name) as raw:
            for row in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")):
                text = (row.get("review") or "").strip()
                if 8 <= len(text) <= 40:
                    yield text


def load_titles(root: Path = DATA) -> dict[str, list[str]]:
    """The distinct real texts by source."""
    sources = {
        "abt_buy": _abt_buy(root),
        "multi_cpr": _multi_cpr(root),
        "wands": _wands(root),
        "reviews_zh": _short_reviews(root),
    }
    return {k: list(dict.fromkeys(t.strip() for t in v if t.strip())) for k, v in sources.items()}


def _typo(t: str, rng: random.Random) -> str:
    if len(t) < 4:
        return t + t[-1]
    i = rng.randrange(len(t) - 1)
    return t[:i] + t[i + 1] + t[i] + t[i + 2 :]


def _drop_word(t: str, rng: random.Random) -> str:
    words = t.split()
    if len(words) < 3:
        return t + rng.choice(_SUFFIXES)
    del words[rng.randrange(len(words))]
    return " ".join(words)


def _model_variant(t: str, rng: random.Random) -> str:
    digits = [i for i, ch in enumerate(t) if ch in "0123456789"]
    if not digits:
        return t + f" {rng.randint(2, 9)}件装"
    i = rng.choice(digits)
    return t[:i] + str((int(t[i]) + rng.randint(1, 9)) % 10) + t[i + 1 :]


_PERTURB = (
    ("case", lambda t, r: t.upper() if r.random() < 0.5 else t.lower()),
    ("spacing", lambda t, _r: t.replace(" ", "  ").replace(" - ", " ").replace("，", ",") + " "),
    ("suffix", lambda t, r: t + r.choice(_SUFFIXES)),
    ("prefix", lambda t, r: r.choice(_PREFIXES) + t),
    ("typo", _typo),
    ("drop_word", _drop_word),
    ("model_variant", _model_variant),
)


def perturbed_titles(
    bases: list[str], n_rows: int, *, seed: int = 11
) -> tuple[list[str], np.ndarray, list[str]]:
    """``n_rows`` texts: every base once, then re-listings of random bases.

    Returns:
        The texts, the base index of each text (shape ``(n_rows,)``), and the kind of change
        (``original`` for the bases themselves).
    """
    rng = random.Random(seed)
    texts, origin, kinds = list(bases), list(range(len(bases))), ["original"] * len(bases)
    while len(texts) < n_rows:
        b = rng.randrange(len(bases))
        kind, fn = _PERTURB[rng.randrange(len(_PERTURB))]
        texts.append(fn(bases[b], rng))
        origin.append(b)
        kinds.append(kind)
    return texts[:n_rows], np.asarray(origin[:n_rows]), kinds[:n_rows]


def _jaccard(a: str, b: str, k: int) -> float:
    sa, sb = set(shingles(a, k)), set(shingles(b, k))
    return len(sa & sb) / max(len(sa | sb), 1)


def _evaluate(
    texts: list[str], origin: np.ndarray, kinds: list[str], labels: np.ndarray, opts: NearDupOptions
) -> dict[str, Any]:
    rng = np.random.default_rng(5)
    n_bases = int((np.asarray(kinds) == "original").sum())
    pos = rng.choice(
        np.arange(n_bases, len(texts)), size=min(4000, len(texts) - n_bases), replace=False
    )
    found, clear = [], []
    for i in pos:
        j = _jaccard(texts[i], texts[origin[i]], opts.shingle)
        hit = labels[i] >= 0 and labels[i] == labels[origin[i]]
        if j >= opts.threshold:
            found.append(hit)
        if j >= opts.threshold + 0.05:
            clear.append(hit)
    members: dict[int, list[int]] = {}
    grouped = np.flatnonzero(labels >= 0)
    sample = (
        rng.choice(grouped, size=min(2000, len(grouped)), replace=False) if len(grouped) else []
    )
    wanted = {int(labels[i]) for i in sample}
    for i in grouped:
        g = int(labels[i])
        if g in wanted and len(members.setdefault(g, [])) < 200:
            members[g].append(int(i))
    close = []
    for i in sample:
        others = [m for m in members[int(labels[i])] if m != i]
        best = max(_jaccard(texts[i], texts[m], opts.shingle) for m in others) if others else 0.0
        close.append(best >= opts.threshold - 0.1)
    return {
        "recall_at_threshold": float(np.mean(found)) if found else None,
        "recall_clear": float(np.mean(clear)) if clear else None,
        "n_recall_pairs": len(found),
        "grouped_with_a_close_member": float(np.mean(close)) if close else None,
    }


def _child(n_rows: int, threshold: float, num_perm: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    sources = load_titles()
    bases = [t for v in sources.values() for t in v]
    texts, origin, kinds = perturbed_titles(bases, n_rows)
    t_data = time.perf_counter() - t0
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    opts = NearDupOptions(threshold=threshold, num_perm=num_perm)
    marks: dict[str, float] = {}
    start = time.perf_counter()
    cpu0 = time.process_time()

    def progress(done: int, total: int) -> None:
        if done >= total:
            marks["signatures"] = time.perf_counter() - start

    groups = near_groups(texts, options=opts, progress=progress)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    labels = np.full(len(texts), -1, dtype=np.int64)
    for g_idx, g in enumerate(groups):
        labels[list(g.members)] = g_idx
    quality = _evaluate(texts, origin, kinds, labels, opts)
    return {
        "rows": len(texts),
        "bases": {k: len(v) for k, v in sources.items()},
        "data_seconds": round(t_data, 1),
        "seconds": round(seconds, 1),
        "signature_seconds": round(marks.get("signatures", float("nan")), 1),
        "cpu_seconds": round(cpu, 1),
        "groups": len(groups),
        "texts_in_groups": int((labels >= 0).sum()),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "rss_after_data_mib": round(rss_data),
        "threshold": threshold,
        "num_perm": num_perm,
        **quality,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--num-perm", type=int, default=128)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    spawn = multiprocessing.get_context("spawn")
    load0 = os.getloadavg()
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        result = pool.submit(_child, args.rows, args.threshold, args.num_perm).result()
    result["load_average_before"] = [round(x, 1) for x in load0]
    result["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
    result["target_met"] = result["seconds"] <= TARGET_SECONDS * args.rows / 1_000_000
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
