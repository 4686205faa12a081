"""PII detection and masking: e-mail, phone, Chinese ID, bank card, IP, secret URLs,
addresses and names, found by our own recognisers (patterns + ``phonenumbers`` + checksums).

``detect(text)`` returns the spans found; ``mask(text, style=...)`` replaces them. The
recognisers, the near-miss policy and the measured precision/recall are in
``docs/privacy.md``.
"""

from shoplabel.dataprep.pii.detector import RECOGNISERS, detect
from shoplabel.dataprep.pii.errors import MissingMaskKey
from shoplabel.dataprep.pii.masking import HASH_HEX_CHARS, MaskResult, MaskStyle, mask, pseudonym
from shoplabel.dataprep.pii.spans import KIND_TAGS, PiiKind, PiiSpan

__all__ = [
    "HASH_HEX_CHARS",
    "KIND_TAGS",
    "RECOGNISERS",
    "MaskResult",
    "MaskStyle",
    "MissingMaskKey",
    "PiiKind",
    "PiiSpan",
    "detect",
    "mask",
    "pseudonym",
]
