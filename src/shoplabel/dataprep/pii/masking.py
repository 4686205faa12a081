"""``mask``: replace the personal data found in a text, in one of three styles."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import phonenumbers

from shoplabel.dataprep.pii.context import fold
from shoplabel.dataprep.pii.detector import detect
from shoplabel.dataprep.pii.errors import MissingMaskKey
from shoplabel.dataprep.pii.partial import partial_mask
from shoplabel.dataprep.pii.spans import KIND_TAGS, PiiKind, PiiSpan

__all__ = ["HASH_HEX_CHARS", "MaskResult", "MaskStyle", "mask", "pseudonym", "render"]

#: Hex characters of the HMAC kept in a ``hash`` tag (32 bits).
HASH_HEX_CHARS: Final = 8
_SPACES: Final = re.compile(r"\s+")


class MaskStyle(StrEnum):
    """How a finding is replaced."""

    TAG = "tag"
    """``[PHONE]``, ``[EMAIL]``, ``[ID]``, ``[CARD]``, ``[IP]``, ``[URL]``, ``[ADDRESS]``..."""
    PARTIAL = "partial"
    """Shape-preserving: ``138****5678``, ``j***@example.com``, ``**** **** **** 1234``."""
    HASH = "hash"
    """A keyed pseudonym, ``[PHONE:ab12cd34]``: the same value always gets the same tag."""


@dataclass(frozen=True, slots=True)
class MaskResult:
    """A masked text and what was masked.

    Attributes:
        text: The input with every span replaced.
        spans: The findings, with offsets into the *input* text, sorted and non-overlapping.
    """

    text: str
    spans: tuple[PiiSpan, ...]


def mask(
    text: str,
    *,
    style: MaskStyle | str = MaskStyle.TAG,
    kinds: Collection[PiiKind] | None = None,
    key: bytes | None = None,
) -> MaskResult:
    """Detect personal data in ``text`` and replace it; everything else is kept as is.

    Args:
        text: The text to mask.
        style: ``tag``, ``partial`` or ``hash`` (see :class:`MaskStyle`).
        kinds: Mask only these kinds (default: all).
        key: Secret key of the ``hash`` style (HMAC-SHA256); ignored by the other styles.

    Returns:
        The masked text and the spans found.

    Raises:
        MissingMaskKey: ``style`` is ``hash`` and ``key`` is empty or ``None``.
    """
    chosen = MaskStyle(style)
    if chosen is MaskStyle.HASH and not key:
        raise MissingMaskKey("the hash mask style needs a secret key (SHOPLABEL_PII_KEY)")
    spans = detect(text, kinds=kinds)
    return MaskResult(render(text, spans, style=chosen, key=key), spans)


def render(
    text: str, spans: Sequence[PiiSpan], *, style: MaskStyle, key: bytes | None = None
) -> str:
    """Replace already detected ``spans`` of ``text`` in one style (detect once, render in
    several styles).

    Raises:
        MissingMaskKey: ``style`` is ``hash`` and ``key`` is empty or ``None``.
    """
    if style is MaskStyle.HASH and not key:
        raise MissingMaskKey("the hash mask style needs a secret key (SHOPLABEL_PII_KEY)")
    parts: list[str] = []
    last = 0
    for span in spans:
        parts += [text[last : span.start], _replacement(span, style, key)]
        last = span.end
    parts.append(text[last:])
    return "".join(parts)


def pseudonym(kind: PiiKind, value: str, *, key: bytes) -> str:
    """The ``hash``-style tag of a value, e.g. ``[PHONE:ab12cd34]``.

    Values are normalised first (digits of phone numbers in E.164, lower-case e-mail, card
    and ID digits, canonical IP), so ``138 1234 5678`` and ``+8613812345678`` share a tag.
    """
    normal = f"{kind.value}:{_normalise(kind, fold(value))}".encode()
    digest = hmac.new(key, normal, hashlib.sha256).hexdigest()[:HASH_HEX_CHARS]
    return f"[{KIND_TAGS[kind]}:{digest}]"


def _replacement(span: PiiSpan, style: MaskStyle, key: bytes | None) -> str:
    if style is MaskStyle.TAG:
        return f"[{KIND_TAGS[span.kind]}]"
    if style is MaskStyle.PARTIAL:
        return partial_mask(span.kind, fold(span.text))
    assert key is not None  # checked by render()
    return pseudonym(span.kind, span.text, key=key)


def _normalise(kind: PiiKind, value: str) -> str:
    if kind is PiiKind.PHONE:
        return _e164(value)
    if kind in (PiiKind.BANK_CARD, PiiKind.CN_ID):
        return re.sub(r"[ -]", "", value).upper()
    if kind is PiiKind.EMAIL:
        return value.lower()
    if kind is PiiKind.IP:
        return str(ipaddress.ip_address(value))
    return _SPACES.sub(" ", value).strip()


def _e164(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return re.sub(r"[^0-9+]", "", value)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
