"""Routing benchmark: the replay simulator on every real crowd, for each assignment policy and
overlap rule, plus a knob sweep and a spammer-injection run.

Run from the repository root::

    .venv/bin/python benchmarks/routing.py --out routing.json --markdown routing.md

Each run replays a real crowd (``../shared/data/crowd/zheng2017``, skipped quietly when absent)
through the real services on a scratch SQLite database (:func:`shoplabel.services.simulation.
simulate`): every recorded answer is one arrival of its worker, who can only be given items they
really answered; the policy picks the item and the overlap rule decides when it is done. The
numeric ``f201_Emotion_FULL`` set is skipped (categorical routing only). Repeated
(item, worker) pairs keep the last answer.

Big sets are subsampled (``--max-answers``): all answers of a seeded random subset of items,
gold items first, so accuracy is still measured on gold. ``--spammers 0.2`` adds synthetic
workers answering uniformly at random (20% of all workers after adding them), each answering
as many random items as an average real worker, interleaved with the real arrivals.

The replay project runs the default quality rules (online screening included; a banned
worker's arrivals count as idle) unless ``--no-quality-rules``; ``--gold-share`` and
``--gold-rate`` add honeypots. The learned policy is trained at each refit (``fit_router``).
Every gold item is scored: items left without a valid label take the final model's prior
class and are counted (``n_unlabelled``). "kept" for spammers is the share of the labels
they submitted that are still valid (counted in the final result) at the end.
``--bound`` prints an offline stopping bound instead (no services). Scratch databases live
in ``/dev/shm`` when present.
Results and the exact commands: ``docs/benchmarks.md``, *Routing and dynamic overlap*.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from shoplabel.bootstrap import build
from shoplabel.config import Settings
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.scheduling import POLICIES
from shoplabel.inference import (
    DEFAULT_METHOD,
    AnnotationMatrix,
    WorkerModel,
    item_posterior,
    make_aggregator,
)
from shoplabel.ml.router import fit_router
from shoplabel.services.posteriors import model_from_json
from shoplabel.services.simulation import CrowdData, SimulationOptions, simulate

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "crowd" / "zheng2017"
SHORT = {
    "d_jn-product": "D_Product",
    "d_sentiment": "D_PosSent",
    "s4_Relevance": "S_Rel",
    "s5_AdultContent": "S_Adult",
    "d_Duck Identification": "D_Duck",
    "s4_Dog data": "S_Dog",
    "s4_Face Sentiment Identification": "S_Face",
}
NUMERIC = "f201_Emotion_FULL"
#: Sets replayed in full by default; the others are subsampled to ``--max-answers``.
FULL = ("D_Product", "D_PosSent")
DEFAULT_MAX_ANSWERS = 20_000
#: Scratch databases live in RAM when possible: commits then cost no disk flush.
_TMP = "/dev/shm" if Path("/dev/shm").is_dir() else None
_PROJECT = ProjectId(1)  # the only project of a scratch database


# --------------------------------------------------------------------------- data


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [r for r in list(csv.reader(fh))[1:] if r]


def load(folder: str) -> CrowdData:
    """Answers (last one per item and worker, first-seen order) and gold of one set."""
    last: dict[tuple[str, str], str] = {}
    for q, w, a, *_ in _rows(DATA / folder / "answer.csv"):
        last[(q, w)] = a
    truth = {r[0]: r[1] for r in _rows(DATA / folder / "truth.csv")}
    return CrowdData(answers=[(q, w, a) for (q, w), a in last.items()], truth=truth)


def subsample(crowd: CrowdData, max_answers: int, seed: int) -> CrowdData:
    """All answers of a random subset of items (gold items first) within ``max_answers``."""
    if len(crowd.answers) <= max_answers:
        return crowd
    counts = Counter(a[0] for a in crowd.answers)
    rng = np.random.default_rng(seed)
    items = list(counts)
    order = [items[i] for i in rng.permutation(len(items))]
    order.sort(key=lambda t: t not in crowd.truth)  # stable: gold first, random within
    keep: set[str] = set()
    total = 0
    for t in order:
        if total + counts[t] > max_answers:
            continue
        keep.add(t)
        total += counts[t]
    answers = [a for a in crowd.answers if a[0] in keep]
    return CrowdData(answers=answers, truth={t: v for t, v in crowd.truth.items() if t in keep})


def add_spammers(crowd: CrowdData, share: float, seed: int) -> tuple[CrowdData, set[str]]:
    """Add uniform-random workers making up ``share`` of all workers afterwards."""
    workers = {a[1] for a in crowd.answers}
    items = sorted({a[0] for a in crowd.answers})
    labels = sorted({a[2] for a in crowd.answers})
    n_spam = round(share / (1 - share) * len(workers))
    per_worker = min(round(len(crowd.answers) / len(workers)), len(items))
    rng = np.random.default_rng(seed + 7919)
    spam: list[tuple[str, str, str]] = []
    names = {f"spammer-{k:04d}" for k in range(n_spam)}
    for name in sorted(names):
        for i in rng.choice(len(items), size=per_worker, replace=False):
            spam.append((items[int(i)], name, labels[int(rng.integers(len(labels)))]))
    return CrowdData(answers=[*crowd.answers, *spam], truth=crowd.truth), names


# --------------------------------------------------------------------------- runs


def _accuracy(pred: dict[str, str], truth: dict[str, str]) -> float | None:
    hits = [pred[t] == v for t, v in truth.items() if t in pred]
    return float(np.mean(hits)) if hits else None


def batch_references(crowd: CrowdData) -> dict[str, float | None]:
    """Accuracy on gold of batch aggregators on every available answer."""
    m = AnnotationMatrix.from_rows(crowd.answers)
    truth = dict(crowd.truth)
    return {
        name: _accuracy(make_aggregator(name).fit(m).as_dict(), truth)
        for name in ("majority-vote", "dawid-skene", DEFAULT_METHOD)
    }


@dataclass
class Scratch:
    """A scratch platform kept alive after :func:`simulate` so the run can be inspected."""

    root: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="routing-bench-", dir=_TMP))
    )
    dispose: Callable[[], None] | None = None
    uows: Callable[[], UnitOfWork] | None = None

    def __call__(self, directory: Path) -> Callable[[], UnitOfWork]:
        del directory  # the simulator's own scratch directory is deleted too early for us
        plat = build(Settings(data_dir=self.root, database_url=None, run_jobs=False))
        self.dispose, self.uows = plat.dispose, plat.uow
        return plat.uow


@contextmanager
def scratch() -> Iterator[Scratch]:
    s = Scratch()
    try:
        yield s
    finally:
        if s.dispose is not None:
            s.dispose()
        shutil.rmtree(s.root, ignore_errors=True)


def _spam_effect(
    s: Scratch, crowd: CrowdData, spammers: set[str], truth: dict[str, str]
) -> dict[str, Any]:
    """How much the spammers' labels count in the final labels of a finished run."""
    assert s.uows is not None
    username = {
        w: f"crowd-{k:05d}" for k, w in enumerate(dict.fromkeys(a[1] for a in crowd.answers))
    }
    with s.uows().reading() as uow:
        uid = {str(uow.users.find_by_username(username[w]).id): w for w in username}  # type: ignore[union-attr]
        rows = [
            (str(r.item_id), uid[str(r.worker_id)], str(r.value))
            for r in uow.annotations.label_rows(_PROJECT)
        ]
        ext = {
            str(it.id): it.external_id
            for it in uow.items.page(_PROJECT, after_id=0, limit=10**7, status=None)
        }
        stored = uow.worker_models.get(_PROJECT)
        used, after = 0, 0  # every spammer label submitted, rejected ones included
        while page := uow.annotations.page(_PROJECT, after_id=after, limit=10_000):
            used += sum(uid[str(x.worker_id)] in spammers for x in page)
            after = page[-1].id
    full = make_aggregator().fit(AnnotationMatrix.from_rows(rows))
    pred = full.as_dict()
    spam_rows = [r for r in rows if r[1] in spammers]
    clean_rows = [r for r in rows if r[1] not in spammers]
    clean = make_aggregator().fit(AnnotationMatrix.from_rows(clean_rows)).as_dict()
    flipped = sum(pred[t] != clean[t] for t in clean)
    skill: dict[str, list[float]] = {"spammer": [], "real": []}
    if stored is not None:
        model = model_from_json(stored[2])
        prior = np.exp(model.log_priors)
        for k, wid in enumerate(model.worker_ids):
            acc = float(prior @ np.exp(np.diag(model.log_confusion[k])))
            skill["spammer" if uid.get(wid) in spammers else "real"].append(acc)
    return {
        "spammer_answers_available": sum(a[1] in spammers for a in crowd.answers),
        "spammer_labels_used": used,
        "spammer_share_of_labels": len(spam_rows) / max(len(rows), 1),
        "spammer_labels_kept": len(spam_rows),  # still valid at the end (not rejected)
        "spammer_agree_with_final": float(np.mean([pred[t] == v for t, _, v in spam_rows]))
        if spam_rows
        else None,
        "items_flipped_by_spammers": flipped,
        "accuracy_without_spammer_labels": _accuracy({ext[t]: v for t, v in clean.items()}, truth),
        "mean_estimated_accuracy_spammers": float(np.mean(skill["spammer"]))
        if skill["spammer"]
        else None,
        "mean_estimated_accuracy_real": float(np.mean(skill["real"])) if skill["real"] else None,
    }


