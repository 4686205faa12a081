"""AES-256-GCM sealing: round trips, key ids, rotation, tampering, and no key material in
messages or reprs."""

from __future__ import annotations

import base64

import pytest

from shoplabel.dataprep.pii.errors import (
    DataKeyMissing,
    DataKeyUnknown,
    InvalidDataKeys,
    SealedDataInvalid,
)
from shoplabel.dataprep.pii.sealing import KEY_BYTES, NONCE_BYTES, Keyring, Sealed, generate_key

K1 = base64.urlsafe_b64encode(b"\x01" * KEY_BYTES).decode()
K2 = base64.urlsafe_b64encode(b"\x02" * KEY_BYTES).decode()
CTX = b"item:1:r0"


def test_seal_round_trip_names_the_key_and_uses_fresh_nonces() -> None:
    ring = Keyring.parse(f"k1:{K1}")
    a = ring.seal(b"13812345678", context=CTX)
    b = ring.seal(b"13812345678", context=CTX)
    assert a.key_id == "k1"
    assert a.blob != b.blob  # random nonce per seal
    assert a.blob[:NONCE_BYTES] != b.blob[:NONCE_BYTES]
    assert b"13812345678" not in a.blob
    assert ring.open(a, context=CTX) == b"13812345678"


def test_active_key_seals_and_old_keys_still_open() -> None:
    old = Keyring.parse(f"k1:{K1}").seal(b"secret", context=CTX)
    ring = Keyring.parse(f"k1:{K1},k2:{K2}", active="k2")
    assert ring.active_id == "k2"
    assert ring.open(old, context=CTX) == b"secret"
    fresh = ring.reseal(old, context=CTX)
    assert fresh.key_id == "k2"
    assert Keyring.parse(f"k2:{K2}").open(fresh, context=CTX) == b"secret"


def test_tampering_wrong_context_and_relabelled_key_fail_with_codes() -> None:
    ring = Keyring.parse(f"k1:{K1},k2:{K2}")
    sealed = ring.seal(b"secret", context=CTX)
    flipped = bytes([sealed.blob[-1] ^ 1])
    with pytest.raises(SealedDataInvalid) as e:
        ring.open(Sealed("k1", sealed.blob[:-1] + flipped), context=CTX)
    assert e.value.code == "sealed_data_invalid"
    with pytest.raises(SealedDataInvalid):
        ring.open(sealed, context=b"item:1:r1")  # copied onto another item
    with pytest.raises(SealedDataInvalid):
        ring.open(Sealed("k2", sealed.blob), context=CTX)  # key id swapped
    with pytest.raises(SealedDataInvalid):  # same id, other key bytes
        Keyring.parse(f"k1:{K2}").open(sealed, context=CTX)
    with pytest.raises(DataKeyUnknown) as unknown:
        Keyring.parse(f"k2:{K2}").open(sealed, context=CTX)
    assert unknown.value.code == "data_key_unknown"
    assert unknown.value.details == {"key_id": "k1"}


def test_missing_and_malformed_keys_never_echo_key_material() -> None:
    with pytest.raises(DataKeyMissing):
        Keyring.parse(None).seal(b"x", context=CTX)
    with pytest.raises(DataKeyMissing):
        Keyring.parse("").require_active()
    short = base64.urlsafe_b64encode(b"abc-secret-bytes").decode()
    bad_specs = [f"k1:{short}", "k1", f":{K1}", f"k1:{K1},k1:{K2}", "k 1:" + K1, "k1:@@@@"]
    for spec in bad_specs:
        with pytest.raises(InvalidDataKeys) as e:
            Keyring.parse(spec)
        assert short not in e.value.message and K1 not in e.value.message
        assert e.value.code == "invalid_data_keys"
    with pytest.raises(InvalidDataKeys):
        Keyring.parse(f"k1:{K1}", active="k9")
    ring = Keyring.parse(f"k1:{K1}")
    assert K1 not in repr(ring) and "k1" in repr(ring)
    assert "blob" not in repr(ring.seal(b"x", context=CTX))


def test_generated_keys_are_random_256_bit() -> None:
    a, b = generate_key(), generate_key()
    assert a != b
    assert len(base64.urlsafe_b64decode(a)) == KEY_BYTES
    assert Keyring.parse(f"new:{a}").active_id == "new"
