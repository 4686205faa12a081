"""The per-project masking policy: parsing, and masking a payload per audience."""

from __future__ import annotations

from typing import Any

import pytest

from shoplabel.dataprep.pii import detect
from shoplabel.dataprep.pii.errors import MissingMaskKey
from shoplabel.dataprep.pii.policy import Audience, PrivacyPolicy, mask_payload
from shoplabel.errors import InvalidSettings
from tests.pii_seed import REVIEWS, SEED, leaks

POLICY = {
    "fields": {
        "review": {"worker": "tag", "reviewer": "partial", "manager": "partial"},
        "buyer.note": {"kinds": ["phone"]},
        "chat": {"worker": "hash", "reviewer": "hash", "manager": "tag"},
    }
}


def _policy(raw: dict[str, Any]) -> PrivacyPolicy:
    policy = PrivacyPolicy.parse(raw)
    assert policy is not None
    return policy


def test_every_seeded_value_is_detected_in_the_seeded_reviews() -> None:
    found = {s.text for review in REVIEWS for s in detect(review)}
    missing = [v for values in SEED.values() for v in values if v not in found]
    assert not missing


def test_parse_defaults_and_rejects_bad_policies() -> None:
    assert PrivacyPolicy.parse(None) is None
    assert PrivacyPolicy.parse({"fields": {}}) is None
    policy = _policy({"fields": {"review": {}}})
    assert {a.value: s.value for a, s in policy.rules[0].styles.items()} == {
        "worker": "tag",
        "reviewer": "tag",
        "manager": "tag",
    }
    assert not policy.needs_hash_key
    assert _policy(POLICY).needs_hash_key
    bad: list[Any] = [
        {"fields": {"review": {"worker": "blur"}}},
        {"fields": {"review": {"admin": "tag"}}},
        {"fields": {"review": {"kinds": ["shoe_size"]}}},
        {"fields": {"review": {"kinds": []}}},
        {"fields": {"review..x": {}}},
        {"fields": {"review": "tag"}},
        {"fields": ["review"]},
        {"rules": {}},
        "review",
    ]
    for raw in bad:
        with pytest.raises(InvalidSettings) as e:
            PrivacyPolicy.parse(raw)
        assert e.value.details == {"field": "privacy"}, raw


def test_mask_payload_stores_the_worker_view_and_keeps_originals_apart() -> None:
    note = "电话13812345678，邮箱 li.lei@example.com"
    chat = ["hi", "call 13812345678"]
    payload: dict[str, Any] = {
        "review": REVIEWS[0],
        "buyer": {"note": note, "level": 3},
        "chat": chat,
        "title": "Sony WH-1000XM4",
    }
    masked = mask_payload(payload, _policy(POLICY), key=b"k")
    assert masked.payload["review"] == "质量很好，有问题打我电话[PHONE]或发邮件 [EMAIL]"
    # kinds restricts what is looked for: the e-mail in buyer.note stays.
    assert masked.payload["buyer"] == {"note": "电话[PHONE]，邮箱 li.lei@example.com", "level": 3}
    assert masked.payload["chat"][0] == "hi"
    assert masked.payload["chat"][1].startswith("call [PHONE:")
    assert masked.payload["title"] == "Sony WH-1000XM4"
    assert not leaks(str(masked.payload), ["13812345678"])
    assert masked.originals == {
        "review": payload["review"],
        "buyer.note": note,
        "chat": chat,
    }
    assert masked.views["reviewer"] == {
        "review": "质量很好，有问题打我电话138****5678或发邮件 l***@example.com"
    }
    assert masked.views["manager"]["chat"] == ["hi", "call [PHONE]"]
    assert masked.found == {"phone": 3, "email": 1}
    assert payload["buyer"] == {"note": note, "level": 3}  # input untouched


def test_nothing_found_means_nothing_sealed_and_hash_needs_a_key() -> None:
    clean = mask_payload({"review": "great sound"}, _policy(POLICY), key=b"k")
    assert (clean.originals, clean.views, clean.found) == ({}, {}, {})
    assert clean.payload == {"review": "great sound"}
    with pytest.raises(MissingMaskKey):
        mask_payload({"chat": ["13812345678"]}, _policy(POLICY), key=None)


def test_every_audience_is_a_policy_key() -> None:
    assert {a.value for a in Audience} == {"worker", "reviewer", "manager"}
