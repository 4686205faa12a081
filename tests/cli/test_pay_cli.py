"""``shoplabel pay``, ``payout`` and ``audit`` end to end on a real SQLite data directory."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shoplabel.bootstrap import build
from shoplabel.cli.app import app
from shoplabel.config import Settings
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.users import Role
from tests.factories import add_items, make_actor, matching_payload
from tests.services.review_crowd import label


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SHOPLABEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SHOPLABEL_DATABASE_URL", raising=False)
    monkeypatch.setenv("SHOPLABEL_PASSWORD", "correct horse battery")
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def _run(cli: CliRunner, *args: str, code: int = 0) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return " ".join(result.output.split())  # Rich wraps long lines


def _labels(tmp_path: Path) -> None:
    """Two workers close two items of project 1 through the services."""
    p = build(Settings(data_dir=tmp_path / "data", run_jobs=False))
    workers = [make_actor(p.uow(), f"w{i}", Role.WORKER) for i in range(2)]
    with p.uow().reading() as uow:
        project = uow.projects.get(ProjectId(1))
    add_items(p.uow(), project.id, [matching_payload(i) for i in range(2)])
    for _ in range(2):
        for w in workers:
            label(p.uow, w, project, "same", 3000)
    p.dispose()


def test_rule_run_payout_and_audit(cli: CliRunner, tmp_path: Path) -> None:
    _run(cli, "init", "--admin", "admin")
    _run(
        cli,
        "project",
        "create",
        "--name",
        "M",
        "--template",
        "product_matching",
        "--settings",
        '{"max_overlap": 2, "min_overlap": 2, "gold_rate": 0}',
    )
    bad = tmp_path / "bad.json"
    bad.write_text('{"currency": "USD", "reward": -3}', encoding="utf-8")
    assert "pay_rule_negative" in _run(cli, "pay", "rule", "1", str(bad), code=2)
    rule = tmp_path / "rule.json"
    rule.write_text('{"currency": "USD", "reward": 600}', encoding="utf-8")
    assert "version 1" in _run(cli, "pay", "rule", "1", str(rule))
    _labels(tmp_path)
    assert "posted 4 entries" in _run(cli, "pay", "run")
    assert "no batch" in _run(cli, "payout", "create", "--minimum", "5000")
    assert "2 workers, 24.00 USD" in _run(cli, "payout", "create", "--minimum", "1000")
    out = tmp_path / "batch.csv"
    _run(cli, "payout", "export", "1", "--out", str(out))
    lines = out.read_text(encoding="utf-8").splitlines()[1:]
    confirm = tmp_path / "confirm.json"
    confirm.write_text(
        json.dumps(
            [
                {
                    "reference": ln.split(",")[0],
                    "status": "paid",
                    "amount_minor": 1200,
                    "provider_ref": "x",
                }
                for ln in lines
            ]
        ),
        encoding="utf-8",
    )
    assert "2 paid, 0 failed" in _run(cli, "payout", "confirm", str(confirm))
    assert "payout_already_confirmed" in _run(cli, "payout", "confirm", str(confirm), code=2)
    assert "settled" in _run(cli, "payout", "list")
    _run(cli, "pay", "run")
    assert "audit chain intact" in _run(cli, "audit", "verify")
    trail = tmp_path / "audit.jsonl"
    assert "head hash" in _run(cli, "audit", "export", "--out", str(trail))
    assert trail.read_text(encoding="utf-8").count("\n") == 11  # 10 records and the head
    # Tamper with one record: verify names it and exits 1.
    conn = sqlite3.connect(tmp_path / "data" / "shoplabel.db")
    conn.execute("UPDATE audit_events SET body = replace(body, '600', '900') WHERE seq = 1")
    conn.commit()
    conn.close()
    broken = _run(cli, "audit", "verify", code=1)
    assert "audit_chain_broken" in broken and "record 1: edited" in broken
