"""The replay simulator: a real crowd, replayed through the real services on a scratch database.

Each recorded answer is one arrival of its worker (in file order, or shuffled with a seed);
the worker can only be given items they really answered, and the project's assignment policy
and overlap rule decide what is asked and when an item is done (see :mod:`replay`). Every
``refit_every`` labels the project is re-aggregated, which refreshes the worker model that
online posteriors (and so dynamic overlap) use. At the end the default aggregator labels every
item and the report compares labels spent and accuracy on the gold items with the baseline
of the same run: every available answer, aggregated by majority vote.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.items import NewItem, content_hash
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.scheduling import get_policy
from shoplabel.domain.users import Actor, Role
from shoplabel.domain.workers import WorkerStatus
from shoplabel.errors import InvalidInput
from shoplabel.inference import AnnotationMatrix, make_aggregator
from shoplabel.services import aggregation, auth, posteriors, projects, replay
from shoplabel.services.routing_training import Trainer

__all__ = [
    "CrowdData",
    "Outcome",
    "OverlapRule",
    "SimulationOptions",
    "SimulationReport",
    "simulate",
    "write_report",
]

_SIM_USER = "simulator"


@dataclass(frozen=True, slots=True)
class OverlapRule:
    """``fixed:K`` (every item gets K labels) or ``dynamic:T`` (stop at confidence T)."""

    mode: str
    value: float

    @classmethod
    def parse(cls, text: str) -> OverlapRule:
        mode, _, raw = text.partition(":")
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if mode == "fixed" and value >= 1 and value.is_integer():
            return cls(mode, value)
        if mode == "dynamic" and 0.5 <= value < 1:
            return cls(mode, value)
        raise InvalidInput(
            f"overlap {text!r} must be fixed:K (K >= 1) or dynamic:T (0.5 <= T < 1)",
            details={"field": "overlap"},
        )


@dataclass(frozen=True, slots=True)
class CrowdData:
    """Recorded answers ``(task, worker, label)`` in arrival order, and known truths."""

    answers: Sequence[tuple[str, str, str]]
    truth: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Outcome:
    """Labels spent and accuracy on the gold items.

    Attributes:
        n_unlabelled: Scored items left with no valid label at the end (every answer for
            them used or rejected); they take the class prior's label and are counted.
    """

    labels_used: int
    labels_per_item: float
    accuracy_on_gold: float | None
    n_gold: int
    n_unlabelled: int = 0


@dataclass(frozen=True, slots=True)
class SimulationReport:
    policy: str
    overlap: str
    seed: int
    items: int
    workers: int
    answers_available: int
    engine: Outcome
    baseline_majority_vote: Outcome
    items_in_review: int
    #: Workers a quality rule banned during the replay, and gold items used as honeypots
    #: (known to the engine, so not scored).
    workers_banned: int = 0
    honeypots: int = 0
    exams_taken: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def label_savings(self) -> float:
        """Share of the baseline's human labels the engine did not need."""
        base = self.baseline_majority_vote.labels_used
        return 0.0 if base == 0 else 1.0 - self.engine.labels_used / base


def _accuracy(pred: Mapping[str, str], truth: Mapping[str, str]) -> tuple[int, float | None]:
    hits = [pred[t] == lab for t, lab in truth.items() if t in pred]
    return len(hits), (float(np.mean(hits)) if hits else None)


def _baseline(crowd: CrowdData) -> Outcome:
    m = AnnotationMatrix.from_rows(crowd.answers)
    pred = make_aggregator("majority-vote").fit(m).as_dict()
    n_gold, acc = _accuracy(pred, crowd.truth)
    return Outcome(m.n_annotations, m.n_annotations / m.n_tasks, acc, n_gold)


def _settings(opts: SimulationOptions, max_answers: int) -> dict[str, Any]:
    rule = OverlapRule.parse(opts.overlap)
    quality: dict[str, Any] = {"gold_rate": opts.gold_rate}
    if opts.quality_rules is not None:
        quality["quality_rules"] = dict(opts.quality_rules)
    if opts.exam is not None:
        quality["exam"] = dict(opts.exam)
    if rule.mode == "fixed":
        k = int(rule.value)
        return {"max_overlap": k, "min_overlap": k, "assignment_policy": opts.policy, **quality}
    return {
        "overlap_mode": "dynamic",
        "target_confidence": rule.value,
        "min_overlap": min(opts.min_overlap, max_answers),
        "max_overlap": max_answers,
        "assignment_policy": opts.policy,
        **quality,
    }


