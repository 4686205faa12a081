"""``shoplabel dedup``, ``duplicates``, ``report`` and ``augment`` end to end on SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shoplabel.cli.app import app
from shoplabel.dataprep.readers import iter_record_batches

CSV = (
    "external_id,query,gold\n"
    "q1,grey velvet sofa bed,\n"
    "q2,grey velvet sofa bed,\n"
    "q3,grey  velvet <b>sofa</b> bed,\n"
    "q4,outdoor dining table set for 6,\n"
    "q5,kids bunk bed with stairs,\n"
    "q6,客服电话 13812345678 扫地机器人,\n"
)


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


def test_dedup_duplicates_report_and_augment(cli: CliRunner, tmp_path: Path) -> None:
    _ok(cli, "init", "--admin", "admin")
    _ok(cli, "project", "create", "--name", "Intent", "--template", "search_intent")
    src = tmp_path / "queries.csv"
    src.write_text(CSV, encoding="utf-8")
    assert "inserted 6" in _ok(cli, "import", "1", str(src))
    out = _ok(cli, "dedup", "1", "--fields", "query")
    assert "exact" in out and "6 items" in out
    listed = _ok(cli, "duplicates", "list", "1", "--kind", "exact")
    group_id = listed.split("│")[1].strip() if "│" in listed else "1"
    assert "1,2,3" in listed.replace(" ", "")  # q3 is q1 once cleaned: one exact group
    out = _ok(cli, "duplicates", "decide", group_id, "--keep", "1")
    assert "keep_one, 2 items left the queue" in out
    bad = cli.invoke(app, ["duplicates", "decide", group_id, "--keep", "5"])
    assert bad.exit_code != 0 and "invalid_duplicate_decision" in bad.output
    report_file = tmp_path / "report.json"
    out = _ok(cli, "report", "1", "--json", str(report_file))
    assert "pii phone" in out
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report["pii"]["by_kind"] == {"phone": 1}
    assert "13812345678" not in report_file.read_text(encoding="utf-8")
    aug = tmp_path / "train.jsonl"
    out = _ok(cli, "augment", "1", "--field", "query", "--out", str(aug), "--eval-fraction", "0.3")
    rows = [r.fields for b in iter_record_batches(aug) for r in b.records]
    assert sum(not r["augmented"] for r in rows) == 6
    assert all(r["split"] == "train" for r in rows if r["augmented"])
    bad = cli.invoke(app, ["augment", "1", "--field", "query", "--out", str(aug), "--kinds", "x"])
    assert bad.exit_code != 0
