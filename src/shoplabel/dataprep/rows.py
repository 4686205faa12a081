"""Records read from files and the one shared per-row error type of import reports.

Row numbering convention (used by every reader and by anyone creating a :class:`RowError`):

* ``row`` is **1-based** and counts **data rows only**. For CSV/TSV the header is not a data row,
  so ``row=1`` is the first line after the header; in a spreadsheet that shows the header on
  line 1, data row ``n`` appears on spreadsheet line ``n + 1``. A quoted field spanning several
  physical lines is still one row.
* For JSONL and text files (no header) ``row`` is the physical line number.
* Blank lines are skipped but **still counted**, so row numbers keep matching what an editor
  shows (CSV: editor line = ``row + 1`` as long as no quoted field spans lines).
* For Parquet ``row`` is the 1-based position of the row in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = [
    "BAD_CSV",
    "BAD_ENCODING",
    "BAD_JSON",
    "BAD_ROW_SHAPE",
    "MISSING_FIELD",
    "Record",
    "RowError",
]

BAD_ROW_SHAPE: Final = "bad_row_shape"
"""A CSV/TSV row has more or fewer fields than the header."""
BAD_ENCODING: Final = "bad_encoding"
"""A row contains bytes that are not valid UTF-8."""
BAD_JSON: Final = "bad_json"
"""A JSONL line is not valid JSON or is not a JSON object."""
BAD_CSV: Final = "bad_csv"
"""The CSV parser rejected a row (e.g. a field above the size limit)."""
MISSING_FIELD: Final = "missing_field"
"""A field required by a :class:`~shoplabel.dataprep.mapping.FieldMapping` is absent."""


@dataclass(frozen=True, slots=True)
class Record:
    """One data row read from a file.

    Attributes:
        row: 1-based data row number (see the module docstring for the convention).
        fields: Column name -> value. CSV/TSV/text values are ``str``; JSONL values are the
            decoded JSON values; Parquet values are what ``pyarrow`` converts them to. Stored as
            a read-only mapping.
    """

    row: int
    fields: Mapping[str, object]

    def __post_init__(self) -> None:
        if not isinstance(self.fields, MappingProxyType):
            object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one row of an input was rejected; the unit of every import report.

    Attributes:
        row: 1-based data row number (see the module docstring for the convention).
        field: The column concerned, or ``None`` when the problem is the whole row.
        code: Stable machine-readable code, e.g. ``"bad_json"``.
        reason: Human-readable sentence explaining what is wrong.
    """

    row: int
    field: str | None
    code: str
    reason: str

    def to_dict(self) -> dict[str, object]:
        """The row error as a plain mapping (rejects files, API error reports)."""
        return {"row": self.row, "field": self.field, "code": self.code, "reason": self.reason}
