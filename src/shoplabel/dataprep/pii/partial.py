"""The ``partial`` mask style: keep just enough of a value to recognise its shape.

``13812345678`` -> ``138****5678``; ``john@example.com`` -> ``j***@example.com``; a card ->
``**** **** **** 1234``; an identity number -> ``110101********1234``; an IPv4 address ->
``192.168.*.*``; a URL keeps everything but its secret values; a Chinese address keeps its
administrative units (``北京市朝阳区***``), an English one loses its digits; a name keeps its
first character (``张*``, ``J*** S****``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from types import MappingProxyType
from typing import Final

import phonenumbers

from shoplabel.dataprep.pii.contact import split_extension
from shoplabel.dataprep.pii.identifiers import card_digits
from shoplabel.dataprep.pii.network import secret_value_spans
from shoplabel.dataprep.pii.places import ADMIN_SUFFIXES
from shoplabel.dataprep.pii.spans import PiiKind

__all__ = ["partial_mask"]

_HIDDEN: Final = "***"
_INTL_PREFIX: Final = re.compile(r"^\(?(?:\+|00)")
_CJK: Final = re.compile(r"[\u4e00-\u9fff]")
_ADMIN_PREFIX: Final = re.compile(rf"^.*[{ADMIN_SUFFIXES}](?=.*?(?:路|街|道|巷|胡同|里|苑|园))")


def partial_mask(kind: PiiKind, value: str) -> str:
    """The ``partial`` rendering of one finding of ``kind`` (``value`` is already folded)."""
    return _RENDERERS[kind](value)


def _phone(value: str) -> str:
    main, extension = split_extension(value)
    return _phone_main(main) + extension


def _phone_main(value: str) -> str:
    keep_front = _kept_leading_digits(value)
    n_digits = sum(ch.isdigit() for ch in value)
    out, seen = [], 0
    for ch in value:
        if ch.isdigit():
            seen += 1
            hidden = keep_front < seen <= n_digits - 4
            out.append("*" if hidden else ch)
        else:
            out.append(ch)
    return "".join(out)


def _kept_leading_digits(value: str) -> int:
    """Country code (with ``00``), trunk ``0`` and area code, or at least 3 national digits."""
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return 3
    prefix = _INTL_PREFIX.match(value)
    kept = 0
    if prefix is not None:
        kept = len(str(number.country_code)) + (2 if prefix.group().endswith("00") else 0)
    area = phonenumbers.length_of_geographical_area_code(number)
    trunk = 1 if prefix is None and area and value.lstrip("(").startswith("0") else 0
    return kept + max(3, area + trunk)


def _email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[0]}{_HIDDEN}@{domain}"


def _card(value: str) -> str:
    digits = card_digits(value)
    n_groups = -(-(len(digits) - 4) // 4)
    return "**** " * n_groups + digits[-4:]


def _cn_id(value: str) -> str:
    digits = card_digits(value)
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def _ip(value: str) -> str:
    address = ipaddress.ip_address(value)
    if address.version == 4:
        return ".".join([*value.split(".")[:2], "*", "*"])
    return ":".join([*(g.lstrip("0") or "0" for g in address.exploded.split(":")[:2]), "*"])


def _url(value: str) -> str:
    out, last = [], 0
    for start, end in secret_value_spans(value):
        out += [value[last:start], _HIDDEN]
        last = end
    return "".join([*out, value[last:]])


def _address(value: str) -> str:
    if _CJK.search(value) is None:
        return re.sub(r"[0-9]", "*", value)
    prefix = _ADMIN_PREFIX.match(value)
    return (prefix.group() if prefix else "") + _HIDDEN


def _name(value: str) -> str:
    if _CJK.search(value):
        return value[0] + "*" * (len(value) - 1)
    return " ".join(w[0] + "*" * (len(w) - 1) for w in value.split())


_RENDERERS: Final[MappingProxyType[PiiKind, Callable[[str], str]]] = MappingProxyType(
    {
        PiiKind.EMAIL: _email,
        PiiKind.PHONE: _phone,
        PiiKind.CN_ID: _cn_id,
        PiiKind.BANK_CARD: _card,
        PiiKind.IP: _ip,
        PiiKind.URL_TOKEN: _url,
        PiiKind.ADDRESS: _address,
        PiiKind.PERSON_NAME: _name,
    }
)
