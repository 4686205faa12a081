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
from shoplabel.errors import InvalidInput
from shoplabel.inference import AnnotationMatrix, make_aggregator
from shoplabel.services import aggregation, auth, projects, replay
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
    labels_used: int
    labels_per_item: float
    accuracy_on_gold: float | None
    n_gold: int


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


def _settings(rule: OverlapRule, policy: str, max_answers: int, min_overlap: int) -> dict[str, Any]:
    if rule.mode == "fixed":
        k = int(rule.value)
        return {"max_overlap": k, "min_overlap": k, "assignment_policy": policy}
    return {
        "overlap_mode": "dynamic",
        "target_confidence": rule.value,
        "min_overlap": min(min_overlap, max_answers),
        "max_overlap": max_answers,
        "assignment_policy": policy,
    }


def _setup(
    uows: Callable[[], UnitOfWork], crowd: CrowdData, settings: Mapping[str, Any]
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
        # Items carry no gold: the engine must not see the truth it is scored on.
        items = [
            NewItem(external_id=t, payload={"task": t}, content_hash=content_hash({"t": t}))
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
    policy: str = "round-robin"
    overlap: str = "dynamic:0.95"
    seed: int = 0
    shuffle: bool = True
    refit_every: int = 1000
    min_overlap: int = 2


def _run(
    uows: Callable[[], UnitOfWork],
    crowd: CrowdData,
    opts: SimulationOptions,
    progress: Callable[[int, int], None] | None,
    trainer: Trainer | None,
) -> tuple[Outcome, int, int]:
    rule = OverlapRule.parse(opts.overlap)
    max_answers = max(Counter(a[0] for a in crowd.answers).values())
    owner, pid, ids, actors = _setup(
        uows, crowd, _settings(rule, opts.policy, max_answers, opts.min_overlap)
    )
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

    done = replay.replay(
        uows,
        answers,
        project_id=pid,
        actors=actors,
        rng=rng,
        after_submit=refit,
        progress=None if progress is None else (lambda n: progress(n, len(answers))),
    )
    final = aggregation.aggregate(uows, actor=owner, project_id=pid, use_gold=False)
    with uows().reading() as uow:
        counters = uow.projects.get(pid).counters
        by_id = {str(v): k for k, v in ids.items()}
        consensus = uow.consensus.get_many(list(ids.values()))
    pred = {by_id[str(i)]: str(c.value) for i, c in consensus.items()}
    n_gold, acc = _accuracy(pred, crowd.truth)
    outcome = Outcome(done.submitted, done.submitted / max(final.n_items, 1), acc, n_gold)
    return outcome, counters.n_review, len(actors)


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
        engine, in_review, n_workers = _run(build(Path(tmp)), crowd, options, progress, trainer)
    return SimulationReport(
        policy=options.policy,
        overlap=options.overlap,
        seed=options.seed,
        items=len({a[0] for a in crowd.answers}),
        workers=n_workers,
        answers_available=len(crowd.answers),
        engine=engine,
        baseline_majority_vote=_baseline(crowd),
        items_in_review=in_review,
    )


def write_report(report: SimulationReport, path: Path) -> None:
    path.write_text(
        json.dumps({**report.to_dict(), "label_savings": report.label_savings}, indent=2),
        encoding="utf-8",
    )