def honeypot_items(crowd: CrowdData, share: float, seed: int) -> dict[str, str]:
    """A seeded ``share`` of the gold items, to be imported with their truth (honeypots)."""
    gold = sorted(t for t in crowd.truth if t in {a[0] for a in crowd.answers})
    n = round(share * len(gold))
    if n == 0:
        return {}
    picked = np.random.default_rng(seed + 104_729).choice(len(gold), n, replace=False)
    return {gold[int(i)]: crowd.truth[gold[int(i)]] for i in picked}


def _setup(
    uows: Callable[[], UnitOfWork],
    crowd: CrowdData,
    settings: Mapping[str, Any],
    honeypots: Mapping[str, str],
) -> tuple[Actor, ProjectId, dict[str, ItemId], dict[str, Actor]]:
    owner = Actor.of(
        auth.create_user(uows(), actor=None, username=_SIM_USER, password=None, role=Role.REQUESTER)
    )
    labels = sorted({a[2] for a in crowd.answers} | set(crowd.truth.values()))
    spec = projects.ProjectSpec(
        name="replay",
        template="custom",
        schema={"kind": "categorical", "labels": labels},
        settings={**settings, "lease_ttl_seconds": 3600},
    )
    project = projects.create_project(uows(), spec, actor=owner)
    tasks = list(dict.fromkeys(a[0] for a in crowd.answers))
    with uows() as uow:
        # Only honeypots carry gold: the engine must not see the truth it is scored on.
        items = [
            NewItem(
                external_id=t,
                payload={"task": t},
                content_hash=content_hash({"t": t}),
                gold=honeypots.get(t),
            )
            for t in tasks
        ]
        for lo in range(0, len(items), 5000):
            uow.items.add_many(project.id, items[lo : lo + 5000])
        uow.projects.add_counters(project.id, n_items=len(items), n_open=len(items))
        ids = {
            it.external_id: it.id
            for it in uow.items.page(project.id, after_id=0, limit=len(items), status=None)
        }
        uow.commit()
    actors = {}
    for k, worker in enumerate(dict.fromkeys(a[1] for a in crowd.answers)):
        user = auth.create_user(
            uows(), actor=None, username=f"crowd-{k:05d}", password=None, role=Role.WORKER
        )
        actors[worker] = Actor.of(user)
    return owner, project.id, ids, actors


@dataclass(frozen=True, slots=True)
class SimulationOptions:
    """How to replay.

    Attributes:
        quality_rules: The project's ``quality_rules`` setting; ``None`` keeps the default
            rules, ``{"rules": []}`` switches quality control off.
        gold_rate: The project's ``gold_rate`` (honeypots mixed into each worker's stream).
        gold_share: Share of the gold items imported *with* their truth, as honeypots; they
            are scored by the quality rules, not in the report's accuracy.
        exam: The project's ``exam`` setting (questions drawn from the honeypots). A worker
            answers an exam question with their recorded answer to it, or a seeded random
            class if they never answered that item.
    """

    policy: str = "round-robin"
    overlap: str = "dynamic:0.95"
    seed: int = 0
    shuffle: bool = True
    refit_every: int = 1000
    min_overlap: int = 2
    quality_rules: Mapping[str, Any] | None = None
    gold_rate: float = 0.0
    gold_share: float = 0.0
    exam: Mapping[str, Any] | None = None


