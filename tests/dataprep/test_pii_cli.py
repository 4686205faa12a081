"""``shoplabel mask`` on every file format, through a local Typer app (as app.py will do)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from shoplabel.cli import mask as mask_cli

PHONE = "13812345678"
EMAIL = "john@example.com"


@pytest.fixture
def app() -> typer.Typer:
    local = typer.Typer()
    local.command("mask")(mask_cli.mask_file)
    local.command("noop")(lambda: None)  # two commands: "mask" stays a subcommand
    return local


def _run(app: typer.Typer, *args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["mask", *map(str, args)])
    return result.exit_code, result.output


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_pii_cli_masks_text_lines_and_reports_without_pii(app: typer.Typer, tmp_path: Path) -> None:
    src, out, report = tmp_path / "in.txt", tmp_path / "out.txt", tmp_path / "found.csv"
    src.write_text(f"call {PHONE}\nnothing here\nmail {EMAIL}\n", encoding="utf-8")
    code, output = _run(app, src, "--out", out, "--report", report)
    assert code == 0, output
    assert out.read_text(encoding="utf-8").splitlines() == [
        "call [PHONE]",
        "nothing here",
        "mail [EMAIL]",
    ]
    rows = _csv(report)
    assert rows == [
        {"row": "1", "field": "text", "kind": "phone", "start": "5", "end": "16"},
        {"row": "3", "field": "text", "kind": "email", "start": "5", "end": "21"},
    ]
    assert PHONE not in report.read_text() + output
    assert "phone 1" in output


def test_pii_cli_masks_only_chosen_csv_fields(app: typer.Typer, tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(f"id,note,contact\n1,tel {PHONE},{EMAIL}\n2,ok,\n", encoding="utf-8")
    code, output = _run(app, src, "--out", out, "--fields", "note", "--style", "partial")
    assert code == 0, output
    assert _csv(out) == [
        {"id": "1", "note": "tel 138****5678", "contact": EMAIL},
        {"id": "2", "note": "ok", "contact": ""},
    ]


def test_pii_cli_masks_nested_jsonl_strings_with_hash(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(mask_cli.KEY_ENV, "secret")
    src, out, report = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "r.jsonl"
    record = {"id": 7, "chat": [{"text": f"我的电话{PHONE}"}], "price": 399.99}
    src.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    code, output = _run(app, src, "--out", out, "--style", "hash", "--report", report)
    assert code == 0, output
    masked = json.loads(out.read_text(encoding="utf-8"))
    assert masked["id"] == 7 and masked["price"] == 399.99
    assert masked["chat"][0]["text"].startswith("我的电话[PHONE:")
    finding = json.loads(report.read_text(encoding="utf-8"))
    assert finding == {"row": 1, "field": "chat[0].text", "kind": "phone", "start": 4, "end": 15}


def test_pii_cli_masks_parquet(app: typer.Typer, tmp_path: Path) -> None:
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    pq.write_table(pa.table({"n": [1, 2], "review": [f"call {PHONE}", None]}), src)
    code, output = _run(app, src, "--out", out)
    assert code == 0, output
    assert pq.read_table(out).to_pylist() == [
        {"n": 1, "review": "call [PHONE]"},
        {"n": 2, "review": None},
    ]


def test_pii_cli_hash_needs_the_key(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(mask_cli.KEY_ENV, raising=False)
    src, out = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text(PHONE + "\n", encoding="utf-8")
    code, output = _run(app, src, "--out", out, "--style", "hash")
    assert code == 2
    assert "missing_mask_key:" in output
    assert not out.exists()


def test_pii_cli_bad_rows_write_nothing_and_name_rows_only(
    app: typer.Typer, tmp_path: Path
) -> None:
    src, out, report = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "r.csv"
    src.write_text(
        json.dumps({"t": f"call {PHONE}"}) + "\n" + '{"t": "' + PHONE + " broken\n",
        encoding="utf-8",
    )
    code, output = _run(app, src, "--out", out, "--report", report)
    assert code == 2
    assert "mask_rejected:" in output and "row 2" in output
    assert PHONE not in output
    assert not out.exists() and not report.exists()
    assert list(tmp_path.iterdir()) == [src]


def test_pii_cli_rejects_unknown_fields_and_overwriting_input(
    app: typer.Typer, tmp_path: Path
) -> None:
    src = tmp_path / "in.csv"
    src.write_text("a,b\n1,2\n", encoding="utf-8")
    code, output = _run(app, src, "--out", tmp_path / "o.csv", "--fields", "a,zzz")
    assert code == 2 and "missing_columns:" in output
    code, output = _run(app, src, "--out", src)
    assert code == 2 and "invalid_input:" in output
    assert src.read_text(encoding="utf-8") == "a,b\n1,2\n"
