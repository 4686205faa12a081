"""Mask styles, keyed pseudonyms and invariants of ``mask``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoplabel.dataprep.pii import (
    HASH_HEX_CHARS,
    KIND_TAGS,
    MaskStyle,
    MissingMaskKey,
    PiiKind,
    PiiSpan,
    detect,
    mask,
    pseudonym,
)
from shoplabel.dataprep.pii.partial import partial_mask

KEY = b"test-key"
SAMPLE = (
    "收件人：张三，电话13812345678，邮箱john@example.com，身份证110105198703150021，"
    "卡号6222021234567894，IP 192.168.1.1，地址：北京市朝阳区建国路88号，"
    "链接 https://a.example.com/r?u=1&token=abc123 。"
)


def test_pii_mask_tag_style() -> None:
    assert mask(SAMPLE).text == (
        "收件人：[NAME]，电话[PHONE]，邮箱[EMAIL]，身份证[ID]，卡号[CARD]，IP [IP]，"
        "地址：[ADDRESS]，链接 [URL] 。"
    )


def test_pii_mask_partial_style() -> None:
    assert mask(SAMPLE, style=MaskStyle.PARTIAL).text == (
        "收件人：张*，电话138****5678，邮箱j***@example.com，身份证110105********0021，"
        "卡号**** **** **** 7894，IP 192.168.*.*，地址：北京市朝阳区***，"
        "链接 https://a.example.com/r?u=1&token=*** 。"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+86 138-1234-5678", "+86 138-****-5678"),
        ("0755-86001234", "0755-****1234"),
        ("028-85123456-808", "028-****3456-808"),
        ("(415) 555-0132", "(415) ***-0132"),
        ("3782 822463 10005", "**** **** **** 0005"),
        ("440306850622311", "440306*****2311"),
        ("2001:db8::ff00:42:8329", "2001:db8:*"),
        ("Ship to: Anna Lee", "Ship to: A*** L**"),
        ("at 456 Oak Avenue, Apt 12", "at *** Oak Avenue, Apt **"),
    ],
)
def test_pii_mask_partial_shapes(text: str, expected: str) -> None:
    assert mask(text, style="partial").text == expected


def test_pii_mask_hash_style_is_a_stable_keyed_pseudonym() -> None:
    first = mask("电话13812345678", style=MaskStyle.HASH, key=KEY).text
    again = mask("call +86 138 1234 5678", style=MaskStyle.HASH, key=KEY).text
    token = pseudonym(PiiKind.PHONE, "13812345678", key=KEY)
    assert first == f"电话{token}"
    assert again == f"call {token}"
    assert len(token) == len("[PHONE:]") + HASH_HEX_CHARS
    assert pseudonym(PiiKind.PHONE, "13812345678", key=b"other") != token
    assert pseudonym(PiiKind.PHONE, "13912345678", key=KEY) != token
    assert pseudonym(PiiKind.EMAIL, "A@Example.com", key=KEY) == pseudonym(
        PiiKind.EMAIL, "a@example.com", key=KEY
    )


@pytest.mark.parametrize("key", [None, b""])
def test_pii_mask_hash_style_needs_a_key(key: bytes | None) -> None:
    with pytest.raises(MissingMaskKey) as info:
        mask("13812345678", style="hash", key=key)
    assert info.value.code == "missing_mask_key"
    assert "138" not in info.value.message


def test_pii_mask_only_chosen_kinds() -> None:
    result = mask("13812345678 john@example.com", kinds={PiiKind.EMAIL})
    assert result.text == "13812345678 [EMAIL]"
    assert [s.kind for s in result.spans] == [PiiKind.EMAIL]


def test_pii_mask_unknown_style_is_rejected() -> None:
    with pytest.raises(ValueError, match="stars"):
        mask("x", style="stars")


# Hypothesis: texts assembled from PII, near misses and filler, joined in every way.
_FRAGMENTS = [
    "13812345678", "+86 139 1234 5678", "010-65432109", "(415) 555-0132", "+44 20 7946 0958",
    "john.doe@example.com", "李四@", "110105198703150021", "440306850622311",
    "4111 1111 1111 1111", "6222021234567894", "203.0.113.5", "2001:db8::1:2",
    "https://a.example.com/x?token=abc", "https://a.example.com/p?id=5", "北京市朝阳区建国路88号",
    "123 Main St", "收件人：", "张三", "Name: ", "John Smith", "Dear Mr. ", "Lee",
    "WH-1000XM4", "¥1299.00", "$399.99", "2023-10-01", "SKU: ", "订单号", "1.2.3.4", "版本",
    "12345678901", "4000001234567890", "很好用", "thanks", "电话", "邮箱", "地址：", "送到",
]  # fmt: skip
_SEPARATORS = ["", " ", "，", ", ", "。", "\n", ":", "-", "/"]
texts = st.lists(
    st.tuples(st.sampled_from(_FRAGMENTS), st.sampled_from(_SEPARATORS)), max_size=8
).map(lambda parts: "".join(f + s for f, s in parts))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(texts)
def test_pii_mask_tag_is_idempotent_and_leaves_no_pii(text: str) -> None:
    masked = mask(text).text
    assert mask(masked).text == masked
    assert detect(masked) == ()


def _replacement(span: PiiSpan, style: MaskStyle) -> str:
    if style is MaskStyle.TAG:
        return f"[{KIND_TAGS[span.kind]}]"
    if style is MaskStyle.PARTIAL:
        return partial_mask(span.kind, span.text)
    return pseudonym(span.kind, span.text, key=KEY)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(texts, st.sampled_from(list(MaskStyle)))
def test_pii_mask_changes_nothing_outside_spans(text: str, style: MaskStyle) -> None:
    result = mask(text, style=style, key=KEY)
    assert result.spans == detect(text)
    expected, last = [], 0
    for span in result.spans:
        expected += [text[last : span.start], _replacement(span, style)]
        last = span.end
    assert result.text == "".join([*expected, text[last:]])
