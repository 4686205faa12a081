"""Supported file formats and their detection from file names."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import PurePath
from types import MappingProxyType
from typing import Final

from shoplabel.dataprep.errors import UnsupportedFormat

__all__ = ["FileFormat", "detect_format"]


class FileFormat(StrEnum):
    """A tabular file format that ShopLabel reads and writes."""

    CSV = "csv"
    TSV = "tsv"
    JSONL = "jsonl"
    PARQUET = "parquet"
    TEXT = "text"


_ALIASES: Final = MappingProxyType(
    {
        "csv": FileFormat.CSV,
        "tsv": FileFormat.TSV,
        "tab": FileFormat.TSV,
        "jsonl": FileFormat.JSONL,
        "ndjson": FileFormat.JSONL,
        "json-lines": FileFormat.JSONL,
        "parquet": FileFormat.PARQUET,
        "pq": FileFormat.PARQUET,
        "text": FileFormat.TEXT,
        "txt": FileFormat.TEXT,
    }
)


def detect_format(
    path: str | os.PathLike[str], *, explicit: FileFormat | str | None = None
) -> FileFormat:
    """Return the format of ``path``, from ``explicit`` if given, else from the file suffix.

    Suffixes (case-insensitive): ``.csv``; ``.tsv``/``.tab``; ``.jsonl``/``.ndjson``/
    ``.json-lines``; ``.parquet``/``.pq``; ``.txt``. ``explicit`` accepts the same names
    without the dot, plus ``text``.

    Args:
        path: File name or path; the file need not exist.
        explicit: A format name chosen by the user, which wins over the suffix.

    Returns:
        The detected format.

    Raises:
        UnsupportedFormat: ``explicit`` is not a known name, or the suffix is unknown.
    """
    if explicit is not None:
        return _lookup(str(explicit).strip().lower().lstrip("."), origin="format name")
    suffix = PurePath(os.fspath(path)).suffix.lower().lstrip(".")
    return _lookup(suffix, origin=f"file suffix of {os.fspath(path)!r}")


def _lookup(name: str, *, origin: str) -> FileFormat:
    try:
        return _ALIASES[name]
    except KeyError:
        known = ", ".join(sorted(_ALIASES))
        shown = repr(name) if name else "(none)"
        raise UnsupportedFormat(
            f"unsupported {origin}: {shown}; known formats: {known}"
            " (compressed files are not supported; decompress first)",
            details={"format": name},
        ) from None
