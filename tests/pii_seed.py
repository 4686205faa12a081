"""A seeded set of personal data for the privacy tests, and a scanner for raw leaks.

Every value below is found by the detector (checked in ``tests/dataprep/test_pii_policy.py``),
so a masked project must never send any of them to a worker, in any spelling that keeps its
characters (separators removed, JSON or HTML escaping undone).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterable, Sequence
from typing import Final

#: kind -> raw values seeded into the reviews below.
SEED: Final = {
    "phone": ("13812345678", "+1 415-555-0132", "+86 139 1234 5678"),
    "email": ("li.lei@example.com", "anna.b@shop-mail.de"),
    "cn_id": ("11010519491231002X",),
    "bank_card": ("4111 1111 1111 1111",),
    "ip": ("192.168.31.77",),
    "url_token": ("https://shop.example.com/order?id=5&token=abc123SECRETtok",),
    "address": ("北京市朝阳区建国路88号", "1600 Pennsylvania Ave, Washington, DC 20500"),
    "person_name": ("王小明", "John Smith"),
}
SEED_VALUES: Final = tuple(v for values in SEED.values() for v in values)

REVIEWS: Final = (
    "质量很好，有问题打我电话13812345678或发邮件 li.lei@example.com",
    "收件人：王小明，地址北京市朝阳区建国路88号，身份证11010519491231002X",
    "Paid with card 4111 1111 1111 1111, call +1 415-555-0132, Ship to: John Smith",
    "login from 192.168.31.77 see https://shop.example.com/order?id=5&token=abc123SECRETtok",
    "Deliver to 1600 Pennsylvania Ave, Washington, DC 20500 please, anna.b@shop-mail.de",
    "客服说 +86 139 1234 5678 会回电，耳机 WH-1000XM4 很好",
)
GOLD: Final = ("positive", "neutral", "negative", "neutral", "positive", "positive")
_SEPARATORS: Final = re.compile(r"[\s\-().]")


def reviews_csv(*, external_ids: bool = True, gold: Sequence[object] = GOLD) -> bytes:
    """The seeded reviews as a CSV (``review``, ``category``, ``gold`` columns)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow((["external_id"] if external_ids else []) + ["review", "category", "gold"])
    for i, (review, g) in enumerate(zip(REVIEWS, gold, strict=True)):
        writer.writerow([*([f"r{i}"] if external_ids else []), review, "headphones", g])
    return out.getvalue().encode("utf-8")


def _normalised(text: str) -> tuple[str, str]:
    try:
        text = json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        text = html.unescape(text)
    return text, _SEPARATORS.sub("", text)


def leaks(text: str, values: Iterable[str] = SEED_VALUES) -> list[str]:
    """The seeded values found in ``text`` (raw, or with separators removed)."""
    raw, bare = _normalised(text)
    found = []
    for value in values:
        squeezed = _SEPARATORS.sub("", value)
        if value in raw or (len(squeezed) >= 6 and squeezed in bare):
            found.append(value)
    return found
