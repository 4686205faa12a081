"""Errors of PII masking; codes are documented in ``docs/privacy.md``."""

from __future__ import annotations

from shoplabel.errors import InvalidInput

__all__ = ["MissingMaskKey"]


class MissingMaskKey(InvalidInput):
    """The ``hash`` mask style needs a secret key and none was given."""

    code = "missing_mask_key"