def run_one(
    name: str,
    crowd: CrowdData,
    opts: SimulationOptions,
    *,
    spammers: set[str] | None = None,
) -> dict[str, Any]:
    start = time.perf_counter()
    with scratch() as s:
        report = simulate(crowd, opts, build=s, progress=_progress(start), trainer=fit_router)
        extra = _spam_effect(s, crowd, spammers, dict(crowd.truth)) if spammers else {}
    seconds = time.perf_counter() - start
    out = {
        "dataset": name,
        "policy": opts.policy,
        "overlap": opts.overlap,
        "min_overlap": opts.min_overlap,
        "refit_every": opts.refit_every,
        "seed": opts.seed,
        "spammers": len(spammers or ()),
        "quality_rules": "off" if opts.quality_rules is not None else "default",
        "gold_share": opts.gold_share,
        "gold_rate": opts.gold_rate,
        **{k: v for k, v in report.to_dict().items() if k not in ("policy", "overlap", "seed")},
        "label_savings": report.label_savings,
        "seconds": seconds,
        "ms_per_arrival": 1000 * seconds / len(crowd.answers),
        **extra,
    }
    e, b = report.engine, report.baseline_majority_vote
    print(
        f"{name:9s} {opts.policy:14s} {opts.overlap:13s} min={opts.min_overlap} "
        f"refit={opts.refit_every:<5d} spam={len(spammers or ())}: labels {e.labels_used} "
        f"({e.labels_per_item:.2f}/item) acc {_fmt(e.accuracy_on_gold)} | base {b.labels_used} "
        f"acc {_fmt(b.accuracy_on_gold)} | saved {report.label_savings:.1%} | "
        f"review {report.items_in_review} | unlabelled {e.n_unlabelled} | "
        f"banned {report.workers_banned} | {seconds:.0f}s",
        flush=True,
    )
    return out


