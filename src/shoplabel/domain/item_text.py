"""The text a model reads for an item, per task template.

Relevance: the query and the product (title, key attributes, price). Matching: the two
listings (name, start of the description without a repeated name, price). Other templates:
their display fields. Texts are what the embedder sees; prices are kept apart as numbers for
template features.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["ItemTexts", "item_texts", "parse_price"]

#: Long descriptions are cut: the start names the product, the rest mostly repeats it.
_DESCRIPTION_CHARS = 80
_MAX_TEXT_CHARS = 600
_PRICE = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True, slots=True)
class ItemTexts:
    """``main``: one text for the whole item. ``pair``: the two sides a pair template
    compares (query/product, left/right listing). ``prices``: the two sides' prices."""

    main: str
    pair: tuple[str, str] | None = None
    prices: tuple[float | None, float | None] | None = None


def parse_price(value: object) -> float | None:
    """``"$1,299.00"`` -> 1299.0; ``None`` when no positive number is found."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value > 0 else None
    m = _PRICE.search(str(value or ""))
    if m is None:
        return None
    try:
        number = float(m.group(0).replace(",", ""))
    except ValueError:
        return None
    return number if number > 0 else None


def _flat(value: Any) -> str:
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_flat(v)}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, list | tuple):
        return ", ".join(_flat(v) for v in value)
    return "" if value is None else str(value).strip()


def _get(payload: Mapping[str, Any], path: str) -> Any:
    node: Any = payload
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _join(parts: Sequence[str]) -> str:
    return " | ".join(p for p in parts if p)[:_MAX_TEXT_CHARS]


def _without_title(description: str, title: str) -> str:
    """The description without a leading copy of the title (shops often start it so): the
    model reads new words instead of the same ones twice, and fewer tokens."""
    if title and description.lower().startswith(title.lower()):
        return description[len(title) :].lstrip(" /-|:;,.")
    return description


def _listing(side: Any, *, title_key: str) -> str:
    if not isinstance(side, Mapping):
        return _flat(side)[:_MAX_TEXT_CHARS]
    title = _flat(side.get(title_key))
    description = _without_title(_flat(side.get("description")), title)[:_DESCRIPTION_CHARS]
    return _join([title, _flat(side.get("attributes")), description])


def _matching(payload: Mapping[str, Any]) -> ItemTexts:
    left = _listing(payload.get("left"), title_key="name")
    right = _listing(payload.get("right"), title_key="name")
    prices = (parse_price(_get(payload, "left.price")), parse_price(_get(payload, "right.price")))
    return ItemTexts(main=_join([left, right]), pair=(left, right), prices=prices)


def _relevance(payload: Mapping[str, Any]) -> ItemTexts:
    query = _flat(payload.get("query"))
    product = _listing(payload.get("product"), title_key="title")
    return ItemTexts(main=_join([query, product]), pair=(query, product))


def item_texts(
    template: str, payload: Mapping[str, Any], *, display_fields: Sequence[str] = ()
) -> ItemTexts:
    """The texts of ``payload`` for ``template`` (a key of ``TEMPLATES``)."""
    if template == "product_matching":
        return _matching(payload)
    if template == "query_product_relevance":
        return _relevance(payload)
    if template == "review_sentiment":
        return ItemTexts(main=_flat(payload.get("review"))[:_MAX_TEXT_CHARS])
    if template == "search_intent":
        return ItemTexts(main=_flat(payload.get("query"))[:_MAX_TEXT_CHARS])
    if template == "product_categorisation":
        return ItemTexts(main=_listing(payload, title_key="title"))
    paths = display_fields or tuple(sorted(payload))
    return ItemTexts(main=_join([_flat(_get(payload, p)) for p in paths]))
