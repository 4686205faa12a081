"""``shoplabel keys`` and a masked import from the CLI, on a real SQLite data directory."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shoplabel.cli.app import app
from shoplabel.dataprep.readers import iter_record_batches
from tests.pii_seed import REVIEWS, SEED_VALUES, leaks, reviews_csv

POLICY = json.dumps({"privacy": {"fields": {"review": {}}}})


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SHOPLABEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SHOPLABEL_DATABASE_URL", raising=False)
    monkeypatch.delenv("SHOPLABEL_DATA_KEYS", raising=False)
    monkeypatch.delenv("SHOPLABEL_DATA_KEY_ID", raising=False)
    monkeypatch.setenv("SHOPLABEL_PASSWORD", "correct horse battery")
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def _run(cli: CliRunner, *args: str, code: int = 0) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_masked_import_status_and_rotation(
    cli: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    first = _run(cli, "keys", "generate", "k1").strip()
    second = _run(cli, "keys", "generate", "k2").strip()
    assert first.startswith("k1:") and first != second
    _run(cli, "init", "--admin", "admin")
    _run(
        cli,
        "project",
        "create",
        "--name",
        "R",
        "--template",
        "review_sentiment",
        "--settings",
        POLICY,
    )
    src = tmp_path / "reviews.csv"
    src.write_bytes(reviews_csv())
    out = _run(cli, "import", "1", str(src), code=2)
    assert "data_key_missing" in out and "SHOPLABEL_DATA_KEYS" in out
    monkeypatch.setenv("SHOPLABEL_DATA_KEYS", "k1:@@@")
    out = _run(cli, "keys", "status", code=2)
    assert "invalid_data_keys" in out
    monkeypatch.setenv("SHOPLABEL_DATA_KEYS", first)
    out = _run(cli, "import", "1", str(src))
    assert "inserted 6" in out and not leaks(out)
    assert "k1" in _run(cli, "keys", "status")
    export = tmp_path / "out.jsonl"
    _run(cli, "export", "1", "--out", str(export))
    rows = [r.fields for b in iter_record_batches(export) for r in b.records]
    assert len(rows) == 6 and not leaks(export.read_text(encoding="utf-8"))
    monkeypatch.setenv("SHOPLABEL_DATA_KEYS", f"{first},{second}")
    monkeypatch.setenv("SHOPLABEL_DATA_KEY_ID", "k2")
    out = _run(cli, "keys", "rotate", "--batch-size", "4")
    assert "re-sealed 6" in out
    status = _run(cli, "keys", "status")
    assert "items still on older keys: 0" in status
    assert first.split(":", 1)[1] not in status + out
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not leaks(logged) and not [v for v in SEED_VALUES if v in logged]
    assert REVIEWS[0] not in logged


def test_mask_command_logs_and_prints_no_pii(
    cli: CliRunner, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    src = tmp_path / "reviews.jsonl"
    lines = [json.dumps({"review": r}, ensure_ascii=False) for r in REVIEWS]
    src.write_text("\n".join([*lines, "{bad json 13812345678"]) + "\n", encoding="utf-8")
    out = _run(cli, "mask", str(src), "--out", str(tmp_path / "o.jsonl"), code=2)
    assert "mask_rejected" in out and not leaks(out)
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = tmp_path / "found.csv"
    out = _run(cli, "mask", str(src), "--out", str(tmp_path / "o.jsonl"), "--report", str(report))
    assert not leaks(out + report.read_text(encoding="utf-8"))
    assert not leaks((tmp_path / "o.jsonl").read_text(encoding="utf-8"))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not leaks(logged)
