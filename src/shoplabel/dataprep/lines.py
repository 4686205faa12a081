"""Line-by-line decoding of UTF-8 files that survives bad bytes, and the plain-text reader.

Files are read in binary and split on ``b"\\n"``; each line is decoded on its own with
``errors="surrogateescape"``. Because ``\\n`` never occurs inside a multi-byte UTF-8 sequence
and undecodable bytes become lone surrogates (``\\udc80``-``\\udcff``) instead of being
dropped, line splitting and CSV quoting see exactly the characters of the file, and a bad byte
can be traced to the row and field that hold it.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import BinaryIO, Final

from shoplabel.dataprep.rows import BAD_ENCODING, Record, RowError

__all__ = ["LineSource", "find_bad_bytes", "iter_text_items"]

TEXT_FIELD: Final = "text"
_SURROGATE: Final = re.compile("[\udc80-\udcff]")


class LineSource:
    """Iterates the decoded lines of a binary stream, counting the bytes consumed.

    A UTF-8 byte-order mark at the start of the stream is dropped. Lines keep their endings,
    as the ``csv`` module expects.

    Args:
        stream: A binary stream positioned at the start of the data.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.bytes_read = 0

    def __iter__(self) -> Iterator[str]:
        first = True
        for raw in self._stream:
            self.bytes_read += len(raw)
            if first:
                first = False
                if raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8) :]
            yield raw.decode("utf-8", errors="surrogateescape")


def find_bad_bytes(text: str) -> str | None:
    """Describe the first undecodable byte in ``text``, or return ``None`` if there is none.

    Args:
        text: A string decoded with ``errors="surrogateescape"``.

    Returns:
        A phrase such as ``"invalid UTF-8 byte 0xff at character 3"``, or ``None``.
    """
    match = _SURROGATE.search(text)
    if match is None:
        return None
    byte = ord(match.group()) - 0xDC00
    return f"invalid UTF-8 byte 0x{byte:02x} at character {match.start() + 1}"


def iter_text_items(lines: LineSource) -> Iterator[Record | RowError]:
    """Yield one record per non-blank line, with the line (without its ending) as ``text``.

    Args:
        lines: The decoded lines of the file.

    Yields:
        A :class:`Record` per non-blank line, or a ``bad_encoding`` :class:`RowError`.
    """
    for row, line in enumerate(lines, start=1):
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        bad = find_bad_bytes(text)
        if bad is not None:
            yield RowError(row, TEXT_FIELD, BAD_ENCODING, bad)
        else:
            yield Record(row, {TEXT_FIELD: text})
