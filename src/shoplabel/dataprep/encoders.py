"""Per-format row encoders behind :class:`~shoplabel.dataprep.writers.RecordWriter`.

Each encoder writes bytes to a binary stream and never closes it. Rows reach an encoder with
their keys already checked against the columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, BinaryIO, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from shoplabel.dataprep.cells import flatten_nested, to_cell, to_json_row
from shoplabel.dataprep.errors import ColumnMismatch, UnencodableValue
from shoplabel.dataprep.formats import FileFormat

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = ["RowEncoder", "make_encoder"]

Row = Mapping[str, object]


class RowEncoder(Protocol):
    """Writes rows of one format to a binary stream."""

    def write_rows(self, rows: Sequence[Row]) -> None:
        """Encode and write ``rows``."""

    def finish(self) -> None:
        """Write whatever the format needs at the end (header of an empty CSV, footer)."""

    def discard(self) -> None:
        """Give up: write nothing more, not even a footer."""


def make_encoder(
    stream: BinaryIO,
    *,
    fmt: FileFormat,
    columns: tuple[str, ...] | None,
    row_group_size: int,
) -> RowEncoder:
    """Build the encoder of ``fmt``; ``columns`` may be ``None`` only for JSONL."""
    if fmt is FileFormat.JSONL:
        return JsonlEncoder(stream, columns=columns)
    if columns is None:
        raise ValueError(f"{fmt} needs columns")
    if fmt is FileFormat.PARQUET:
        return ParquetEncoder(stream, columns=columns, row_group_size=row_group_size)
    if fmt is FileFormat.TEXT:
        return TextEncoder(stream, columns=columns)
    delimiter = "\t" if fmt is FileFormat.TSV else ","
    return DelimitedEncoder(stream, columns=columns, delimiter=delimiter)


class DelimitedEncoder:
    """CSV/TSV in UTF-8 without BOM, ``\\r\\n`` line ends, quoting only where needed."""

    def __init__(self, stream: BinaryIO, *, columns: tuple[str, ...], delimiter: str) -> None:
        self._stream = stream
        self._columns = columns
        self._delimiter = delimiter
        self._started = False

    def write_rows(self, rows: Sequence[Row]) -> None:
        """Encode and write ``rows``, preceded by the header on first use."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=self._delimiter)
        if not self._started:
            if self._columns:  # an export with no rows and no columns is an empty file
                writer.writerow(self._columns)
            self._started = True
        for row in rows:
            writer.writerow([to_cell(row.get(name), column=name) for name in self._columns])
        self._stream.write(buffer.getvalue().encode("utf-8"))

    def finish(self) -> None:
        """Write the header if no row was written."""
        if not self._started:
            self.write_rows(())

    def discard(self) -> None:
        """Nothing to discard: rows are written as they come."""


class JsonlEncoder:
    """One compact JSON object per line, UTF-8, ``\\n`` line ends."""

    def __init__(self, stream: BinaryIO, *, columns: tuple[str, ...] | None) -> None:
        self._stream = stream
        self._columns = columns

    def write_rows(self, rows: Sequence[Row]) -> None:
        """Encode and write ``rows``; with columns, keys follow their order (absent: null)."""
        columns = self._columns
        lines = [
            to_json_row(row if columns is None else {name: row.get(name) for name in columns})
            for row in rows
        ]
        if lines:
            self._stream.write(("\n".join(lines) + "\n").encode("utf-8"))

    def finish(self) -> None:
        """Nothing to finish."""

    def discard(self) -> None:
        """Nothing to discard: rows are written as they come."""


class TextEncoder:
    """One value per line; the single column's values must not contain line breaks."""

    def __init__(self, stream: BinaryIO, *, columns: tuple[str, ...]) -> None:
        if len(columns) != 1:
            raise ColumnMismatch(f"text files hold exactly one column, got {list(columns)!r}")
        self._stream = stream
        self._column = columns[0]

    def write_rows(self, rows: Sequence[Row]) -> None:
        """Write one line per row."""
        name = self._column
        cells = [to_cell(row.get(name), column=name) for row in rows]
        for cell in cells:
            if "\n" in cell or "\r" in cell:
                raise UnencodableValue(
                    f"a value of column {name!r} contains a line break, which a text file"
                    " cannot hold; use CSV or JSONL",
                    details={"field": name},
                )
        self._stream.write("".join(cell + "\n" for cell in cells).encode("utf-8"))

    def finish(self) -> None:
        """Nothing to finish."""

    def discard(self) -> None:
        """Nothing to discard: rows are written as they come."""


class ParquetEncoder:
    """Parquet with row groups of ``row_group_size`` rows and a schema fixed by the first one.

    The schema is inferred by pyarrow from the first row group; columns that are entirely
    null there become strings; nested values are JSON strings. Writing is sequential, so any
    writable binary stream works, but the file is only valid after :meth:`finish`.
    """

    def __init__(self, stream: BinaryIO, *, columns: tuple[str, ...], row_group_size: int) -> None:
        self._gate = _Gate(stream)
        self._columns = columns
        self._row_group_size = row_group_size
        self._pending: list[Row] = []
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    def write_rows(self, rows: Sequence[Row]) -> None:
        """Buffer ``rows`` and write every full row group."""
        self._pending.extend(rows)
        while len(self._pending) >= self._row_group_size:
            group = self._pending[: self._row_group_size]
            del self._pending[: self._row_group_size]
            self._write_group(group)

    def finish(self) -> None:
        """Write the last partial row group and the footer."""
        if self._pending or self._writer is None:
            self._write_group(self._pending)
            self._pending = []
        if self._writer is not None:
            self._writer.close()

    def discard(self) -> None:
        """Drop buffered rows and close the pyarrow writer without writing its footer."""
        self._pending = []
        self._gate.is_open = False
        if self._writer is not None:
            self._writer.close()

    def _write_group(self, rows: Sequence[Row]) -> None:
        data = {
            name: [flatten_nested(row.get(name), column=name) for row in rows]
            for name in self._columns
        }
        try:
            if self._schema is None:
                table = _first_table(data)
                self._schema = table.schema
            else:
                table = pa.Table.from_pydict(data, schema=self._schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
            raise UnencodableValue(
                f"values do not fit one Parquet column type: {exc}"
                " (the schema is inferred from the first row group)"
            ) from exc
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._gate, table.schema)
        self._writer.write_table(table, row_group_size=self._row_group_size)


class _Gate(io.RawIOBase):
    """Forwards writes to a stream until shut, so an aborted Parquet file gets no footer.

    pyarrow writes the footer whenever its writer is closed, even on garbage collection; a
    footer after partial data would make a truncated export look valid.
    """

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__()
        self._stream = stream
        self.is_open = True

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer) -> int:
        view = memoryview(data)
        if self.is_open:
            self._stream.write(view)
        return view.nbytes


def _first_table(data: dict[str, list[object]]) -> pa.Table:
    table = pa.Table.from_pydict(data)
    fields = [
        pa.field(field.name, pa.string()) if pa.types.is_null(field.type) else field
        for field in table.schema
    ]
    return table.cast(pa.schema(fields))
