"""The CLI end to end on a real SQLite data directory (typer's CliRunner, real services)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shoplabel.cli.app import app
from shoplabel.dataprep.readers import iter_record_batches


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SHOPLABEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SHOPLABEL_DATABASE_URL", raising=False)
    monkeypatch.setenv("SHOPLABEL_PASSWORD", "correct horse battery")
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def _ok(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_init_users_projects_import_export(cli: CliRunner, tmp_path: Path) -> None:
    _ok(cli, "init", "--admin", "admin")
    _ok(cli, "user", "add", "alice", "--role", "requester")
    assert "slt_" in _ok(cli, "token", "create", "alice", "--days", "7")
    _ok(
        cli,
        "project",
        "create",
        "--name",
        "Matching",
        "--template",
        "product_matching",
        "--settings",
        '{"max_overlap": 2}',
        "--as",
        "alice",
    )
    assert "Matching" in _ok(cli, "project", "list", "--as", "alice")
    src = tmp_path / "pairs.csv"
    src.write_text("external_id,left.name,right.name\nx1,A,B\nx2,C,\nx3,E,F\n", encoding="utf-8")
    out = _ok(cli, "import", "1", str(src), "--as", "alice")
    assert "inserted 2" in out and "rejected 1" in out and "missing_field" in out
    assert (tmp_path / "pairs.rejects.csv").exists()
    shown = json.loads(_ok(cli, "project", "show", "1", "--as", "alice"))
    assert shown["counters"]["n_items"] == 2 and shown["settings"]["max_overlap"] == 2
    out_file = tmp_path / "out.jsonl"
    _ok(cli, "export", "1", "--out", str(out_file), "--as", "alice")
    rows = [r.fields for b in iter_record_batches(out_file) for r in b.records]
    assert [r["external_id"] for r in rows] == ["x1", "x3"]


def test_errors_are_codes_on_stderr(cli: CliRunner) -> None:
    _ok(cli, "init", "--admin", "admin")
    bad = cli.invoke(app, ["project", "create", "--name", "X", "--template", "nope"])
    assert bad.exit_code == 2 and "unknown_template" in bad.output
    worker = cli.invoke(app, ["user", "add", "bob", "--role", "worker"])
    assert worker.exit_code == 0
    denied = cli.invoke(
        app, ["project", "create", "--name", "X", "--template", "product_matching", "--as", "bob"]
    )
    assert denied.exit_code == 2 and "permission_denied" in denied.output
    missing = cli.invoke(app, ["project", "show", "99"])
    assert missing.exit_code == 2 and "project_not_found" in missing.output


@pytest.mark.slow
def test_demo_replays_the_real_crowd(cli: CliRunner, tmp_path: Path) -> None:
    out = _ok(cli, "demo", "--no-serve", "--data-dir", str(tmp_path / "demo"))
    # 1,800 recorded answers; the default quality rules ban a few workers on the way (their
    # 32 remaining arrivals are refused and their earlier labels dropped: 1,558 stay valid)
    assert "600 product pairs, 1768 real answers from 147 workers" in out
    assert "1558" in out
    assert "majority-vote" in out and "0.865" in out
