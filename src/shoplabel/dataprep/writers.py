"""Streaming writers for CSV, TSV, JSONL, Parquet and text, to a file path or a binary stream.

* **Path targets** are written to a temporary file next to the target and renamed over it on a
  successful close, so a failed export never leaves a half-written file behind.
* **Stream targets** (e.g. an HTTP response body) receive bytes as rows arrive; the writer
  never closes the stream. Parquet also streams, since pyarrow writes sequentially and needs
  no ``seek``, but a Parquet file is only readable once the writer is closed (the footer
  comes last), so a failure mid-way leaves the receiver with an unreadable file.
* **Columns**: when ``columns`` is ``None`` they are taken from the keys of the first rows
  written (first-seen order) for CSV, TSV, Parquet and text; JSONL then writes each row as
  is. A row with a key outside the columns raises :class:`ColumnMismatch` (data is never
  dropped silently); a missing key is written as empty/null.
* Cell encoding rules are in :mod:`shoplabel.dataprep.cells`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Final, Self

from shoplabel.dataprep.encoders import RowEncoder, make_encoder
from shoplabel.dataprep.errors import ColumnMismatch, UnsupportedFormat
from shoplabel.dataprep.formats import FileFormat, detect_format
from shoplabel.dataprep.rows import RowError

__all__ = ["ROW_ERROR_COLUMNS", "RecordWriter", "open_writer", "write_row_errors"]

ROW_ERROR_COLUMNS: Final = ("row", "field", "code", "reason")
_CHUNK: Final = 1000

Target = str | os.PathLike[str] | BinaryIO


class RecordWriter:
    """Writes rows to one target; use it as a context manager.

    Leaving the ``with`` block normally closes (commits) the output; leaving it with an
    exception aborts it. Build it with :func:`open_writer`.
    """

    def __init__(
        self,
        stream: BinaryIO,
        *,
        fmt: FileFormat,
        columns: Sequence[str] | None,
        row_group_size: int,
        final_path: Path | None = None,
        temp_path: Path | None = None,
    ) -> None:
        self._stream = stream
        self._fmt = fmt
        self._columns = None if columns is None else tuple(columns)
        self._row_group_size = row_group_size
        self._final_path = final_path
        self._temp_path = temp_path
        self._encoder: RowEncoder | None = None
        self._closed = False
        self.rows_written = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def write_many(self, rows: Iterable[Mapping[str, object]]) -> None:
        """Write ``rows``, consuming the iterable lazily in chunks.

        Raises:
            ColumnMismatch: A row has a key outside the writer's columns.
            UnencodableValue: A value cannot be written in this format.
            ValueError: The writer is closed.
        """
        if self._closed:
            raise ValueError("write to a closed RecordWriter")
        iterator = iter(rows)
        while chunk := list(islice(iterator, _CHUNK)):
            encoder = self._encoder_for(chunk)
            self._check_keys(chunk)
            encoder.write_rows(chunk)
            self.rows_written += len(chunk)

    def write(self, row: Mapping[str, object]) -> None:
        """Write one row (prefer :meth:`write_many` for many rows)."""
        self.write_many((row,))

    def close(self) -> None:
        """Finish the output; a path target is then atomically moved into place."""
        if self._closed:
            return
        try:
            self._encoder_for(()).finish()
        except BaseException:
            self.abort()
            raise
        self._closed = True
        if self._final_path is not None and self._temp_path is not None:
            self._stream.close()
            os.replace(self._temp_path, self._final_path)

    def abort(self) -> None:
        """Stop writing; a path target's temporary file is deleted and the target untouched."""
        if self._closed:
            return
        self._closed = True
        if self._encoder is not None:
            self._encoder.discard()
        if self._temp_path is not None:
            self._stream.close()
            with contextlib.suppress(FileNotFoundError):
                self._temp_path.unlink()

    def _encoder_for(self, chunk: Sequence[Mapping[str, object]]) -> RowEncoder:
        if self._encoder is None:
            if self._columns is None and self._fmt is not FileFormat.JSONL:
                self._columns = tuple(dict.fromkeys(key for row in chunk for key in row))
            self._encoder = make_encoder(
                self._stream,
                fmt=self._fmt,
                columns=self._columns,
                row_group_size=self._row_group_size,
            )
        return self._encoder

    def _check_keys(self, chunk: Sequence[Mapping[str, object]]) -> None:
        if self._columns is None:
            return
        allowed = set(self._columns)
        for row in chunk:
            extra = row.keys() - allowed
            if extra:
                names = ", ".join(map(repr, sorted(extra)))
                raise ColumnMismatch(
                    f"row {self.rows_written + 1} of the output has fields outside the"
                    f" columns {list(self._columns)!r}: {names}",
                    details={"extra": sorted(extra)},
                )


def open_writer(
    target: Target,
    *,
    fmt: FileFormat | str | None = None,
    columns: Sequence[str] | None = None,
    row_group_size: int = 10_000,
) -> RecordWriter:
    """Open a streaming writer on a file path or a writable binary stream.

    Args:
        target: A file path (written atomically) or a binary stream (never closed here).
        fmt: Format name; for a path, detected from its suffix when ``None``.
        columns: Output columns in order; inferred from the first rows when ``None``.
        row_group_size: Rows per Parquet row group (other formats ignore it).

    Returns:
        A :class:`RecordWriter`, to be used as a context manager.

    Raises:
        UnsupportedFormat: ``fmt`` is unknown, or ``None`` with a stream target.
        ValueError: ``row_group_size`` is not positive.
    """
    if row_group_size < 1:
        raise ValueError(f"row_group_size must be positive, got {row_group_size}")
    if isinstance(target, str | os.PathLike):
        path = Path(target)
        file_format = detect_format(path, explicit=fmt)
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        return RecordWriter(
            os.fdopen(fd, "wb"),
            fmt=file_format,
            columns=columns,
            row_group_size=row_group_size,
            final_path=path,
            temp_path=Path(temp_name),
        )
    if fmt is None:
        raise UnsupportedFormat("a format is required when writing to a stream")
    return RecordWriter(
        target, fmt=detect_format("", explicit=fmt), columns=columns, row_group_size=row_group_size
    )


def write_row_errors(
    target: Target, errors: Iterable[RowError], *, fmt: FileFormat | str | None = None
) -> int:
    """Write a rejects file with the columns ``row``, ``field``, ``code``, ``reason``.

    Args:
        target: A file path or a writable binary stream, as for :func:`open_writer`.
        errors: The row errors, written in the order given.
        fmt: Format name; for a path, detected from its suffix when ``None``.

    Returns:
        The number of errors written.
    """
    with open_writer(target, fmt=fmt, columns=ROW_ERROR_COLUMNS) as writer:
        writer.write_many(_error_rows(errors))
    return writer.rows_written


def _error_rows(errors: Iterable[RowError]) -> Iterator[dict[str, object]]:
    for error in errors:
        yield error.to_dict()