def _progress(start: float) -> Callable[[int, int], None]:
    def show(n: int, total: int) -> None:
        if n % 5000 == 0:
            print(f"  {n}/{total} arrivals, {time.perf_counter() - start:.0f}s", flush=True)

    return show


def _fmt(x: float | None, spec: str = ".3f") -> str:
    return "-" if x is None else format(x, spec)


def _stop_and_collect(
    by_item: dict[str, list[tuple[str, str]]],
    model: WorkerModel,
    *,
    min_overlap: int,
    target: float,
    full: set[str],
) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """Labels an item collects when it stops by the rule under a fixed ``model``."""
    pos = {label: k for k, label in enumerate(model.labels)}
    rows: list[tuple[str, str, str]] = []
    oracle: dict[str, str] = {}
    for t, answers in by_item.items():
        k = len(answers) if t in full else 0
        while k < len(answers):
            k += 1
            p = item_posterior(model, [w for w, _ in answers[:k]], [pos[a] for _, a in answers[:k]])
            if k >= min_overlap and p.max() >= target:
                break
        used = answers[:k]
        p = item_posterior(model, [w for w, _ in used], [pos[a] for _, a in used])
        oracle[t] = model.labels[int(p.argmax())]
        rows += [(t, w, a) for w, a in used]
    return rows, oracle


