"""Errors of PII masking and sealing; codes are documented in ``docs/privacy.md``."""

from __future__ import annotations

from shoplabel.errors import InvalidInput, ShoplabelError

__all__ = [
    "DataKeyError",
    "DataKeyMissing",
    "DataKeyUnknown",
    "InvalidDataKeys",
    "MissingMaskKey",
    "SealedDataInvalid",
]


class MissingMaskKey(InvalidInput):
    """The ``hash`` mask style needs a secret key and none was given."""

    code = "missing_mask_key"


class DataKeyError(ShoplabelError):
    """Encrypting or decrypting originals failed on the server's side (HTTP 500): a
    configuration problem or damaged data, never the caller's input."""

    code = "data_key_error"


class DataKeyMissing(DataKeyError):
    """A project masks fields but no data key is configured (``SHOPLABEL_DATA_KEYS``)."""

    code = "data_key_missing"


class DataKeyUnknown(DataKeyError):
    """Stored originals were sealed with a key id that is not configured any more."""

    code = "data_key_unknown"


class InvalidDataKeys(DataKeyError):
    """``SHOPLABEL_DATA_KEYS`` / ``SHOPLABEL_DATA_KEY_ID`` are malformed."""

    code = "invalid_data_keys"


class SealedDataInvalid(DataKeyError):
    """A ciphertext failed authentication: altered data, or a key id bound to other key bytes."""

    code = "sealed_data_invalid"
