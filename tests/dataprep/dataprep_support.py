"""Helpers shared by the dataprep tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from shoplabel.dataprep import FileFormat, Record, RowError, iter_record_batches


def read_all(
    path: Path,
    *,
    fmt: FileFormat | str | None = None,
    batch_size: int = 5000,
    columns: Sequence[str] | None = None,
) -> tuple[list[Record], list[RowError]]:
    """Read a whole file with :func:`iter_record_batches`, for assertions."""
    records: list[Record] = []
    errors: list[RowError] = []
    for batch in iter_record_batches(path, fmt=fmt, batch_size=batch_size, columns=columns):
        records.extend(batch.records)
        errors.extend(batch.errors)
    return records, errors


def fields_of(records: Iterable[Record]) -> list[dict[str, object]]:
    """The fields of each record as plain dicts."""
    return [dict(record.fields) for record in records]
