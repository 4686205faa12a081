"""Pure record processing: reading, mapping and writing tabular files.

The file I/O layer needs no framework: the import/export services and the CLI call
:func:`iter_record_batches`, :class:`FieldMapping`, :func:`open_writer` and
:func:`write_row_errors`. Formats, row numbering and error codes are documented in
``docs/formats.md``.
"""

from shoplabel.dataprep.errors import (
    ColumnMismatch,
    InvalidFieldMapping,
    InvalidHeader,
    MissingColumns,
    UnencodableValue,
    UnreadableFile,
    UnsupportedFormat,
)
from shoplabel.dataprep.formats import FileFormat, detect_format
from shoplabel.dataprep.mapping import FieldMapping
from shoplabel.dataprep.readers import RecordBatch, count_rows, iter_record_batches
from shoplabel.dataprep.rows import Record, RowError
from shoplabel.dataprep.writers import (
    ROW_ERROR_COLUMNS,
    RecordWriter,
    open_writer,
    write_row_errors,
)

__all__ = [
    "ROW_ERROR_COLUMNS",
    "ColumnMismatch",
    "FieldMapping",
    "FileFormat",
    "InvalidFieldMapping",
    "InvalidHeader",
    "MissingColumns",
    "Record",
    "RecordBatch",
    "RecordWriter",
    "RowError",
    "UnencodableValue",
    "UnreadableFile",
    "UnsupportedFormat",
    "count_rows",
    "detect_format",
    "iter_record_batches",
    "open_writer",
    "write_row_errors",
]
