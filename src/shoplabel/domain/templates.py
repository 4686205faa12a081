"""E-commerce task templates: a label schema, instructions and the item fields a worker sees.

``TEMPLATES`` is a read-only literal; ``custom`` lets a requester bring any schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from shoplabel.errors import UnknownTemplate

__all__ = ["TEMPLATES", "Template", "get_template"]


@dataclass(frozen=True, slots=True)
class Template:
    """A task type: default schema, instructions, the fields shown and the fields required."""

    key: str
    title: str
    schema: Mapping[str, Any]
    instructions: str
    display_fields: tuple[str, ...]
    required_fields: tuple[str, ...]


def _labels(*rows: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"value": v, "title": t, "description": d} for v, t, d in rows]


_RELEVANCE = Template(
    key="query_product_relevance",
    title="Query-product relevance",
    schema={
        "kind": "ordinal",
        "labels": _labels(
            (
                "exact",
                "Exact",
                "The product is what the query asks for, with every stated attribute.",
            ),
            ("substitute", "Substitute", "Not what was asked but could serve instead."),
            ("complement", "Complement", "Goes with what was asked (an accessory, a part)."),
            ("irrelevant", "Irrelevant", "Unrelated to the query, or contradicts it."),
        ),
    },
    instructions=(
        "Read the search query, then the product. Grade how well the product answers the query "
        "(Exact, Substitute, Complement, Irrelevant; the ESCI scale). Judge the product as "
        "listed: title, attributes and price, not the image alone."
    ),
    display_fields=(
        "query",
        "product.title",
        "product.attributes",
        "product.price",
        "product.image_url",
        "product.description",
    ),
    required_fields=("query", "product"),
)

_MATCHING = Template(
    key="product_matching",
    title="Product matching",
    schema={
        "kind": "categorical",
        "labels": _labels(
            ("same", "Same product", "Both listings sell the identical product (same model)."),
            ("different", "Different", "Different products, models, sizes or bundles."),
        ),
    },
    instructions=(
        "Do the two listings sell exactly the same product? Compare brand, model number and "
        "variant (size, colour, capacity). A bundle and its single item are different."
    ),
    display_fields=(
        "left.name",
        "left.description",
        "left.price",
        "right.name",
        "right.description",
        "right.price",
    ),
    required_fields=("left", "right"),
)

_CATEGORY = Template(
    key="product_categorisation",
    title="Product categorisation",
    schema={
        "kind": "categorical",
        "labels": _labels(
            ("electronics", "Electronics", ""),
            ("home", "Home & kitchen", ""),
            ("fashion", "Fashion", ""),
            ("beauty", "Beauty & personal care", ""),
            ("food", "Food & grocery", ""),
            ("books", "Books & media", ""),
            ("other", "Other", "None of the above fits."),
        ),
    },
    instructions="Pick the one category the product belongs to. Use Other only when none fits.",
    display_fields=("title", "description", "attributes", "price", "image_url"),
    required_fields=("title",),
)

_ATTRIBUTES = Template(
    key="attribute_extraction",
    title="Attribute extraction",
    schema={
        "kind": "spans",
        "field": "title",
        "labels": _labels(
            ("brand", "Brand", ""),
            ("model", "Model", "Model name or number."),
            ("color", "Colour", ""),
            ("size", "Size", "Dimensions, capacity or clothing size."),
            ("material", "Material", ""),
        ),
    },
    instructions=(
        "Select each attribute mention in the product title and give it its label. Select the "
        "shortest span that names the value; spans must not overlap."
    ),
    display_fields=("title", "description"),
    required_fields=("title",),
)

_SENTIMENT = Template(
    key="review_sentiment",
    title="Review sentiment",
    schema={
        "kind": "categorical",
        "labels": _labels(
            ("positive", "Positive", "The reviewer is satisfied overall."),
            ("neutral", "Neutral", "Mixed, or no opinion expressed."),
            ("negative", "Negative", "The reviewer is dissatisfied overall."),
        ),
    },
    instructions="What is the reviewer's overall opinion of the product or service?",
    display_fields=("review", "category", "product.title"),
    required_fields=("review",),
)

_INTENT = Template(
    key="search_intent",
    title="Search intent",
    schema={
        "kind": "categorical",
        "labels": _labels(
            ("specific_product", "Specific product", "Looks for one product or model."),
            ("category_browse", "Browse a category", "Looks for a kind of product."),
            ("brand", "Brand", "Looks for a brand's products."),
            ("question", "Question", "Asks for information or help."),
            ("non_shopping", "Not shopping", "Not a shopping search."),
        ),
    },
    instructions="What does the person typing this query want to find?",
    display_fields=("query", "query_class"),
    required_fields=("query",),
)

_CUSTOM = Template(
    key="custom",
    title="Custom",
    schema={},
    instructions="",
    display_fields=(),
    required_fields=(),
)

TEMPLATES: Final[Mapping[str, Template]] = MappingProxyType(
    {
        t.key: t
        for t in (_RELEVANCE, _MATCHING, _CATEGORY, _ATTRIBUTES, _SENTIMENT, _INTENT, _CUSTOM)
    }
)


def get_template(key: str) -> Template:
    """Return the template named ``key``.

    Raises:
        UnknownTemplate: listing the known keys.
    """
    try:
        return TEMPLATES[key]
    except KeyError:
        raise UnknownTemplate(
            f"unknown template {key!r}; known: {sorted(TEMPLATES)}", details={"field": "template"}
        ) from None
