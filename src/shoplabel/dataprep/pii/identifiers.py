"""Chinese resident identity numbers and bank card numbers, confirmed by their checksums."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from shoplabel.dataprep.pii.checksums import cn_id_birth_date_ok, cn_id_checksum_ok, luhn_ok
from shoplabel.dataprep.pii.context import DIGIT_LEFT, DIGIT_RIGHT, after_code_label
from shoplabel.dataprep.pii.spans import PiiKind, PiiSpan

__all__ = ["card_digits", "find_bank_cards", "find_cn_ids"]

_CN_ID_18: Final = re.compile(
    DIGIT_LEFT + r"[1-9][0-9]{5} ?(?:19|20)[0-9]{6} ?[0-9]{3}[0-9Xx]" + DIGIT_RIGHT
)
_CN_ID_15: Final = re.compile(DIGIT_LEFT + r"[1-9][0-9]{14}" + DIGIT_RIGHT)
# Card numbers: one run of 13-19 digits, or groups of 4 (Amex 4-6-5) joined by one separator.
_CARD: Final = re.compile(
    DIGIT_LEFT
    + r"(?:[0-9]{13,19}|[0-9]{4}(?P<sep>[ -])[0-9]{4}(?:(?P=sep)[0-9]{4}){1,2}"
    + r"(?:(?P=sep)[0-9]{1,3})?|[0-9]{4}[ -][0-9]{6}[ -][0-9]{5})"
    + DIGIT_RIGHT
)
# Issuer identification number prefixes of the networks seen on Chinese and Western shops:
# Visa 4, Mastercard 51-55 and 2221-2720, Amex 34/37, Diners 30/36/38, JCB 35, Discover
# 6011/64/65, UnionPay 62 and 81, Chinese bank debit cards 60 (BOC 6013) and 9558 (ICBC).
_IIN: Final = re.compile(
    r"4|5[1-5]|2(?:2[2-9]|[3-6][0-9]|7[01]|720)|3[04678]|35|60|62|64|65|81|9558"
)
_CARD_LENGTHS: Final = range(13, 20)


def find_cn_ids(text: str) -> Iterator[PiiSpan]:
    """18-digit identity numbers (MOD 11-2 check) and 15-digit legacy ones (valid date only).

    Both need a known province code and a real birth date. Like every long number, one right
    after an SKU / order / serial label is a code, not an identity number.
    """
    for m in _CN_ID_18.finditer(text):
        number = m.group().replace(" ", "")
        if (
            cn_id_checksum_ok(number)
            and cn_id_birth_date_ok(number)
            and not after_code_label(text, m.start())
        ):
            yield PiiSpan(PiiKind.CN_ID, m.start(), m.end(), m.group())
    for m in _CN_ID_15.finditer(text):
        if cn_id_birth_date_ok(m.group()) and not after_code_label(text, m.start()):
            yield PiiSpan(PiiKind.CN_ID, m.start(), m.end(), m.group())


def find_bank_cards(text: str) -> Iterator[PiiSpan]:
    """Card numbers: 13-19 digits, a known issuer prefix and a valid Luhn check digit."""
    for m in _CARD.finditer(text):
        digits = card_digits(m.group())
        if (
            len(digits) in _CARD_LENGTHS
            and _IIN.match(digits)
            and luhn_ok(digits)
            and not after_code_label(text, m.start())
        ):
            yield PiiSpan(PiiKind.BANK_CARD, m.start(), m.end(), m.group())


def card_digits(raw: str) -> str:
    """The digits of a card or identity number, without separators."""
    return raw.replace(" ", "").replace("-", "")
