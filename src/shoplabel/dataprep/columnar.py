"""Parquet reading in record batches."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from shoplabel.dataprep.errors import MissingColumns, UnreadableFile
from shoplabel.dataprep.rows import Record

__all__ = ["count_parquet_rows", "iter_parquet_records", "open_parquet"]


def open_parquet(path: str | os.PathLike[str]) -> pq.ParquetFile:
    """Open a Parquet file, turning format errors into :class:`UnreadableFile`."""
    try:
        return pq.ParquetFile(os.fspath(path))
    except pa.ArrowInvalid as exc:
        raise UnreadableFile(f"{os.fspath(path)!r} is not a readable Parquet file: {exc}") from exc


def count_parquet_rows(path: str | os.PathLike[str]) -> int:
    """Return the number of rows from the Parquet footer, without reading any data."""
    return int(open_parquet(path).metadata.num_rows)


def iter_parquet_records(
    path: str | os.PathLike[str], *, batch_size: int, columns: Sequence[str] | None = None
) -> Iterator[tuple[tuple[Record, ...], float]]:
    """Yield the records of a Parquet file, one tuple per batch of at most ``batch_size`` rows.

    Args:
        path: The Parquet file.
        batch_size: Most rows per batch.
        columns: Keep only these columns, in this order; all columns when ``None``.

    Yields:
        ``(records, fraction)`` where ``fraction`` is the share of rows read so far, in [0, 1].

    Raises:
        UnreadableFile: The file is not Parquet.
        MissingColumns: A requested column is not in the schema.
    """
    parquet = open_parquet(path)
    names = list(parquet.schema_arrow.names)
    if columns is not None:
        missing = [name for name in columns if name not in names]
        if missing:
            raise MissingColumns(
                f"columns not in the Parquet schema: {', '.join(map(repr, missing))}",
                details={"missing": missing, "available": names},
            )
    n_rows = max(int(parquet.metadata.num_rows), 1)
    row = 0
    for batch in parquet.iter_batches(
        batch_size=batch_size, columns=None if columns is None else list(columns)
    ):
        start = row
        row += batch.num_rows
        records = tuple(
            Record(start + offset, fields)
            for offset, fields in enumerate(batch.to_pylist(), start=1)
        )
        yield records, row / n_rows
