"""Streaming CSV/TSV parsing with per-row errors.

Rows are parsed by the stdlib ``csv`` module (default dialect: ``"`` quoting with doubled
quotes, any line ending; strict, so a character after a closing quote is an error) over a
:class:`~shoplabel.dataprep.lines.LineSource`, so the file is never loaded whole and one bad
row never stops the read.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from typing import Final

from shoplabel.dataprep.errors import InvalidHeader, MissingColumns
from shoplabel.dataprep.lines import LineSource, find_bad_bytes
from shoplabel.dataprep.rows import BAD_CSV, BAD_ENCODING, BAD_ROW_SHAPE, Record, RowError

__all__ = ["FIELD_SIZE_LIMIT", "iter_delimited_items"]

FIELD_SIZE_LIMIT: Final = 128 * 1024 * 1024
"""Largest field, in characters, that the reader accepts (the stdlib default is 128 KiB)."""

_Picks = tuple[tuple[str, int], ...]


def iter_delimited_items(
    lines: LineSource, *, delimiter: str, columns: Sequence[str] | None = None
) -> Iterator[Record | RowError]:
    """Yield a record or a row error per data row of a CSV/TSV file.

    The first non-blank row is the header. Blank rows are skipped but counted (see
    :mod:`shoplabel.dataprep.rows` for row numbering). All values are strings.

    Args:
        lines: The decoded lines of the file.
        delimiter: ``","`` for CSV, ``"\\t"`` for TSV.
        columns: Keep only these columns, in this order; all columns when ``None``.

    Yields:
        :class:`Record` for good rows; :class:`RowError` with code ``bad_row_shape``,
        ``bad_encoding`` or ``bad_csv`` for bad ones.

    Raises:
        InvalidHeader: The header cannot be parsed or decoded, or repeats a column name.
        MissingColumns: A requested column is not in the header.
    """
    _raise_field_size_limit()
    # strict: a stray quote becomes a ``bad_csv`` row error instead of silently merging rows.
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    header = _read_header(reader)
    if header is None:
        return
    picks = _pick_columns(header, columns)
    row = 0
    while True:
        row += 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RowError(row, None, BAD_CSV, _parser_reason(exc))
            continue
        if values:
            yield _to_item(row, values, n_columns=len(header), picks=picks)


def _parser_reason(exc: csv.Error) -> str:
    reason = f"the CSV parser rejected the row: {exc}"
    if "unexpected end of data" in str(exc):
        reason += " (a quoted field runs to the end of the file: is a quote left unclosed?)"
    return reason


def _raise_field_size_limit() -> None:
    # The limit is process-global in the csv module; we only ever raise it, never lower it,
    # so concurrent readers cannot break each other.
    if csv.field_size_limit() < FIELD_SIZE_LIMIT:
        csv.field_size_limit(FIELD_SIZE_LIMIT)


def _read_header(reader: Iterator[list[str]]) -> tuple[str, ...] | None:
    try:
        header = next((values for values in reader if values), None)
    except csv.Error as exc:
        raise InvalidHeader(f"the header row cannot be parsed: {exc}") from exc
    if header is None:
        return None
    for name in header:
        bad = find_bad_bytes(name)
        if bad is not None:
            raise InvalidHeader(f"the header row is not valid UTF-8: {bad}")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise InvalidHeader(
            f"the header repeats column names: {', '.join(map(repr, duplicates))}",
            details={"columns": duplicates},
        )
    return tuple(header)


def _pick_columns(header: tuple[str, ...], columns: Sequence[str] | None) -> _Picks:
    if columns is None:
        return tuple((name, idx) for idx, name in enumerate(header))
    missing = [name for name in columns if name not in header]
    if missing:
        raise MissingColumns(
            f"columns not in the header: {', '.join(map(repr, missing))};"
            f" the header has: {', '.join(map(repr, header))}",
            details={"missing": missing, "available": list(header)},
        )
    return tuple((name, header.index(name)) for name in columns)


def _to_item(row: int, values: list[str], *, n_columns: int, picks: _Picks) -> Record | RowError:
    if len(values) != n_columns:
        reason = f"expected {n_columns} fields as in the header, got {len(values)}"
        if any("\n" in value for value in values):
            reason += " (a quoted field spans several lines: is a quote left unclosed?)"
        return RowError(row, None, BAD_ROW_SHAPE, reason)
    for name, idx in picks:
        bad = find_bad_bytes(values[idx])
        if bad is not None:
            return RowError(row, name, BAD_ENCODING, bad)
    return Record(row, {name: values[idx] for name, idx in picks})
