from pathlib import Path

import pytest

from shoplabel.dataprep import FileFormat, UnsupportedFormat, detect_format
from shoplabel.errors import InvalidInput


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("items.csv", FileFormat.CSV),
        ("ITEMS.CSV", FileFormat.CSV),
        ("items.tsv", FileFormat.TSV),
        ("items.tab", FileFormat.TSV),
        ("items.jsonl", FileFormat.JSONL),
        ("items.ndjson", FileFormat.JSONL),
        ("items.json-lines", FileFormat.JSONL),
        ("items.parquet", FileFormat.PARQUET),
        ("dir.v2/items.pq", FileFormat.PARQUET),
        ("queries.txt", FileFormat.TEXT),
    ],
)
def test_detect_format_by_suffix(name: str, expected: FileFormat) -> None:
    assert detect_format(Path(name)) is expected


def test_detect_format_explicit_wins_over_suffix() -> None:
    assert detect_format("query.csv", explicit="tsv") is FileFormat.TSV
    assert detect_format("x", explicit=FileFormat.PARQUET) is FileFormat.PARQUET
    assert detect_format("x", explicit=" NDJSON ") is FileFormat.JSONL


@pytest.mark.parametrize("name", ["items.xlsx", "items.csv.gz", "items"])
def test_detect_format_rejects_unknown_suffix(name: str) -> None:
    with pytest.raises(UnsupportedFormat, match="unsupported file suffix") as info:
        detect_format(name)
    assert isinstance(info.value, InvalidInput)
    assert info.value.code == "unsupported_format"


def test_detect_format_rejects_unknown_explicit_name() -> None:
    with pytest.raises(UnsupportedFormat, match="'xml'"):
        detect_format("items.csv", explicit="xml")
