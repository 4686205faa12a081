"""The kinds of personal data the detector knows and the spans it reports."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = ["KIND_TAGS", "PiiKind", "PiiSpan"]


class PiiKind(StrEnum):
    """A kind of personal data; the value is the stable name used in reports and options."""

    EMAIL = "email"
    PHONE = "phone"
    CN_ID = "cn_id"
    BANK_CARD = "bank_card"
    IP = "ip"
    URL_TOKEN = "url_token"
    ADDRESS = "address"
    PERSON_NAME = "person_name"


#: The tag written in place of each kind by the ``tag`` and ``hash`` mask styles.
KIND_TAGS: Final = MappingProxyType(
    {
        PiiKind.EMAIL: "EMAIL",
        PiiKind.PHONE: "PHONE",
        PiiKind.CN_ID: "ID",
        PiiKind.BANK_CARD: "CARD",
        PiiKind.IP: "IP",
        PiiKind.URL_TOKEN: "URL",
        PiiKind.ADDRESS: "ADDRESS",
        PiiKind.PERSON_NAME: "NAME",
    }
)


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """One piece of personal data found in a text.

    Attributes:
        kind: What was found.
        start: Offset of the first character, in ``str`` code points.
        end: Offset one past the last character (``text[start:end]`` is the finding).
        text: The characters found. Never log or print this.
    """

    kind: PiiKind
    start: int
    end: int
    text: str

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"bad span offsets {self.start}..{self.end}")

    def __repr__(self) -> str:
        # The text is personal data: keep it out of reprs, tracebacks and logs.
        return f"PiiSpan(kind={self.kind.value!r}, start={self.start}, end={self.end})"
