"""Conversion of Python values to CSV cells and JSON text for the writers.

* ``None`` is an empty CSV cell and JSON ``null``.
* ``bool`` is ``true``/``false`` in CSV (as in JSON).
* ``dict``, ``list`` and ``tuple`` are JSON-encoded in CSV cells and Parquet columns.
* Dates and times are ISO 8601; ``Decimal`` and ``UUID`` use ``str``; ``bytes`` are base64.
* Non-finite floats (``NaN``, ``inf``) are not JSON: they are rejected in JSON text (JSONL
  lines, nested values) with :class:`UnencodableValue`, and written as ``nan``/``inf`` in
  plain CSV cells.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from uuid import UUID

from shoplabel.dataprep.errors import UnencodableValue

__all__ = ["flatten_nested", "to_cell", "to_json", "to_json_row"]


def to_json(value: object, *, column: str | None = None) -> str:
    """Encode ``value`` as compact JSON text (UTF-8 characters kept, not escaped).

    Args:
        value: Any JSON-compatible value, or one of the types listed in the module docstring.
        column: Column named in the error message.

    Returns:
        The JSON text.

    Raises:
        UnencodableValue: The value (or a value nested in it) cannot be JSON-encoded.
    """
    try:
        return json.dumps(
            value, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_default
        )
    except (TypeError, ValueError) as exc:
        where = f" in column {column!r}" if column is not None else ""
        raise UnencodableValue(
            f"cannot encode value{where} as JSON: {exc}", details={"field": column}
        ) from exc


def to_json_row(row: Mapping[str, object]) -> str:
    """Encode a whole row as one JSON object, naming the column that fails if one does."""
    try:
        return json.dumps(row, ensure_ascii=False, allow_nan=False, default=_default)
    except (TypeError, ValueError):
        for name, value in row.items():
            to_json(value, column=name)
        raise


def to_cell(value: object, *, column: str) -> str:
    """Render ``value`` as the text of one CSV/TSV cell.

    Args:
        value: The value to render.
        column: Column named in error messages.

    Returns:
        The cell text.

    Raises:
        UnencodableValue: A nested value cannot be JSON-encoded.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list | tuple):
        return to_json(value, column=column)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def flatten_nested(value: object, *, column: str) -> object:
    """JSON-encode ``dict``/``list``/``tuple`` values so a Parquet column keeps one type."""
    if isinstance(value, dict | list | tuple):
        return to_json(value, column=column)
    return value


def _default(value: object) -> object:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
