"""Streaming JSON Lines parsing with per-row errors."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from shoplabel.dataprep.lines import LineSource, find_bad_bytes
from shoplabel.dataprep.rows import BAD_ENCODING, BAD_JSON, Record, RowError

__all__ = ["iter_jsonl_items"]


def iter_jsonl_items(
    lines: LineSource, *, columns: Sequence[str] | None = None
) -> Iterator[Record | RowError]:
    """Yield a record or a row error per non-blank line of a JSONL file.

    Each line must hold one JSON object. ``NaN`` and ``Infinity``, which are not JSON, are
    rejected. Blank lines are skipped but counted: ``row`` is the line number.

    Args:
        lines: The decoded lines of the file.
        columns: Keep only these keys, in this order; keys absent from an object are left out
            (objects in JSONL need not share keys; a :class:`FieldMapping` reports required
            ones as ``missing_field``). All keys when ``None``.

    Yields:
        :class:`Record` for good lines; :class:`RowError` with code ``bad_json`` or
        ``bad_encoding`` for bad ones.
    """
    for row, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        yield _parse_line(row, line, columns)


def _parse_line(row: int, line: str, columns: Sequence[str] | None) -> Record | RowError:
    bad = find_bad_bytes(line)
    if bad is not None:
        return RowError(row, None, BAD_ENCODING, bad)
    try:
        value = json.loads(line, parse_constant=_reject_constant)
    except ValueError as exc:
        return RowError(row, None, BAD_JSON, f"invalid JSON: {exc}")
    if not isinstance(value, dict):
        kind = type(value).__name__
        return RowError(row, None, BAD_JSON, f"expected a JSON object, got {kind}")
    if columns is not None:
        value = {name: value[name] for name in columns if name in value}
    return Record(row, value)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")
