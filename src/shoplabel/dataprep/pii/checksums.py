"""Check digits and dates that tell real identifiers from look-alike numbers."""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

__all__ = ["cn_id_birth_date_ok", "cn_id_checksum_ok", "luhn_ok", "valid_date"]

# ISO 7064 MOD 11-2 weights for the first 17 digits of a resident identity number.
_CN_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_ID_CHECK: Final = "10X98765432"
# First two digits: province-level division codes (GB/T 2260).
_CN_PROVINCE: Final = re.compile(r"1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[1-3]|91")
# Birth years accepted. Fixed, not "today", so that detection is deterministic.
_MIN_YEAR: Final = 1900
_MAX_YEAR: Final = 2099


def luhn_ok(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn (mod 10) check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def cn_id_checksum_ok(number: str) -> bool:
    """Whether an 18-character identity number has the right MOD 11-2 check character."""
    total = sum(int(ch) * w for ch, w in zip(number[:17], _CN_ID_WEIGHTS, strict=True))
    return _CN_ID_CHECK[total % 11] == number[17].upper()


def valid_date(year: int, month: int, day: int) -> bool:
    """Whether the date exists in the calendar and the year is a plausible birth year."""
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return False
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def cn_id_birth_date_ok(number: str) -> bool:
    """Whether a 15- or 18-digit identity number has a known province and a real birth date."""
    if _CN_PROVINCE.fullmatch(number[:2]) is None:
        return False
    if len(number) == 18:
        return valid_date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return valid_date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