def offline_bound(crowd: CrowdData, seed: int, gold_share: float = 0.05) -> list[str]:
    """Stopping under the worker model fitted on *all* answers (no services): the oracle
    posterior, a batch refit on the collected labels, and the refit with ``gold_share`` of
    the items at full overlap clamped as gold (accuracy on the other items)."""
    model = WorkerModel.from_result(
        make_aggregator().fit(AnnotationMatrix.from_rows(crowd.answers))
    )
    rng = np.random.default_rng(seed)
    by_item: dict[str, list[tuple[str, str]]] = {}
    for i in rng.permutation(len(crowd.answers)):
        t, w, a = crowd.answers[int(i)]
        by_item.setdefault(t, []).append((w, a))
    items = list(by_item)
    picked = np.random.default_rng(seed + 1).choice(
        len(items), int(gold_share * len(items)), replace=False
    )
    full = {items[int(i)] for i in picked}
    truth = dict(crowd.truth)
    lines = [
        "| rule | labels | savings | oracle posterior | batch refit | "
        f"+{gold_share:.0%} full-overlap gold: labels / savings / accuracy |",
        "|---|---|---|---|---|---|",
    ]
    for min_ov, target in ((1, 0.95), (1, 0.97), (1, 0.99), (2, 0.9), (2, 0.95), (2, 0.97)):
        rows, oracle = _stop_and_collect(
            by_item, model, min_overlap=min_ov, target=target, full=set()
        )
        batch = make_aggregator().fit(AnnotationMatrix.from_rows(rows)).as_dict()
        g_rows, _ = _stop_and_collect(by_item, model, min_overlap=min_ov, target=target, full=full)
        m = AnnotationMatrix.from_rows(g_rows)
        gold = m.encode_gold({t: truth[t] for t in full if t in truth})
        clamped = make_aggregator().fit(m, gold=gold).as_dict()
        rest = {t: v for t, v in truth.items() if t not in full}
        n = len(crowd.answers)
        lines.append(
            f"| min {min_ov}, {target} | {len(rows)} | {1 - len(rows) / n:.1%} | "
            f"{_fmt(_accuracy(oracle, truth), '.4f')} | {_fmt(_accuracy(batch, truth), '.4f')} | "
            f"{len(g_rows)} / {1 - len(g_rows) / n:.1%} / {_fmt(_accuracy(clamped, rest), '.4f')} |"
        )
    return lines


# --------------------------------------------------------------------------- tables


