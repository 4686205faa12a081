"""E-mail addresses and phone numbers (Chinese mobile and landline, international)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

import phonenumbers

from shoplabel.dataprep.pii.context import DIGIT_LEFT, DIGIT_RIGHT, after_code_label
from shoplabel.dataprep.pii.spans import PiiKind, PiiSpan

__all__ = ["find_emails", "find_phones", "split_extension"]

_EMAIL: Final = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)
_CN_PREFIX: Final = r"(?:(?:\+|00)86[ -]?|\(\+?86\)[ -]?)?"
_CN_MOBILE: Final = re.compile(
    DIGIT_LEFT + _CN_PREFIX + r"1[3-9][0-9](?:[ -]?[0-9]{4}){2}" + DIGIT_RIGHT
)
_CN_LANDLINE: Final = re.compile(
    DIGIT_LEFT
    + _CN_PREFIX
    + r"(?:\(0[1-9][0-9]{1,2}\)|0[1-9][0-9]{1,2})[ -]?(?:[0-9]{7,8}|[0-9]{3,4}[ -][0-9]{4})"
    + r"(?:(?:-|转|ext\.? ?)[0-9]{1,5})?"
    + DIGIT_RIGHT
)
# Cheap gates, so that the slow PhoneNumberMatcher runs only where it can find something.
_INTL_HINT: Final = re.compile(r"(?:\+|(?<![0-9])00)[1-9]")
_NANP_HINT: Final = re.compile(r"\(?[2-9][0-9]{2}\)?[ .-]?[2-9][0-9]{2}[ .-][0-9]{4}")
_INTL_START: Final = ("+", "00", "(+")
_EXTENSION: Final = re.compile(r"(?:-|转|ext\.? ?)[0-9]{1,5}$")
_BUSINESS_TYPES: Final = frozenset(
    {
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.SHARED_COST,
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
        phonenumbers.PhoneNumberType.UAN,
    }
)


def find_emails(text: str) -> Iterator[PiiSpan]:
    """E-mail addresses: ``local@domain.tld`` with an alphabetic top-level domain."""
    for m in _EMAIL.finditer(text):
        yield PiiSpan(PiiKind.EMAIL, m.start(), m.end(), m.group())


def find_phones(text: str) -> Iterator[PiiSpan]:
    """Phone numbers that ``phonenumbers`` says are valid.

    Chinese mobile and landline numbers are found by pattern (with or without ``+86``/
    ``0086`` and separators); other countries need an international prefix (``+44 …``,
    ``0044 …``), except North American numbers written with separators (``(415) 555-0132``).
    Numbers right after an SKU / order / model label are codes, not phones; toll-free,
    shared-cost and premium business lines (400/800 hotlines, 1-800) are not personal data.
    """
    for pattern in (_CN_MOBILE, _CN_LANDLINE):
        for m in pattern.finditer(text):
            number, _ = split_extension(m.group())
            if _personal(number, "CN") and not after_code_label(text, m.start()):
                yield PiiSpan(PiiKind.PHONE, m.start(), m.end(), m.group())
    if _INTL_HINT.search(text):
        yield from _matched(text, "CN", international=True)
    if _NANP_HINT.search(text):
        yield from _matched(text, "US", international=False)


def split_extension(raw: str) -> tuple[str, str]:
    """``("028-85123456", "-808")`` for ``"028-85123456-808"``; ``(raw, "")`` without one."""
    ext = _EXTENSION.search(raw)
    if ext is not None and _personal(raw[: ext.start()], "CN"):
        return raw[: ext.start()], ext.group()
    return raw, ""


def _personal(raw: str, region: str) -> bool:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return False
    return _personal_number(number)


def _personal_number(number: phonenumbers.PhoneNumber) -> bool:
    """Valid, and not a toll-free / shared-cost / premium business line (400, 800, 1-800)."""
    return bool(phonenumbers.is_valid_number(number)) and (
        phonenumbers.number_type(number) not in _BUSINESS_TYPES
    )


def _matched(text: str, region: str, *, international: bool) -> Iterator[PiiSpan]:
    for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
        raw: str = m.raw_string
        if raw.startswith(_INTL_START) != international or after_code_label(text, m.start):
            continue
        if not _personal_number(m.number):
            continue
        if not international and (m.number.country_code != 1 or raw.isdigit()):
            continue
        yield PiiSpan(PiiKind.PHONE, m.start, m.end, raw)
