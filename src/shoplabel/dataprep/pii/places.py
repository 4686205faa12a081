"""Street addresses, Chinese and English, recognised by their structure.

Chinese: optional administrative units (省/市/区/县/镇/街道...), then a road with a door number
(``建国路88号``, ``长乐路123弄4号``) or a residential compound with a building
(``阳光花园5栋``), then optional building / unit / room (``3号楼2单元501室``). English: a
house number, capitalised street name words and a street suffix (``123 Main St``), with
optional apartment and ``, City, ST 12345``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from shoplabel.dataprep.pii.spans import PiiKind, PiiSpan

__all__ = ["ADMIN_SUFFIXES", "find_addresses"]

# Characters that never belong to a place name but often lead into one ("寄到", "住在", "地址").
_STOP: Final = "到在往是为址住寄送发我的请改于和与或给从至向把这那换回收"
_NAME: Final = rf"(?:(?![{_STOP}])[\u4e00-\u9fff])"  # the first unit: no lead-in words
_ANY: Final = r"[\u4e00-\u9fff]"  # later units: "美的大道", "颐和园路" are fine
_START: Final = rf"(?:(?<![\u4e00-\u9fff])|(?<=[{_STOP}]))"
#: Suffixes of administrative units, kept by the ``partial`` mask style.
ADMIN_SUFFIXES: Final = "省市区县旗州盟镇乡"
_ADMIN: Final = r"{name}{{1,7}}?(?:省|自治区|特别行政区|市|自治州|地区|盟|区|县|旗|镇|乡|街道) ?"
_ROAD: Final = (
    r"{name}{{1,8}}?(?:路|街|大道|大街|巷|胡同|里|道)(?:[东南西北中一二三四五六七八九十]{{1,2}}段)?"
)
_DOOR: Final = r"[0-9]{1,5}(?:[-之][0-9]{1,4})?(?:号院|号|弄(?:[0-9]{1,4}号)?)"
_COMPOUND: Final = r"{name}{{1,8}}?(?:小区|花园|公寓|家园|苑|新村|大厦|广场|公馆|府)"
_BUILDING: Final = r"[0-9A-Za-z]{1,4}(?:号楼|栋|幢|座)"


def _core(name: str) -> str:
    """A road with a door number, or a compound with a building; ``name`` is its name class."""
    road, compound = _ROAD.format(name=name), _COMPOUND.format(name=name)
    return rf"(?:{road} ?{_DOOR}|{compound} ?{_BUILDING})"


_TAIL: Final = (
    rf"(?: ?{_COMPOUND.format(name=_ANY)})?(?: ?{_BUILDING})?(?: ?[0-9]{{1,2}}单元)?"
    r"(?: ?[0-9A-Za-z]{0,2}[0-9]{2,5}(?:室|房|号)?(?![0-9]))?"
)
_CN_ADDRESS: Final = re.compile(
    rf"{_START}(?:{_ADMIN.format(name=_NAME)}(?:{_ADMIN.format(name=_ANY)}){{0,4}}{_core(_ANY)}"
    rf"|{_core(_NAME)}){_TAIL}"
)
# Provinces and large cities: an address that contains one starts there, whatever precedes.
_KNOWN_PLACES: Final = re.compile(
    "北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北"
    "|湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门"
    "|广州|深圳|杭州|南京|苏州|成都|武汉|西安|长沙|郑州|青岛|厦门|宁波|合肥|济南|沈阳|大连"
    "|哈尔滨|长春|昆明|福州|无锡|东莞|佛山|珠海|石家庄|太原|南昌|南宁|贵阳|兰州|乌鲁木齐"
)

_EN_SUFFIX: Final = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl"
    r"|Terrace|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Square|Sq|Loop|Alley|Row)"
)
# Words that turn "2 External Hard Drive" or "3 Pack Way" into a product, not a street.
_EN_NOT_STREET: Final = (
    r"(?!(?:Hard|Flash|Thumb|Pen|Disk|External|Portable|Solid|State|Pack|Pcs|Piece|Pieces"
    r"|Count|Set|Sets|Star|Stars|Speed|Port|Ports|Way|Ways)\b)"
)
_EN_ADDRESS: Final = re.compile(
    r"(?<![0-9A-Za-z#$.,-])[0-9]{1,6}[A-Z]?\s+(?:[NSEW]\.?\s+)?"
    rf"(?:{_EN_NOT_STREET}[A-Z][a-z]+\s+){{1,3}}{_EN_SUFFIX}\b"
    r"(?:\.?,?\s+(?:Apt|Apartment|Suite|Ste|Unit|#)\.?\s*#?[0-9A-Za-z-]{1,6}\b)?"
    r"(?:\.?,\s*(?:[A-Z][a-z]+\s?){1,3},\s*[A-Z]{2}\s+[0-9]{5}(?:-[0-9]{4})?\b)?"
)


def find_addresses(text: str) -> Iterator[PiiSpan]:
    """Chinese and English street addresses (see the module docstring for the shapes)."""
    for m in _CN_ADDRESS.finditer(text):
        start = _trim_to_known_place(m.group(), m.start())
        yield PiiSpan(PiiKind.ADDRESS, start, m.end(), text[start : m.end()])
    for m in _EN_ADDRESS.finditer(text):
        yield PiiSpan(PiiKind.ADDRESS, m.start(), m.end(), m.group())


def _trim_to_known_place(found: str, start: int) -> int:
    """Start at a province or city name that follows unrelated words inside the first unit."""
    place = _KNOWN_PLACES.search(found)
    if place is None or place.start() == 0:
        return start
    first_unit = re.search(f"[{ADMIN_SUFFIXES}]", found)
    if first_unit is not None and place.start() < first_unit.start():
        return start + place.start()
    return start
