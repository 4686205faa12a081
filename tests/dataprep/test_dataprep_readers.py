import itertools
import json
import string
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoplabel.dataprep import (
    InvalidHeader,
    MissingColumns,
    Record,
    RecordBatch,
    RowError,
    UnreadableFile,
    count_rows,
    iter_record_batches,
)
from tests.dataprep.dataprep_support import fields_of, read_all

WANDS_QUERIES = Path("/work/shared/data/ecommerce/wands/dataset/query.csv")


def test_csv_reads_header_and_strips_bom(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_bytes(b'\xef\xbb\xbfsku,title\r\nA1,Chair\r\nA2,"Sofa, grey"\r\n')
    records, errors = read_all(path)
    assert errors == []
    assert records == [
        Record(1, {"sku": "A1", "title": "Chair"}),
        Record(2, {"sku": "A2", "title": "Sofa, grey"}),
    ]


def test_csv_bad_encoding_rejects_only_that_row(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_bytes(b"sku,title\nA1,caf\xc3\xa9\nA2,caf\xe9\nA3,ok\n")
    records, errors = read_all(path)
    assert fields_of(records) == [{"sku": "A1", "title": "café"}, {"sku": "A3", "title": "ok"}]
    assert [r.row for r in records] == [1, 3]
    assert errors == [RowError(2, "title", "bad_encoding", errors[0].reason)]
    assert "0xe9" in errors[0].reason


def test_csv_bad_byte_inside_multiline_quoted_field_keeps_structure(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_bytes(b'sku,title\nA1,"line one\n\xff line two"\nA2,fine\n')
    records, errors = read_all(path)
    assert [(e.row, e.field, e.code) for e in errors] == [(1, "title", "bad_encoding")]
    assert records == [Record(2, {"sku": "A2", "title": "fine"})]


def test_csv_wrong_column_counts_are_row_errors(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("a,b,c\n1,2,3\n1,2\n1,2,3,4\n4,5,6\n", encoding="utf-8")
    records, errors = read_all(path)
    assert [r.row for r in records] == [1, 4]
    assert [(e.row, e.field, e.code) for e in errors] == [
        (2, None, "bad_row_shape"),
        (3, None, "bad_row_shape"),
    ]
    assert "expected 3 fields" in errors[0].reason


def test_csv_unclosed_quote_hints_at_the_cause(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text('a,b\n0,ok\n1,"oops\n2,3\n', encoding="utf-8")
    records, errors = read_all(path)
    assert [r.row for r in records] == [1]
    assert [(e.row, e.code) for e in errors] == [(2, "bad_csv")]
    assert "unclosed" in errors[0].reason


def test_csv_stray_quote_is_a_row_error_and_reading_continues(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text('a,b\n1,18" wide\n"x"y,2\n3,4\n', encoding="utf-8")
    records, errors = read_all(path)
    assert fields_of(records) == [{"a": "1", "b": '18" wide'}, {"a": "3", "b": "4"}]
    assert [(e.row, e.code) for e in errors] == [(2, "bad_csv")]


def test_csv_multiline_field_with_wrong_shape_hints_at_quotes(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text('a,b\n"x\ny"\n', encoding="utf-8")
    _, errors = read_all(path)
    assert [(e.row, e.code) for e in errors] == [(1, "bad_row_shape")]
    assert "spans several lines" in errors[0].reason


def test_csv_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("a\n\nx\n\n\ny\n", encoding="utf-8")
    records, errors = read_all(path)
    assert errors == []
    assert [(r.row, r.fields["a"]) for r in records] == [(2, "x"), (5, "y")]


def test_csv_huge_field_is_read(tmp_path: Path) -> None:
    big = "x" * 1_000_000
    path = tmp_path / "items.csv"
    path.write_text(f'a,b\n"{big}",1\n', encoding="utf-8")
    records, errors = read_all(path)
    assert errors == []
    assert records[0].fields["a"] == big


def test_csv_column_selection_and_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    records, _ = read_all(path, columns=["c", "a"])
    assert fields_of(records) == [{"c": "3", "a": "1"}]
    with pytest.raises(MissingColumns, match="'zz'") as info:
        read_all(path, columns=["a", "zz"])
    assert info.value.code == "missing_columns"


def test_csv_duplicate_header_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("a,b,a\n1,2,3\n", encoding="utf-8")
    with pytest.raises(InvalidHeader, match="'a'"):
        read_all(path)


def test_empty_csv_yields_no_batches(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert list(iter_record_batches(path)) == []
    assert count_rows(path) == 0


def test_tsv_reads_tabs(tmp_path: Path) -> None:
    path = tmp_path / "q.tsv"
    path.write_text("id\tquery\n1\tsalon chair, black\n", encoding="utf-8")
    records, _ = read_all(path)
    assert fields_of(records) == [{"id": "1", "query": "salon chair, black"}]


def test_jsonl_bad_lines_are_row_errors_and_blank_lines_counted(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_bytes(
        b'{"sku": "A1", "n": 1}\n'
        b"\n"
        b"{not json\n"
        b"[1, 2]\n"
        b'{"n": NaN}\n'
        b'{"sku": "caf\xe9"}\n'
        b'{"sku": "A7", "tags": ["x"]}'
    )
    records, errors = read_all(path)
    assert records == [Record(1, {"sku": "A1", "n": 1}), Record(7, {"sku": "A7", "tags": ["x"]})]
    assert [(e.row, e.code) for e in errors] == [
        (3, "bad_json"),
        (4, "bad_json"),
        (5, "bad_json"),
        (6, "bad_encoding"),
    ]
    assert "expected a JSON object, got list" in errors[1].reason


def test_jsonl_columns_leave_out_absent_keys(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text('{"a": 1, "b": 2}\n{"b": 3}\n', encoding="utf-8")
    records, _ = read_all(path, columns=["a"])
    assert fields_of(records) == [{"a": 1}, {}]


def test_text_one_record_per_line(tmp_path: Path) -> None:
    path = tmp_path / "queries.txt"
    path.write_bytes(b"\xef\xbb\xbfsalon chair\r\n\r\nsmart table\n")
    records, errors = read_all(path)
    assert errors == []
    assert records == [Record(1, {"text": "salon chair"}), Record(3, {"text": "smart table"})]
    with pytest.raises(MissingColumns):
        read_all(path, columns=["query"])


def test_parquet_batches_columns_and_count(tmp_path: Path) -> None:
    path = tmp_path / "items.parquet"
    pq.write_table(pa.table({"a": list(range(10)), "b": [str(i) for i in range(10)]}), path)
    batches = list(iter_record_batches(path, batch_size=4, columns=["b"]))
    assert [len(b.records) for b in batches] == [4, 4, 2]
    assert batches[-1].records[-1] == Record(10, {"b": "9"})
    assert batches[-1].bytes_read == batches[-1].total_bytes
    assert count_rows(path) == 10
    with pytest.raises(MissingColumns):
        read_all(path, columns=["zz"])


def test_corrupt_parquet_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(UnreadableFile):
        read_all(path)


def test_bytes_read_grows_to_total(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text("".join(f'{{"i": {i}}}\n' for i in range(100)), encoding="utf-8")
    progress = [b.bytes_read for b in iter_record_batches(path, batch_size=7)]
    assert progress == sorted(progress)
    assert progress[-1] == path.stat().st_size
    assert count_rows(path) == 100


def test_count_rows_csv_excludes_header_and_handles_missing_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("a\n1\n2", encoding="utf-8")
    assert count_rows(path) == 2


def test_batch_size_must_be_positive(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="batch_size"):
        list(iter_record_batches(path, batch_size=0))


_LINES = st.one_of(
    st.dictionaries(st.text(string.ascii_letters, max_size=3), st.integers(), max_size=3).map(
        json.dumps
    ),
    st.sampled_from(["", "   ", "{oops", "[]", '"text"']),
)


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(_LINES, max_size=40), batch_size=st.integers(1, 12))
def test_batches_concatenate_to_all_rows_for_any_batch_size(
    lines: list[str], batch_size: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.jsonl"
        path.write_text("\n".join(lines), encoding="utf-8")
        whole = list(iter_record_batches(path, batch_size=len(lines) + 1))
        batches = list(iter_record_batches(path, batch_size=batch_size))
    assert all(0 < len(b.records) + len(b.errors) <= batch_size for b in batches)
    batch_rows = [sorted(_rows(b)) for b in batches]
    assert all(a[-1] < b[0] for a, b in itertools.pairwise(batch_rows))
    rows = [row for chunk in batch_rows for row in chunk]
    assert rows == [n for n, line in enumerate(lines, start=1) if line.strip()]
    assert [r for b in batches for r in b.records] == [r for b in whole for r in b.records]
    assert [e for b in batches for e in b.errors] == [e for b in whole for e in b.errors]


def _rows(batch: RecordBatch) -> list[int]:
    return [r.row for r in batch.records] + [e.row for e in batch.errors]


@pytest.mark.skipif(not WANDS_QUERIES.exists(), reason="WANDS data set not available")
def test_real_wands_queries_tab_separated_despite_csv_suffix() -> None:
    first = next(iter_record_batches(WANDS_QUERIES, fmt="tsv", batch_size=50))
    assert first.errors == ()
    assert len(first.records) == 50
    assert first.records[0] == Record(
        1, {"query_id": "0", "query": "salon chair", "query_class": "Massage Chairs"}
    )
    assert 0 < first.bytes_read < first.total_bytes
