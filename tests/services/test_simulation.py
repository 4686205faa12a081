"""The replay simulator with quality control on: honeypots, exams, rules, unlabelled items."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import pytest

from shoplabel.bootstrap import build
from shoplabel.config import Settings
from shoplabel.domain.ports import UnitOfWork
from shoplabel.services.simulation import CrowdData, SimulationOptions, simulate

DEMO = files("shoplabel") / "demo_data"


def _sqlite(directory: Path) -> Callable[[], UnitOfWork]:
    return build(Settings(data_dir=directory, database_url=None, run_jobs=False)).uow


def _abt_buy(n_items: int) -> CrowdData:
    """The bundled real MTurk answers on Abt-Buy pairs (first ``n_items`` items)."""
    truth = {}
    for line in (DEMO / "abt_buy_pairs.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        truth[row["external_id"]] = row["gold"]
    keep = sorted(truth)[:n_items]
    rows = list(csv.DictReader((DEMO / "abt_buy_answers.csv").read_text().splitlines()))
    answers = [
        (r["external_id"], r["worker"], r["answer"]) for r in rows if r["external_id"] in keep
    ]
    return CrowdData(answers=answers, truth={t: truth[t] for t in keep})


def test_simulator_runs_with_honeypots_gold_rate_and_exam() -> None:
    crowd = _abt_buy(60)
    opts = SimulationOptions(
        overlap="fixed:3",
        gold_share=0.2,
        gold_rate=0.2,
        exam={"questions": 3, "pass_mark": 0.6, "max_attempts": 2},
    )
    report = simulate(crowd, opts, build=_sqlite)
    assert report.honeypots == 12
    assert report.engine.n_gold == 48  # honeypots are known to the engine: not scored
    assert report.exams_taken >= 1
    assert report.engine.accuracy_on_gold is not None and report.engine.accuracy_on_gold > 0.7


def test_items_whose_labels_were_all_rejected_are_counted_with_the_prior() -> None:
    # "bot" answers 10 items alone, always "same"; two careful workers answer 10 others.
    items = [f"i{k}" for k in range(20)]
    truth = {t: ("different" if k % 4 else "same") for k, t in enumerate(items)}
    answers = [(t, "bot", "same") for t in items[:10]]
    answers += [(t, w, truth[t]) for t in items[10:] for w in ("a", "b")]
    rules = {
        "rules": [
            {
                "name": "constant",
                "condition": "constant_answers",
                "params": {"max_share": 0.9, "min_labels": 5},
                "actions": [{"kind": "ban_from_project"}, {"kind": "reject_labels"}],
            }
        ]
    }
    opts = SimulationOptions(overlap="fixed:2", quality_rules=rules, shuffle=False)
    report = simulate(CrowdData(answers=answers, truth=truth), opts, build=_sqlite)
    assert report.workers_banned == 1
    assert report.engine.n_gold == 20  # every gold item is scored, labelled or not
    # the bot's first 5 labels were dropped when it was banned, its other 5 items never
    # got one: all 10 are scored, with the class the final model's prior favours
    assert report.engine.n_unlabelled == 10
    assert report.engine.labels_used == 25
    # the 10 careful items are right; the bot's items take the prior's class
    assert report.engine.accuracy_on_gold == pytest.approx(
        (10 + sum(truth[t] == "different" for t in items[:10])) / 20
    )
