"""``shoplabel simulate``: replay a real crowd through the real services."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.progress import MofNCompleteColumn, Progress
from rich.table import Table

from shoplabel.bootstrap import build
from shoplabel.cli.context import console, handle_errors
from shoplabel.cli.crowdfiles import BadAnswerRow, read_columns
from shoplabel.config import Settings
from shoplabel.domain.ports import UnitOfWork
from shoplabel.errors import InvalidInput
from shoplabel.ml.router import fit_router
from shoplabel.services.simulation import (
    CrowdData,
    SimulationOptions,
    SimulationReport,
    simulate,
    write_report,
)

__all__ = ["load_crowd", "simulate_crowd"]


def load_crowd(answers: Path, truth: Path | None, columns: str | None) -> CrowdData:
    """Answers (task, worker, label) and optional truth (task, label) from any crowd file."""
    names = None if columns is None else [c.strip() for c in columns.split(",")]
    if names is not None and len(names) != 3:
        raise BadAnswerRow("--columns needs three names: task,worker,label")
    (tasks, workers, labels), _ = read_columns(answers, names, 3)
    gold: dict[str, str] = {}
    if truth is not None:
        (t_ids, t_labels), _ = read_columns(truth, None, 2)
        gold = dict(zip(t_ids, t_labels, strict=True))
    return CrowdData(answers=list(zip(tasks, workers, labels, strict=True)), truth=gold)


def _exam(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as e:
        raise InvalidInput(f"--exam is not JSON: {e}", details={"field": "exam"}) from None
    if not isinstance(value, dict):
        raise InvalidInput("--exam must be a JSON object", details={"field": "exam"})
    return value


def _scratch(directory: Path) -> Callable[[], UnitOfWork]:
    """A fresh SQLite platform in ``directory`` (the simulator deletes it afterwards)."""
    return build(Settings(data_dir=directory, database_url=None, run_jobs=False)).uow


def _table(report: SimulationReport) -> Table:
    table = Table(
        "run",
        "human labels",
        "labels / item",
        "accuracy on gold",
        "gold items",
        title=f"{report.policy}, {report.overlap}: {report.items} items, {report.workers} workers",
    )
    for name, o in (
        ("engine", report.engine),
        ("baseline: all answers + majority vote", report.baseline_majority_vote),
    ):
        acc = "-" if o.accuracy_on_gold is None else f"{o.accuracy_on_gold:.4f}"
        table.add_row(name, str(o.labels_used), f"{o.labels_per_item:.2f}", acc, str(o.n_gold))
    return table


@handle_errors
def simulate_crowd(
    answers: Path = typer.Option(..., exists=True, dir_okay=False, help="task,worker,label"),
    truth: Path | None = typer.Option(None, exists=True, dir_okay=False, help="task,label"),
    policy: str = typer.Option("round-robin", help="Assignment policy."),
    overlap: str = typer.Option("dynamic:0.95", help="fixed:K or dynamic:T."),
    seed: int = typer.Option(0, help="Seeds the arrival order and the policies."),
    keep_order: bool = typer.Option(False, help="Arrivals in file order, not shuffled."),
    refit_every: int = typer.Option(1000, min=1, help="Re-aggregate every N labels."),
    min_overlap: int = typer.Option(2, min=1, help="Labels an item needs at least (dynamic)."),
    columns: str | None = typer.Option(None, help="Answer column names: task,worker,label."),
    report: Path | None = typer.Option(None, help="Write the report as JSON here."),
    quality_rules: bool = typer.Option(True, help="Default quality rules on (or off)."),
    gold_share: float = typer.Option(
        0.0, min=0.0, max=1.0, help="Share of gold items imported as honeypots (not scored)."
    ),
    gold_rate: float = typer.Option(0.0, min=0.0, max=1.0, help="The project's gold_rate."),
    exam: str | None = typer.Option(
        None, help='The project\'s exam setting, JSON: {"questions": 5}'
    ),
) -> None:
    """Replay a real crowd through the real services on a temporary SQLite database."""
    crowd = load_crowd(answers, truth, columns)
    opts = SimulationOptions(
        policy=policy,
        overlap=overlap,
        seed=seed,
        shuffle=not keep_order,
        refit_every=refit_every,
        min_overlap=min_overlap,
        quality_rules=None if quality_rules else {"rules": []},
        gold_share=gold_share,
        gold_rate=gold_rate,
        exam=_exam(exam),
    )
    with Progress(*Progress.get_default_columns(), MofNCompleteColumn(), console=console) as bar:
        task = bar.add_task("replaying arrivals", total=len(crowd.answers))
        result = simulate(
            crowd,
            opts,
            build=_scratch,
            progress=lambda n, total: bar.update(task, completed=n, total=total),
            trainer=fit_router,
        )
    console.print(_table(result))
    console.print(
        f"human labels saved vs. the baseline: {result.label_savings:.1%}; "
        f"items sent to review: {result.items_in_review}; workers banned: "
        f"{result.workers_banned}; scored items left without a label (class prior): "
        f"{result.engine.n_unlabelled}; honeypots: {result.honeypots}"
    )
    if report is not None:
        write_report(result, report)
