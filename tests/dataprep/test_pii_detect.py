"""The PII recognisers: one behaviour per test, near misses included."""

from __future__ import annotations

import itertools

import pytest

from shoplabel.dataprep.pii import PiiKind, PiiSpan, detect
from shoplabel.dataprep.pii.checksums import cn_id_checksum_ok, luhn_ok


def _found(text: str) -> list[tuple[str, str]]:
    return [(s.kind.value, s.text) for s in detect(text)]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("电话13812345678谢谢", "phone", "13812345678"),
        ("call +86 138-1234-5678 now", "phone", "+86 138-1234-5678"),
        ("座机010-65432109", "phone", "010-65432109"),
        ("call (415) 555-0132.", "phone", "(415) 555-0132"),
        ("UK +44 20 7946 0958", "phone", "+44 20 7946 0958"),
        ("mail a.b+c@example.co.uk!", "email", "a.b+c@example.co.uk"),
        ("身份证110105198703150021", "cn_id", "110105198703150021"),
        ("旧证440306850622311", "cn_id", "440306850622311"),
        ("card 4111 1111 1111 1111", "bank_card", "4111 1111 1111 1111"),
        ("from 203.0.113.5,", "ip", "203.0.113.5"),
        ("v6 2001:db8::ff00:42:8329", "ip", "2001:db8::ff00:42:8329"),
        (
            "see https://x.example.com/a?token=abc.",
            "url_token",
            "https://x.example.com/a?token=abc",
        ),
        ("寄到北京市朝阳区建国路88号3号楼", "address", "北京市朝阳区建国路88号3号楼"),
        ("at 12 Baker Street.", "address", "12 Baker Street"),
        ("收件人：王小明，电话", "person_name", "王小明"),
        ("Dear Ms. Emily Clark,", "person_name", "Emily Clark"),
    ],
)
def test_pii_detect_finds_each_kind(text: str, kind: str, value: str) -> None:
    assert (kind, value) in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "Sony WH-1000XM4 ¥1299.00 $399.99",
        "Samsung SM-G991B, iPhone 15 Pro Max 256GB",
        "2023-10-01 下单，2023年10月1日到货",
        "12345678901 不是手机号",
        "客服热线400-820-8820",
        "product code 4000001234567890",
        "SKU: 13812345678",
        "订单号：4111111111111111",
        "固件版本 1.2.3.4",
        "https://item.example.com/item.htm?id=623456789012",
        "Product Name: Apple Watch Series 9",
        "3 Pack External Hard Drive",
        "MAC 00:1A:2B:3C:4D:5E at 12:30:45",
    ],
)
def test_pii_detect_ignores_near_misses(text: str) -> None:
    assert detect(text) == ()


def test_pii_detect_spans_are_sorted_non_overlapping_and_exact() -> None:
    text = (
        "收件人：张三 13812345678 zhang@example.com 北京市朝阳区建国路88号 "
        "https://a.example.com/?token=1&email=b@example.com 192.168.1.1"
    )
    spans = detect(text)
    assert [s.kind for s in spans] == [
        PiiKind.PERSON_NAME,
        PiiKind.PHONE,
        PiiKind.EMAIL,
        PiiKind.ADDRESS,
        PiiKind.URL_TOKEN,
        PiiKind.IP,
    ]
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    assert all(text[s.start : s.end] == s.text for s in spans)


def test_pii_detect_longest_then_most_specific_wins() -> None:
    # Both a valid identity number and Luhn-valid with a card prefix: the ID wins the tie.
    number = "440306198506223117"
    assert cn_id_checksum_ok(number)
    assert [s.kind for s in detect(f"号码{number}")] == [PiiKind.CN_ID]
    # An e-mail whose local part is a phone number is one e-mail, not a phone.
    assert _found("13812345678@139.com") == [("email", "13812345678@139.com")]


def test_pii_detect_kinds_filter() -> None:
    text = "13812345678 zhang@example.com"
    assert _found_kinds(text, {PiiKind.EMAIL}) == ["email"]
    assert _found_kinds(text, set()) == []


def _found_kinds(text: str, kinds: set[PiiKind]) -> list[str]:
    return [s.kind.value for s in detect(text, kinds=kinds)]


def test_pii_detect_full_width_digits_keep_original_offsets() -> None:
    text = "号码１３８１２３４５６７８。"
    (span,) = detect(text)
    assert (span.kind, span.start, span.end, span.text) == (PiiKind.PHONE, 2, 13, text[2:13])


def test_pii_span_repr_hides_the_text() -> None:
    span = PiiSpan(PiiKind.PHONE, 0, 11, "13812345678")
    assert "138" not in repr(span)
    with pytest.raises(ValueError, match="bad span"):
        PiiSpan(PiiKind.PHONE, 3, 3, "")


def test_pii_checksums() -> None:
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
    assert cn_id_checksum_ok("42011119780909123X")
    assert cn_id_checksum_ok("42011119780909123x")
    assert not cn_id_checksum_ok("420111197809091230")


def test_pii_invalid_dates_and_provinces_are_not_ids() -> None:
    # Both have a correct MOD 11-2 check character.
    assert cn_id_checksum_ok("110105198702300024")
    assert detect("110105198702300024") == ()  # 30 February
    assert cn_id_checksum_ok("990105198703150025")
    assert detect("990105198703150025") == ()  # no province 99
