"""Crowds shared by the benchmarks: the Chinese reviews sample and synthetic workers fitted
on the real D_Product crowd.

The reviews (``online_shopping_10_cats``) have gold but no crowd, so answers come from
**synthetic workers fitted on the real D_Product crowd**: each synthetic worker takes the
accuracy of one real MTurk worker (its accuracy on D_Product gold, so the real share of
spammers and experts), answers the truth with that probability and otherwise a uniformly
drawn other label.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
REVIEWS = SHARED / "ecommerce" / "online_shopping_10_cats" / "online_shopping_10_cats.zip"
#: Characters of a review kept (the start carries the opinion; embedding cost grows with length).
REVIEW_CHARS = 200


def worker_accuracies(
    triples: Iterable[tuple[str, str, str]], gold: Mapping[str, str]
) -> list[float]:
    """Each real worker's accuracy on gold (workers with at least 5 answers)."""
    hits: dict[str, list[bool]] = {}
    for q, w, a in triples:
        hits.setdefault(w, []).append(a == gold[q])
    return [float(np.mean(h)) for h in hits.values() if len(h) >= 5]


def synthetic_answers(
    truth: list[str], labels: list[str], accuracies: list[float], rng: np.random.Generator
) -> list[tuple[str, str, str]]:
    """3 answers per item ``i<k>`` from a pool of 60 synthetic workers with real-crowd
    accuracies: ``(item key, worker, label)``."""
    pool = rng.choice(np.asarray(accuracies), size=60)
    out = []
    for i, t in enumerate(truth):
        for w in rng.choice(len(pool), size=3, replace=False):
            if rng.random() < pool[w]:
                a = t
            else:
                a = str(rng.choice([lab for lab in labels if lab != t]))
            out.append((f"i{i}", f"w{w}", a))
    return out


def load_reviews(
    n: int, seed: int, chars: int = REVIEW_CHARS
) -> tuple[list[str], list[str], list[str]]:
    """A seeded sample of ``n`` reviews (first ``chars`` characters): texts, sentiment labels
    (``1``/``0``), categories."""
    with zipfile.ZipFile(REVIEWS) as z, z.open(z.namelist()[0]) as f:
        rows = [r for r in csv.DictReader(io.TextIOWrapper(f, encoding="utf-8")) if r["review"]]
    pick = np.random.default_rng(seed).choice(len(rows), size=n, replace=False)
    sample = [rows[int(i)] for i in sorted(pick)]
    return (
        [r["review"][:chars] for r in sample],
        [r["label"] for r in sample],
        [r["cat"] for r in sample],
    )