def _run(
    uows: Callable[[], UnitOfWork],
    crowd: CrowdData,
    opts: SimulationOptions,
    progress: Callable[[int, int], None] | None,
    trainer: Trainer | None,
) -> tuple[Outcome, _Tally]:
    rule = OverlapRule.parse(opts.overlap)
    max_answers = max(Counter(a[0] for a in crowd.answers).values())
    honeypots = honeypot_items(crowd, opts.gold_share, opts.seed)
    owner, pid, ids, actors = _setup(uows, crowd, _settings(opts, max_answers), honeypots)
    order = np.arange(len(crowd.answers))
    rng = np.random.default_rng(opts.seed)
    if opts.shuffle:
        order = rng.permutation(order)
    rows = [crowd.answers[int(i)] for i in order]
    answers = [replay.Answer(worker=w, item_id=ids[t], value=v) for t, w, v in rows]

    learns = trainer is not None and get_policy(opts.policy).learned_rerank

    def refit(n: int) -> None:
        if (rule.mode == "dynamic" or learns) and n % opts.refit_every == 0:
            aggregation.aggregate(
                uows, actor=owner, project_id=pid, use_gold=False, trainer=trainer
            )

    labels = sorted({a[2] for a in crowd.answers} | set(crowd.truth.values()))
    done = replay.replay(
        uows,
        answers,
        replay.ReplaySetup(pid, actors, labels),
        rng=rng,
        after_submit=refit,
        progress=None if progress is None else (lambda n: progress(n, len(answers))),
    )
    aggregation.aggregate(uows, actor=owner, project_id=pid, use_gold=False)
    pred, unlabelled = _final_labels(uows, pid, ids)
    scored = {t: v for t, v in crowd.truth.items() if t not in honeypots}
    n_gold, acc = _accuracy(pred, scored)
    outcome = Outcome(
        done.submitted,
        done.submitted / max(len(ids), 1),
        acc,
        n_gold,
        n_unlabelled=len(unlabelled & scored.keys()),
    )
    in_review, banned = _tally(uows, pid)
    return outcome, _Tally(in_review, len(actors), banned, len(honeypots), done.exams)


@dataclass(frozen=True, slots=True)
class _Tally:
    in_review: int
    workers: int
    banned: int
    honeypots: int
    exams: int


def _tally(uows: Callable[[], UnitOfWork], pid: ProjectId) -> tuple[int, int]:
    """Items in review and workers banned at the end of the replay."""
    banned, after = 0, 0
    with uows().reading() as uow:
        in_review = uow.projects.get(pid).counters.n_review
        while page := uow.workers.list_for_project(pid, after_worker=after, limit=1000):
            banned += sum(w.status is WorkerStatus.BANNED for w in page)
            after = int(page[-1].worker_id)
    return in_review, banned


def _final_labels(
    uows: Callable[[], UnitOfWork], pid: ProjectId, ids: Mapping[str, ItemId]
) -> tuple[dict[str, str], set[str]]:
    """Every item's final label, and the items left without a valid label: those take the
    class the final model's prior favours (their posterior with no labels)."""
    with uows().reading() as uow:
        consensus = uow.consensus.get_many(list(ids.values()))
        stored = uow.worker_models.get(pid)
    fallback = None
    if stored is not None:
        model = posteriors.model_from_json(stored[2])
        fallback = model.labels[int(np.argmax(model.log_priors))]
    pred: dict[str, str] = {}
    unlabelled: set[str] = set()
    for ext, item_id in ids.items():
        c = consensus.get(item_id)
        if c is None or c.n_labels == 0:
            unlabelled.add(ext)
            if fallback is not None:
                pred[ext] = fallback
        else:
            pred[ext] = str(c.value)
    return pred, unlabelled


def simulate(
    crowd: CrowdData,
    options: SimulationOptions = SimulationOptions(),
    *,
    build: Callable[[Path], Callable[[], UnitOfWork]],
    progress: Callable[[int, int], None] | None = None,
    trainer: Trainer | None = None,
) -> SimulationReport:
    """Replay ``crowd`` on a scratch database made by ``build(directory)``.

    Raises:
        InvalidInput: a bad overlap rule or policy, or an empty crowd.
    """
    if not crowd.answers:
        raise InvalidInput("the answers file has no rows", details={"field": "answers"})
    with tempfile.TemporaryDirectory(prefix="shoplabel-sim-") as tmp:
        engine, tally = _run(build(Path(tmp)), crowd, options, progress, trainer)
    return SimulationReport(
        policy=options.policy,
        overlap=options.overlap,
        seed=options.seed,
        items=len({a[0] for a in crowd.answers}),
        workers=tally.workers,
        answers_available=len(crowd.answers),
        engine=engine,
        baseline_majority_vote=_baseline(crowd),
        items_in_review=tally.in_review,
        workers_banned=tally.banned,
        honeypots=tally.honeypots,
        exams_taken=tally.exams,
    )


def write_report(report: SimulationReport, path: Path) -> None:
    path.write_text(
        json.dumps({**report.to_dict(), "label_savings": report.label_savings}, indent=2),
        encoding="utf-8",
    )