def main_table(runs: Sequence[dict[str, Any]]) -> list[str]:
    lines = [
        "| dataset | policy | overlap | human labels | labels/item | accuracy | "
        "baseline labels | baseline acc (MV) | label savings | to review |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        e, b = r["engine"], r["baseline_majority_vote"]
        lines.append(
            f"| {r['dataset']} | {r['policy']} | {r['overlap']} | {e['labels_used']} | "
            f"{e['labels_per_item']:.2f} | {_fmt(e['accuracy_on_gold'])} | {b['labels_used']} | "
            f"{_fmt(b['accuracy_on_gold'])} | {r['label_savings']:.1%} | {r['items_in_review']} |"
        )
    return lines


def sweep_table(runs: Sequence[dict[str, Any]]) -> list[str]:
    lines = [
        "| dataset | policy | overlap | min_overlap | refit_every | human labels | "
        "labels/item | accuracy | savings vs all answers | to review |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        e = r["engine"]
        lines.append(
            f"| {r['dataset']} | {r['policy']} | {r['overlap']} | {r['min_overlap']} | "
            f"{r['refit_every']} | {e['labels_used']} | {e['labels_per_item']:.2f} | "
            f"{_fmt(e['accuracy_on_gold'])} | {r['label_savings']:.1%} | {r['items_in_review']} |"
        )
    return lines


def reference_table(refs: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "| dataset | items | answers replayed | gold | majority vote | Dawid-Skene | "
        f"`{DEFAULT_METHOD}` (default) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in refs.items():
        acc = r["accuracy"]
        lines.append(
            f"| {name} | {r['items']} | {r['answers']} | {r['gold']} | "
            f"{_fmt(acc['majority-vote'])} | {_fmt(acc['dawid-skene'])} | "
            f"{_fmt(acc[DEFAULT_METHOD])} |"
        )
    return lines


def spam_table(runs: Sequence[dict[str, Any]]) -> list[str]:
    lines = [
        "| dataset | policy | overlap | spammers | human labels | accuracy | spammer labels used "
        "(share) | kept | agree with final | items flipped | est. acc spammers / real |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        e = r["engine"]
        if not r["spammers"]:
            lines.append(
                f"| {r['dataset']} | {r['policy']} | {r['overlap']} | 0 | {e['labels_used']} | "
                f"{_fmt(e['accuracy_on_gold'])} | - | - | - | - | - |"
            )
            continue
        lines.append(
            f"| {r['dataset']} | {r['policy']} | {r['overlap']} | {r['spammers']} | "
            f"{e['labels_used']} | {_fmt(e['accuracy_on_gold'])} | "
            f"{r['spammer_labels_used']} ({r['spammer_share_of_labels']:.1%}) | "
            f"{r['spammer_labels_kept'] / max(r['spammer_labels_used'], 1):.0%} | "
            f"{_fmt(r['spammer_agree_with_final'])} | {r['items_flipped_by_spammers']} | "
            f"{_fmt(r['mean_estimated_accuracy_spammers'])} / "
            f"{_fmt(r['mean_estimated_accuracy_real'])} |"
        )
    return lines


# --------------------------------------------------------------------------- main


def _overlaps(short: str, crowd: CrowdData, wanted: Sequence[str] | None) -> list[str]:
    k = max(Counter(a[0] for a in crowd.answers).values())
    if wanted:
        return [o.replace("fixed:max", f"fixed:{k}") for o in wanted]
    extra = ["dynamic:0.9"] if short == "D_Product" else []
    return [f"fixed:{k}", "dynamic:0.95", *extra]


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--datasets", nargs="*", help=f"short names; default all of {list(SHORT.values())}"
    )
    p.add_argument("--policies", nargs="*", help="default: every policy in POLICIES")
    p.add_argument(
        "--overlaps",
        nargs="*",
        help="e.g. fixed:max dynamic:0.95 (fixed:max = max answers per item)",
    )
    p.add_argument("--min-overlaps", nargs="*", type=int, default=[2], help="for dynamic rules")
    p.add_argument("--refit-every", nargs="*", type=int, default=[1000])
    p.add_argument(
        "--max-answers",
        type=int,
        default=None,
        help=f"subsample to N answers (default {DEFAULT_MAX_ANSWERS}, "
        f"{' and '.join(FULL)} in full; 0 = never)",
    )
    p.add_argument(
        "--spammers",
        type=float,
        default=0.0,
        help="share of workers to add as uniform-random spammers; also runs without",
    )
    p.add_argument("--spammers-only", action="store_true", help="skip the runs without spammers")
    p.add_argument(
        "--bound",
        action="store_true",
        help="print the offline stopping bound of each set (no replays) and exit",
    )
    p.add_argument(
        "--no-quality-rules",
        action="store_true",
        help="switch the replay project's quality rules off (default: the default rules)",
    )
    p.add_argument(
        "--gold-share",
        type=float,
        default=0.0,
        help="share of the gold items imported as honeypots (scored by the rules, not reported)",
    )
    p.add_argument("--gold-rate", type=float, default=0.0, help="the project's gold_rate")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=None, help="results JSON")
    p.add_argument("--markdown", type=Path, default=None, help="write the tables here")
    return p.parse_args()


def _cap(short: str, max_answers: int | None) -> int:
    if max_answers is None:
        return 10**9 if short in FULL else DEFAULT_MAX_ANSWERS
    return max_answers or 10**9


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def _options(args: argparse.Namespace, short: str, crowd: CrowdData) -> Iterator[SimulationOptions]:
    """Every (policy, overlap, min_overlap, refit_every) combination asked for."""
    for policy in args.policies or list(POLICIES):
        for overlap in _overlaps(short, crowd, args.overlaps):
            dynamic = overlap.startswith("dynamic")
            for min_ov in args.min_overlaps if dynamic else [1]:
                for refit in args.refit_every if dynamic else [1000]:
                    yield SimulationOptions(
                        policy=policy,
                        overlap=overlap,
                        seed=args.seed,
                        refit_every=refit,
                        min_overlap=min_ov,
                        quality_rules={"rules": []} if args.no_quality_rules else None,
                        gold_share=args.gold_share,
                        gold_rate=args.gold_rate,
                    )


def _dataset(
    args: argparse.Namespace, folder: str, short: str, results: dict[str, Any]
) -> Iterator[None]:
    """Run one dataset; yields after every run so the caller can save."""
    crowd = subsample(load(folder), _cap(short, args.max_answers), args.seed)
    refs = batch_references(crowd)
    results["references"][short] = {
        "items": len({a[0] for a in crowd.answers}),
        "answers": len(crowd.answers),
        "gold": len(crowd.truth),
        "accuracy": refs,
    }
    print(f"{short}: {len(crowd.answers)} answers; all-answer references {refs}", flush=True)
    if args.bound:
        results.setdefault("bounds", {})[short] = offline_bound(crowd, args.seed)
        print("\n".join(results["bounds"][short]), flush=True)
        return
    for opts in _options(args, short, crowd):
        if not args.spammers_only:
            results["runs"].append(run_one(short, crowd, opts))
            yield None
        if args.spammers > 0:
            spammed, names = add_spammers(crowd, args.spammers, args.seed)
            results["spam_runs"].append(run_one(short, spammed, opts, spammers=names))
            yield None


def tables(results: dict[str, Any]) -> str:
    lines = [
        "### All-answer references",
        "",
        *reference_table(results["references"]),
        "",
        "### Replays",
        "",
        *main_table(results["runs"]),
        "",
        "### Knobs",
        "",
        *sweep_table(results["runs"]),
    ]
    if results["spam_runs"]:
        lines += ["", "### Spammers", "", *spam_table(results["runs"] + results["spam_runs"])]
    return "\n".join(lines) + "\n"


def _save(path: Path | None, results: dict[str, Any]) -> None:
    if path is not None:
        path.write_text(json.dumps(results, indent=2), encoding="utf-8")


def main() -> None:
    args = _args()
    if not DATA.is_dir():
        print(f"no crowd data at {DATA}; nothing to do")
        return
    if (DATA / NUMERIC).is_dir():
        print(f"skipping {NUMERIC}: numeric labels, categorical routing only")
    results: dict[str, Any] = {
        "machine": _machine(),
        "seed": args.seed,
        "references": {},
        "runs": [],
        "spam_runs": [],
    }
    for folder, short in SHORT.items():
        if args.datasets and short not in args.datasets:
            continue
        if not (DATA / folder / "answer.csv").exists():
            continue
        for _ in _dataset(args, folder, short, results):
            _save(args.out, results)
    _save(args.out, results)
    text = tables(results)
    print(text)
    if args.markdown is not None:
        args.markdown.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
