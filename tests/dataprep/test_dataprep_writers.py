from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import pyarrow.parquet as pq
import pytest

from shoplabel.dataprep import (
    ColumnMismatch,
    FieldMapping,
    FileFormat,
    RowError,
    UnencodableValue,
    UnsupportedFormat,
    open_writer,
    write_row_errors,
)
from tests.dataprep.dataprep_support import fields_of, read_all

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

ROWS: list[dict[str, object]] = [
    {"sku": "A1", "title": 'Sofa, "grey"\nlarge', "price": 12.5, "attrs": {"colour": "灰"}},
    {"sku": "A2", "title": "Chaise", "price": None, "attrs": ["x", 1]},
]


@pytest.mark.parametrize("suffix", ["csv", "tsv"])
def test_delimited_round_trip_json_encodes_nested_values(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out.{suffix}"
    with open_writer(path) as writer:
        writer.write_many(iter(ROWS))
    records, errors = read_all(path)
    assert errors == []
    assert fields_of(records) == [
        {"sku": "A1", "title": 'Sofa, "grey"\nlarge', "price": "12.5", "attrs": '{"colour":"灰"}'},
        {"sku": "A2", "title": "Chaise", "price": "", "attrs": '["x",1]'},
    ]


def test_jsonl_round_trip_keeps_types_and_unicode(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with open_writer(path) as writer:
        writer.write_many(ROWS)
    assert "灰" in path.read_text(encoding="utf-8")
    records, errors = read_all(path)
    assert errors == []
    assert fields_of(records) == ROWS


def test_parquet_round_trip_in_row_groups(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    rows = [{"i": i, "name": f"n{i}", "tags": [i], "note": None} for i in range(25)]
    with open_writer(path, row_group_size=10) as writer:
        for row in rows:
            writer.write(row)
    assert pq.ParquetFile(path).metadata.num_row_groups == 3
    records, _ = read_all(path, batch_size=7)
    assert fields_of(records) == [{**row, "tags": f"[{row['i']}]"} for row in rows]
    assert [r.row for r in records] == list(range(1, 26))


def test_text_round_trip_and_line_breaks_rejected(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    with open_writer(path) as writer:
        writer.write_many([{"text": "salon chair"}, {"text": "灰 sofa"}])
    records, _ = read_all(path)
    assert fields_of(records) == [{"text": "salon chair"}, {"text": "灰 sofa"}]
    with pytest.raises(UnencodableValue, match="line break"), open_writer(path) as writer:
        writer.write({"text": "two\nlines"})


def test_writer_on_binary_stream_does_not_close_it() -> None:
    stream = io.BytesIO()
    with open_writer(stream, fmt="csv", columns=["a", "b"]) as writer:
        writer.write_many([{"a": 1, "b": True}, {"a": dt.date(2024, 5, 1)}])
    assert not stream.closed
    assert stream.getvalue() == b"a,b\r\n1,true\r\n2024-05-01,\r\n"


def test_stream_writer_needs_a_format() -> None:
    with pytest.raises(UnsupportedFormat, match="format is required"):
        open_writer(io.BytesIO())


class _Unseekable(io.RawIOBase):
    """A write-only, non-seekable sink, like an HTTP response body."""

    def __init__(self) -> None:
        super().__init__()
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data: ReadableBuffer) -> int:
        chunk = bytes(memoryview(data))
        self.data += chunk
        return len(chunk)


def test_parquet_streams_to_an_unseekable_sink(tmp_path: Path) -> None:
    sink = _Unseekable()
    with open_writer(sink, fmt=FileFormat.PARQUET, row_group_size=2) as writer:  # type: ignore[arg-type]  # RawIOBase is a binary stream
        writer.write_many({"i": i} for i in range(5))
    path = tmp_path / "streamed.parquet"
    path.write_bytes(bytes(sink.data))
    records, _ = read_all(path)
    assert fields_of(records) == [{"i": i} for i in range(5)]


def test_failed_write_leaves_existing_target_untouched(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="export failed"):
        _write_then_fail(path, fmt=None)
    assert path.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_aborted_parquet_stream_gets_no_footer() -> None:
    stream = io.BytesIO()
    with pytest.raises(RuntimeError, match="export failed"):
        _write_then_fail(stream, fmt="parquet")
    data = stream.getvalue()
    assert data.startswith(b"PAR1")
    assert not data.endswith(b"PAR1"), "a footer would make the truncated file look valid"


def test_row_outside_columns_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ColumnMismatch, match="'extra'"):
        # columns are inferred from the rows of the first write
        _write_batches(tmp_path / "o.csv", [{"a": 1}], [{"a": 2, "extra": 3}])
    with pytest.raises(ColumnMismatch, match="'b'"):
        _write_batches(tmp_path / "o.jsonl", [{"a": 1, "b": 2}], columns=["a"])
    assert list(tmp_path.iterdir()) == []


def test_parquet_type_conflict_across_row_groups_is_unencodable(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    with pytest.raises(UnencodableValue, match="first row group"):
        _write_batches(path, [{"a": 1}, {"a": "text"}], row_group_size=1)
    assert not path.exists()


def test_jsonl_rejects_nan_naming_the_column() -> None:
    with pytest.raises(UnencodableValue, match="'score'"):
        _write_batches(io.BytesIO(), [{"id": 1, "score": float("nan")}], fmt="jsonl")


@pytest.mark.parametrize("suffix", ["csv", "jsonl", "parquet"])
def test_write_row_errors_round_trip(tmp_path: Path, suffix: str) -> None:
    errors = [
        RowError(2, None, "bad_json", "invalid JSON"),
        RowError(5, "sku", "missing_field", "missing field(s): 'sku'"),
    ]
    path = tmp_path / f"rejects.{suffix}"
    assert write_row_errors(path, errors) == 2
    records, _ = read_all(path)
    assert [str(r.fields["row"]) for r in records] == ["2", "5"]
    assert [r.fields["code"] for r in records] == ["bad_json", "missing_field"]
    assert list(records[0].fields) == ["row", "field", "code", "reason"]


def test_write_row_errors_empty_parquet_has_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "rejects.parquet"
    assert write_row_errors(path, []) == 0
    assert pq.ParquetFile(path).schema_arrow.names == ["row", "field", "code", "reason"]


def test_import_pipeline_read_map_write_rejects(tmp_path: Path) -> None:
    source = tmp_path / "products.csv"
    source.write_bytes(b"sku,product_title\nA1,Chair\nA2\nA3,T\xe9ble\nA4,Sofa\n")
    mapping = FieldMapping.parse("external_id=sku,title=product_title")
    records, errors = read_all(source, columns=mapping.sources)
    mapped = [mapping.apply(record) for record in records]
    write_row_errors(tmp_path / "rejects.csv", errors)
    rejects, _ = read_all(tmp_path / "rejects.csv")
    assert [r.fields["row"] for r in rejects] == ["2", "3"]
    assert [r.fields["code"] for r in rejects] == ["bad_row_shape", "bad_encoding"]
    assert [m.row for m in mapped] == [1, 4]


def _write_batches(
    target: Path | BinaryIO,
    *batches: Sequence[Mapping[str, object]],
    fmt: str | None = None,
    columns: Sequence[str] | None = None,
    row_group_size: int = 10_000,
) -> None:
    with open_writer(target, fmt=fmt, columns=columns, row_group_size=row_group_size) as writer:
        for batch in batches:
            writer.write_many(batch)


def _write_then_fail(target: Path | BinaryIO, *, fmt: str | None) -> None:
    with open_writer(target, fmt=fmt, row_group_size=1) as writer:
        writer.write_many([{"i": 1}, {"i": 2}])
        raise RuntimeError("export failed")
