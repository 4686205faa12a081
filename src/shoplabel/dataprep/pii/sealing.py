"""Sealing: AES-256-GCM encryption of the originals of masked fields, with named keys.

A :class:`Keyring` holds the configured data keys by id and encrypts with the *active* one.
Each ciphertext carries the id of its key (stored next to it) so that keys can rotate: new
data is sealed with the new key, old data stays readable while its key is configured, and
``shoplabel keys rotate`` re-seals it. The key id and a caller-given context (project and
external id of the item) are authenticated as associated data, so a ciphertext copied onto
another item, or relabelled with another key id, fails to open.

Key bytes never appear in ``repr``, messages or logs.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shoplabel.dataprep.pii.errors import (
    DataKeyMissing,
    DataKeyUnknown,
    InvalidDataKeys,
    SealedDataInvalid,
)

__all__ = ["KEY_BYTES", "NONCE_BYTES", "Keyring", "Sealed", "generate_key"]

#: AES-256.
KEY_BYTES: Final = 32
#: The 96-bit random nonce GCM is specified for; prefixed to every ciphertext.
NONCE_BYTES: Final = 12
_KEY_ID: Final = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


@dataclass(frozen=True, slots=True)
class Sealed:
    """A sealed value: the id of the key and ``nonce || ciphertext || tag``."""

    key_id: str
    blob: bytes

    def __repr__(self) -> str:
        return f"Sealed(key_id={self.key_id!r}, {len(self.blob)} bytes)"


def generate_key() -> str:
    """A fresh random 256-bit key, base64url-encoded (what ``SHOPLABEL_DATA_KEYS`` holds)."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def _decode_key(key_id: str, text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        raise InvalidDataKeys(f"data key {key_id!r} is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise InvalidDataKeys(
            f"data key {key_id!r} must be {KEY_BYTES} bytes (base64 of 32 random bytes), "
            f"got {len(raw)}"
        )
    return raw


class Keyring:
    """Named AES-256-GCM keys and the id of the one new data is sealed with.

    Args:
        keys: Key id -> 32 key bytes. Ids are 1-32 characters of letters, digits, ``_.-``.
        active: Id of the key that seals new data (default: the first one).

    Raises:
        InvalidDataKeys: a bad id, a key of the wrong size, or an unknown active id.
    """

    def __init__(self, keys: Mapping[str, bytes], *, active: str | None = None) -> None:
        for key_id, key in keys.items():
            if not _KEY_ID.match(key_id):
                raise InvalidDataKeys(
                    f"data key id {key_id!r} must be 1-32 letters, digits, '_', '.' or '-'"
                )
            if len(key) != KEY_BYTES:
                raise InvalidDataKeys(f"data key {key_id!r} must be {KEY_BYTES} bytes")
        if active is not None and active not in keys:
            raise InvalidDataKeys(
                f"active data key id {active!r} is not among the configured keys {sorted(keys)}"
            )
        self._keys = MappingProxyType({k: AESGCM(v) for k, v in keys.items()})
        self._active = active if active is not None else next(iter(keys), None)

    @classmethod
    def parse(cls, spec: str | None, *, active: str | None = None) -> Keyring:
        """Build a keyring from ``"id1:base64key,id2:base64key"`` (empty: no keys).

        Raises:
            InvalidDataKeys: a malformed entry (the message never contains key material).
        """
        keys: dict[str, bytes] = {}
        for n, entry in enumerate(filter(None, (e.strip() for e in (spec or "").split(","))), 1):
            key_id, sep, text = entry.partition(":")
            if not sep or not key_id.strip():
                raise InvalidDataKeys(f"data key entry {n} must be written 'key_id:base64key'")
            key_id = key_id.strip()
            if key_id in keys:
                raise InvalidDataKeys(f"data key id {key_id!r} is given twice")
            keys[key_id] = _decode_key(key_id, text)
        return cls(keys, active=active or None)

    @property
    def active_id(self) -> str | None:
        """Id of the key new data is sealed with; ``None`` when no key is configured."""
        return self._active

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def __repr__(self) -> str:
        return f"Keyring(ids={list(self._keys)!r}, active={self._active!r})"

    def require_active(self) -> str:
        """The active key id.

        Raises:
            DataKeyMissing: no data key is configured.
        """
        if self._active is None:
            raise DataKeyMissing(
                "this project masks personal data, so its originals are encrypted, but no data"
                " key is configured: set SHOPLABEL_DATA_KEYS (see docs/privacy.md)"
            )
        return self._active

    def seal(self, plaintext: bytes, *, context: bytes) -> Sealed:
        """Encrypt ``plaintext`` with the active key, bound to ``context``.

        Raises:
            DataKeyMissing: no data key is configured.
        """
        key_id = self.require_active()
        nonce = os.urandom(NONCE_BYTES)
        blob = self._keys[key_id].encrypt(nonce, plaintext, _aad(key_id, context))
        return Sealed(key_id, nonce + blob)

    def open(self, sealed: Sealed, *, context: bytes) -> bytes:
        """Decrypt a sealed value that was bound to ``context``.

        Raises:
            DataKeyUnknown: its key id is not configured.
            SealedDataInvalid: the data, its key id or its context were altered, or the key
                configured under that id is not the one it was sealed with.
        """
        cipher = self._keys.get(sealed.key_id)
        if cipher is None:
            raise DataKeyUnknown(
                f"the originals were encrypted with data key {sealed.key_id!r}, which is not "
                "configured (SHOPLABEL_DATA_KEYS); add it back, or restore the key",
                details={"key_id": sealed.key_id},
            )
        nonce, body = sealed.blob[:NONCE_BYTES], sealed.blob[NONCE_BYTES:]
        try:
            return cipher.decrypt(nonce, body, _aad(sealed.key_id, context))
        except InvalidTag:
            raise SealedDataInvalid(
                f"encrypted originals failed authentication with data key {sealed.key_id!r}: "
                "the stored data was altered, or that key id now holds different key bytes",
                details={"key_id": sealed.key_id},
            ) from None

    def reseal(self, sealed: Sealed, *, context: bytes) -> Sealed:
        """Open with the key it names and seal again with the active key."""
        return self.seal(self.open(sealed, context=context), context=context)


def _aad(key_id: str, context: bytes) -> bytes:
    return b"shoplabel/v1\x00" + key_id.encode("ascii") + b"\x00" + context
