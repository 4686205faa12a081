"""Streaming readers: any supported file as a sequence of record batches.

Memory stays bounded by ``batch_size`` whatever the file size: CSV, TSV, JSONL and text are
read line by line in binary, Parquet one record batch at a time.

Progress for a Rich bar::

    for batch in iter_record_batches(path):
        progress.update(task, completed=batch.bytes_read, total=batch.total_bytes)
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from shoplabel.dataprep.columnar import count_parquet_rows, iter_parquet_records
from shoplabel.dataprep.delimited import iter_delimited_items
from shoplabel.dataprep.errors import MissingColumns
from shoplabel.dataprep.formats import FileFormat, detect_format
from shoplabel.dataprep.jsonl import iter_jsonl_items
from shoplabel.dataprep.lines import LineSource, iter_text_items
from shoplabel.dataprep.rows import Record, RowError

__all__ = ["RecordBatch", "count_rows", "iter_record_batches"]

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class RecordBatch:
    """A slice of a file: its good records and its rejected rows, in file order.

    Attributes:
        records: The rows that were read successfully.
        errors: The rows that were rejected, one :class:`RowError` each.
        bytes_read: Bytes of the file consumed so far, from its start (cumulative). For
            Parquet this is estimated from the share of rows read.
        total_bytes: Size of the file in bytes.
    """

    records: tuple[Record, ...]
    errors: tuple[RowError, ...]
    bytes_read: int
    total_bytes: int


def iter_record_batches(
    path: str | os.PathLike[str],
    *,
    fmt: FileFormat | str | None = None,
    batch_size: int = 5000,
    columns: Sequence[str] | None = None,
) -> Iterator[RecordBatch]:
    """Read a file lazily, yielding batches of at most ``batch_size`` rows.

    A batch holds at most ``batch_size`` rows counting both records and errors; blank lines
    are skipped and belong to no batch. Concatenating the batches gives every row of the file
    exactly once, in order. Row numbers follow :mod:`shoplabel.dataprep.rows`.

    Args:
        path: The file to read (a path: Parquet needs random access).
        fmt: Format name; detected from the suffix when ``None``.
        batch_size: Most rows per batch; must be positive.
        columns: Keep only these columns, in this order. For CSV, TSV and Parquet a missing
            column fails the whole read up front; for JSONL, absent keys are left out of each
            record; for text the only column is ``text``.

    Yields:
        Non-empty :class:`RecordBatch` values.

    Raises:
        UnsupportedFormat: The format cannot be detected or is unknown.
        InvalidHeader: A CSV/TSV header is unusable.
        MissingColumns: A requested column does not exist.
        UnreadableFile: A Parquet file is corrupt.
        ValueError: ``batch_size`` is not positive.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    file_format = detect_format(path, explicit=fmt)
    total = os.path.getsize(path)
    if file_format is FileFormat.PARQUET:
        for records, fraction in iter_parquet_records(path, batch_size=batch_size, columns=columns):
            yield RecordBatch(records, (), round(total * fraction), total)
        return
    with open(path, "rb") as stream:
        lines = LineSource(stream)
        items = _line_items(lines, file_format, columns)
        while chunk := list(islice(items, batch_size)):
            yield _batch(chunk, bytes_read=lines.bytes_read, total_bytes=total)


def count_rows(path: str | os.PathLike[str], *, fmt: FileFormat | str | None = None) -> int:
    """Cheaply count the data rows of a file, for progress bars.

    Parquet is exact (from the footer). Line formats count lines in binary chunks, minus the
    header for CSV/TSV; blank lines and lines inside multi-line quoted CSV fields are counted
    too, so the result is the last row number a reader can produce rather than the number of
    records.

    Args:
        path: The file to count.
        fmt: Format name; detected from the suffix when ``None``.

    Returns:
        The number of data rows.

    Raises:
        UnsupportedFormat: The format cannot be detected or is unknown.
        UnreadableFile: A Parquet file is corrupt.
    """
    file_format = detect_format(path, explicit=fmt)
    if file_format is FileFormat.PARQUET:
        return count_parquet_rows(path)
    n_lines = _count_lines(path)
    if file_format in (FileFormat.CSV, FileFormat.TSV):
        return max(n_lines - 1, 0)
    return n_lines


def _line_items(
    lines: LineSource, file_format: FileFormat, columns: Sequence[str] | None
) -> Iterator[Record | RowError]:
    if file_format is FileFormat.CSV:
        return iter_delimited_items(lines, delimiter=",", columns=columns)
    if file_format is FileFormat.TSV:
        return iter_delimited_items(lines, delimiter="\t", columns=columns)
    if file_format is FileFormat.JSONL:
        return iter_jsonl_items(lines, columns=columns)
    _check_text_columns(columns)
    return iter_text_items(lines)


def _check_text_columns(columns: Sequence[str] | None) -> None:
    if columns is not None and list(columns) != ["text"]:
        raise MissingColumns(
            f"text files have the single column 'text', not {list(columns)!r}",
            details={"missing": [c for c in columns if c != "text"], "available": ["text"]},
        )


def _batch(items: list[Record | RowError], *, bytes_read: int, total_bytes: int) -> RecordBatch:
    records = tuple(item for item in items if isinstance(item, Record))
    errors = tuple(item for item in items if isinstance(item, RowError))
    return RecordBatch(records, errors, bytes_read, total_bytes)


def _count_lines(path: str | os.PathLike[str]) -> int:
    n_lines = 0
    last = b"\n"
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            n_lines += chunk.count(b"\n")
            last = chunk[-1:]
    return n_lines + int(last != b"\n")
