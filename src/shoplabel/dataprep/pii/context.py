"""Text context shared by the recognisers: width folding, token boundaries, label rules.

Every recogniser runs on :func:`fold`-ed text, which has the same length as the input, so
offsets found on it are offsets into the original text.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "DIGIT_LEFT",
    "DIGIT_RIGHT",
    "after_code_label",
    "after_version_label",
    "fold",
]

# Full-width ASCII variants (U+FF01..U+FF5E) and the ideographic space map one-to-one onto
# ASCII, so "１３８…" and "ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ" are found without changing offsets.
_FOLD: Final = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}

#: A number must not continue a word, a code or a dash-joined digit group on its left...
DIGIT_LEFT: Final = r"(?<![0-9A-Za-z_])(?<![0-9][-.])"
#: ...nor on its right (a full stop ending a sentence is fine, a decimal part is not).
DIGIT_RIGHT: Final = r"(?![0-9A-Za-z_])(?![-.][0-9])"

# Labels after which a long number is a product, order or shipment code, not personal data.
_CODE_LABEL: Final = re.compile(
    r"(?:sku|货号|型号|条码|条形码|商品编码|商品编号|编码|编号|订单号?|单号|运单号?|快递单号"
    r"|物流单号|发票号码?|序列号|串号|order(?:\s*(?:id|no|number))?"
    r"|tracking(?:\s*(?:id|no|number))?|model(?:\s*(?:no|number))?"
    r"|item(?:\s*(?:id|no|number))?|part(?:\s*(?:no|number))?|serial(?:\s*(?:no|number))?"
    r"|invoice(?:\s*(?:no|number))?|ean|upc|isbn|gtin|imei|mpn|asin|s/n|sn)"
    r"\.?\s*(?:[:：#]\s*)?$",
    re.IGNORECASE,
)
_VERSION_LABEL: Final = re.compile(
    r"(?:ver|version|versions|版本号?|固件|firmware|build|release|rev|revision|系统"
    r"|updated?(?: to)?|upgraded?(?: to)?|升级到?|更新到?)"
    r"\.?\s*(?:[:：]\s*)?$",
    re.IGNORECASE,
)
_WINDOW: Final = 24


def fold(text: str) -> str:
    """Map full-width ASCII variants to ASCII, keeping the length of ``text``."""
    return text.translate(_FOLD)


def after_code_label(text: str, start: int) -> bool:
    """Whether the number at ``start`` directly follows an SKU / order / model label."""
    return _CODE_LABEL.search(text[max(0, start - _WINDOW) : start]) is not None


def after_version_label(text: str, start: int) -> bool:
    """Whether the dotted number at ``start`` directly follows a version label."""
    return _VERSION_LABEL.search(text[max(0, start - _WINDOW) : start]) is not None
