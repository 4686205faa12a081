"""File-level errors of the data preparation layer.

Per-row problems never raise: they become :class:`~shoplabel.dataprep.rows.RowError` values so
that one bad row does not stop an import. The exceptions below are for problems that make a
whole file (or a whole call) unusable. Each one keeps a stable ``code``, documented in
``docs/formats.md``.
"""

from __future__ import annotations

from shoplabel.errors import InvalidInput

__all__ = [
    "ColumnMismatch",
    "InvalidFieldMapping",
    "InvalidHeader",
    "MissingColumns",
    "UnencodableValue",
    "UnreadableFile",
    "UnsupportedFormat",
]


class UnsupportedFormat(InvalidInput):
    """The file format could not be detected from the name, or the name given is unknown."""

    code = "unsupported_format"


class InvalidHeader(InvalidInput):
    """A CSV/TSV header is unusable (duplicate column names, undecodable bytes)."""

    code = "invalid_header"


class MissingColumns(InvalidInput):
    """Columns requested from a file with a fixed schema (CSV, TSV, Parquet) do not exist."""

    code = "missing_columns"


class UnreadableFile(InvalidInput):
    """The file is not a valid file of its format (e.g. a corrupt Parquet footer)."""

    code = "unreadable_file"


class InvalidFieldMapping(InvalidInput):
    """A field mapping such as ``external_id=sku,title`` is malformed."""

    code = "invalid_field_mapping"


class ColumnMismatch(InvalidInput):
    """A row given to a writer has fields outside the writer's columns."""

    code = "column_mismatch"


class UnencodableValue(InvalidInput):
    """A value cannot be written in the target format (NaN in JSON, a Parquet type conflict)."""

    code = "unencodable_value"
