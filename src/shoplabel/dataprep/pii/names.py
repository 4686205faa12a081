"""Person names, only where a label or a form of address makes them reliable.

Chinese: a surname from the common-surname list and one or two given-name characters (or
先生/女士/小姐) after a label such as ``收件人：``, ``联系人``, ``姓名：``. English: two or three
capitalised words after ``Name:``, ``Recipient:``, ``Ship to:`` ..., or a capitalised name
after ``Mr.``/``Mrs.``/``Ms.``/``Miss``. Names in free text are not detected.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from shoplabel.dataprep.pii.spans import PiiKind, PiiSpan

__all__ = ["find_person_names"]

_COMPOUND_SURNAMES: Final = "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|司徒|令狐|夏侯|端木"
_SURNAMES: Final = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦"
    "俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房"
    "滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应"
    "臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_CN_LABEL: Final = (
    r"(?:收件人|收货人|联系人|寄件人|发件人|下单人|订货人|姓名|客户姓名|买家姓名|持卡人|户名|开户名|签收人)"
    r"(?:信息)?\s*[:：]?\s*"
)
_CN_NAME: Final = re.compile(
    _CN_LABEL
    + rf"(?P<name>(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])"
    + r"(?:先生|女士|小姐|某+|[\u4e00-\u9fff]{1,2}?))"
    + r"(?![\u4e00-\u9fff](?<![电手地先女小收寄的，]))"
)
_EN_WORD: Final = r"[A-Z](?:[a-z]+|'[A-Z][a-z]+)(?:-[A-Z][a-z]+)?"
_EN_LABEL_NAME: Final = re.compile(
    r"(?<![A-Za-z])(?<![A-Za-z] )(?:Full |Customer |Recipient |Contact |Buyer |Cardholder )?"
    r"(?:Name|Recipient|Ship to|Attn|Attention|Cardholder|Contact person|Sold to|Bill to)"
    rf"\s*[:：]\s*(?P<name>{_EN_WORD}(?: {_EN_WORD}){{1,2}})\b"
)
_EN_TITLE_NAME: Final = re.compile(
    rf"\b(?:Mr|Mrs|Ms|Miss|Mx)\.?\s+(?P<name>{_EN_WORD}(?: {_EN_WORD})?)\b"
)


def find_person_names(text: str) -> Iterator[PiiSpan]:
    """Labelled Chinese names and labelled or titled English names."""
    for pattern in (_CN_NAME, _EN_LABEL_NAME, _EN_TITLE_NAME):
        for m in pattern.finditer(text):
            start, end = m.span("name")
            yield PiiSpan(PiiKind.PERSON_NAME, start, end, m.group("name"))
