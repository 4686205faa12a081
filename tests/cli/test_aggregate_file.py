from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shoplabel.cli.app import app

ANSWERS = "question,worker,answer\n" + "".join(
    f"{t},{w},{lab}\n"
    for t, lab in [("q1", "1"), ("q2", "0"), ("q3", "1")]
    for w in ("a", "b", "c")
) + "q1,d,0\nq2,d,1\n"  # fmt: skip


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    path = tmp_path / "answers.csv"
    path.write_text(ANSWERS)
    return path


def test_aggregate_file_writes_labels_probas_and_workers(answers: Path, tmp_path: Path) -> None:
    out, workers = tmp_path / "out.csv", tmp_path / "workers.csv"
    result = CliRunner().invoke(
        app,
        [
            "aggregate-file", str(answers), "--out", str(out), "--probas",
            "--workers-out", str(workers), "--method", "dawid-skene",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = _read(out)
    assert [(r["task"], r["label"]) for r in rows] == [("q1", "1"), ("q2", "0"), ("q3", "1")]
    assert set(rows[0]) == {"task", "label", "confidence", "p_0", "p_1"}
    assert float(rows[0]["p_1"]) == pytest.approx(float(rows[0]["confidence"]))
    assert {r["worker"] for r in _read(workers)} == {"a", "b", "c", "d"}


def test_aggregate_file_tsv_columns_and_gold(tmp_path: Path) -> None:
    path = tmp_path / "answers.tsv"
    path.write_text("w\tlab\ttask\nx\tcat\tt1\ny\tdog\tt1\nx\tdog\tt2\n")
    gold = tmp_path / "gold.csv"
    gold.write_text("task,truth\nt1,dog\n")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        app,
        ["aggregate-file", str(path), "--out", str(out), "--columns", "task,w,lab",
         "--gold", str(gold), "--method", "majority-vote"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [(r["task"], r["label"]) for r in _read(out)] == [("t1", "dog"), ("t2", "dog")]


def test_aggregate_file_parquet(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "answers.parquet"
    pq.write_table(pa.table({"task": ["a", "a", "b"], "worker": ["x", "y", "x"],
                             "label": [1, 1, 0]}), path)  # fmt: skip
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["aggregate-file", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [(r["task"], r["label"]) for r in _read(out)] == [("a", "1"), ("b", "0")]


@pytest.mark.parametrize(
    ("content", "args", "code"),
    [
        ("task,worker,label\n", [], "empty_annotations"),
        ("task,worker,label\nt,w,\n", [], "missing_value"),
        (ANSWERS, ["--method", "nope"], "unknown_method"),
        (ANSWERS, ["--columns", "a,b"], "bad_answer_row"),
    ],
)
def test_aggregate_file_errors_exit_2_with_code(
    tmp_path: Path, content: str, args: list[str], code: str
) -> None:
    path = tmp_path / "answers.csv"
    path.write_text(content)
    result = CliRunner().invoke(
        app, ["aggregate-file", str(path), "--out", str(tmp_path / "o.csv"), *args]
    )
    assert result.exit_code == 2
    assert f"{code}:" in result.output
    assert not (tmp_path / "o.csv").exists()
