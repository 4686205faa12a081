"""Reversible text clean-up on import: Unicode NFKC, HTML and whitespace, plus encoding checks.

Clean-up changes what workers see and what is hashed, never what is lost: the import stores the
original payload next to the cleaned one whenever clean-up changed it (``items.original``).

Steps, in order, applied to every string in a payload (nested objects and lists included):

1. HTML: tags are removed (``<br>``, ``<p>`` and ``<li>`` become a space) and entities are
   unescaped (``&amp;`` -> ``&``), only when the text holds ``<`` or ``&``.
2. Unicode NFKC: full-width Latin and digits become ASCII (``ｉＰｈｏｎｅ１５`` ->
   ``iPhone15``), compatibility forms fold (``ﬁ`` -> ``fi``); Chinese characters are unchanged.
3. Whitespace: runs of spaces, tabs, newlines and the ideographic space collapse to one space;
   leading and trailing whitespace is dropped; zero-width characters are removed.

Checks that reject a row instead (codes in ``docs/data_quality.md``):

* ``binary_data``: a NUL or other C0/C1 control character, which text never holds.
* ``field_too_long``: a string longer than the project's ``max_field_chars``.
* ``mojibake``: UTF-8 text that was once decoded as Latin-1 / Windows-1252 (``CafÃ©``); the
  reason names the repaired text.

The hot path stays cheap: an ASCII string without ``<``, ``&``, double spaces or control
characters is returned as is after one regex scan.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "BINARY_DATA",
    "FIELD_TOO_LONG",
    "MOJIBAKE",
    "CleanResult",
    "TextProblem",
    "clean_payload",
    "clean_text",
    "looks_clean",
]

BINARY_DATA: Final = "binary_data"
FIELD_TOO_LONG: Final = "field_too_long"
MOJIBAKE: Final = "mojibake"

# Anything clean-up would touch in an ASCII string: markup, control characters, runs of
# whitespace, whitespace at either end.
_ASCII_DIRTY: Final = re.compile(r"[<&\x00-\x08\x0b-\x1f\x7f]|\s\s|^\s|\s$|[\t\n\r]")
# In canonical JSON (ensure_ascii=False): markup, any escape (control characters are written
# \u0000-\u001f, \n, \t, ...), DEL, runs of spaces, and a space at either end of a string.
# Plain substring tests (in looks_clean): several times faster than a regex with alternatives.
_CONTROL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_TAG: Final = re.compile(r"<\s*(br|p|li|div|tr|td|h[1-6])\b[^>]*>|<[^<>]{0,500}>", re.IGNORECASE)
_SPACE: Final = re.compile(r"[\s\u3000\u00a0]+")
_ZERO_WIDTH: Final = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
# UTF-8 lead byte (U+00C2-U+00F4 in Latin-1) followed by a continuation byte as cp1252 shows it.
_MOJIBAKE: Final = re.compile(
    "[\u00c2-\u00f4]"
    "[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)


class TextProblem(Exception):
    """A string that cannot be cleaned: binary junk or mis-decoded text.

    Attributes:
        code: ``binary_data``, ``field_too_long`` or ``mojibake``.
        field: Dotted path of the string in the payload, when known.
        reason: A sentence naming the problem (never the text itself: it may hold PII).
    """

    def __init__(self, code: str, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.code, self.reason, self.field = code, reason, field


@dataclass(frozen=True, slots=True)
class CleanResult:
    """A cleaned payload and whether any string in it changed."""

    payload: dict[str, Any]
    changed: bool


def _check(text: str) -> None:
    # Mojibake first: UTF-8 read as Latin-1 also yields C1 control characters (U+0080-U+009F).
    if _MOJIBAKE.search(text) is not None and _repair_mojibake(text) is not None:
        raise TextProblem(
            MOJIBAKE,
            "text looks like UTF-8 decoded as Latin-1/Windows-1252 (mixed encodings);"
            " re-encode the file as UTF-8",
        )
    bad = _CONTROL.search(text)
    if bad is not None:
        raise TextProblem(
            BINARY_DATA,
            f"control character U+{ord(bad.group()):04X} at character {bad.start() + 1}:"
            " binary data, not text",
        )


def _repair_mojibake(text: str) -> str | None:
    for codec in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if fixed != text:
            return fixed
    return None


def _strip_html(text: str) -> str:
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return text


def clean_text(text: str) -> str:
    """Clean one string (HTML, NFKC, whitespace), or raise :class:`TextProblem`.

    Args:
        text: Text as read from the file.

    Returns:
        The cleaned text (the same object when nothing changed).

    Raises:
        TextProblem: The text holds control characters or mixed encodings.
    """
    if text.isascii():
        if _ASCII_DIRTY.search(text) is None:
            return text
        _check(text)
        return _SPACE.sub(" ", _strip_html(text)).strip()
    _check(text)
    out = _strip_html(text)
    if not unicodedata.is_normalized("NFKC", out):
        out = unicodedata.normalize("NFKC", out)
    out = _ZERO_WIDTH.sub("", out)
    return _SPACE.sub(" ", out).strip()


def _clean_value(value: Any, path: str, max_chars: int, clean: bool) -> Any:
    if isinstance(value, str):
        if len(value) > max_chars:
            raise TextProblem(
                FIELD_TOO_LONG,
                f"{path}: {len(value)} characters; the limit is {max_chars}",
                field=path,
            )
        try:
            return clean_text(value) if clean else value
        except TextProblem as p:
            raise TextProblem(p.code, f"{path}: {p.reason}", field=path) from None
    if isinstance(value, Mapping):
        return {k: _clean_value(v, f"{path}.{k}", max_chars, clean) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_value(v, f"{path}[{i}]", max_chars, clean) for i, v in enumerate(value)]
    return value


def looks_clean(canonical: bytes, *, max_chars: int) -> bool:
    """True when a payload's canonical JSON proves clean-up would change nothing.

    Plain ASCII without markup, escaped control characters, runs of whitespace or whitespace
    next to a quote, and no longer than ``max_chars``: then no string in it can need cleaning
    or be too long. ``False`` only means "look closer" (:func:`clean_payload`).
    """
    c = canonical
    if len(c) > max_chars or not c.isascii():
        return False
    return not (
        b"<" in c
        or b"&" in c
        or b"\\" in c
        or b"\x7f" in c
        or b"  " in c
        or b'" ' in c
        or b' "' in c
    )


def clean_payload(payload: Mapping[str, Any], *, max_chars: int, clean: bool = True) -> CleanResult:
    """Clean every string of a payload; report whether anything changed.

    Args:
        payload: The item's data (nested objects allowed).
        max_chars: Longest string accepted (an enormous field rejects the row).
        clean: ``False`` checks the lengths only (the project turned clean-up off).

    Returns:
        The cleaned payload and the ``changed`` flag (the caller keeps the original if set).

    Raises:
        TextProblem: Some string is too long, binary junk or mis-decoded; ``reason`` starts
            with its dotted field path.
    """
    cleaned = {k: _clean_value(v, k, max_chars, clean) for k, v in payload.items()}
    return CleanResult(cleaned, cleaned != payload)
