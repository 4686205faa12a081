"""Template features for the pre-labeller, from item texts and their embeddings.

Pair templates (matching, relevance) compare two sides: elementwise product and absolute
difference of the side embeddings, their cosine, word and model-code overlap and, for
matching, the price ratio. Other templates use the item's own embedding.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from shoplabel.domain.item_text import ItemTexts

__all__ = ["PAIR_TEMPLATES", "lexical_features", "pair_features", "single_features"]

PAIR_TEMPLATES = frozenset({"product_matching", "query_product_relevance"})
_WORD = re.compile(r"\w+")


def _tokens(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _jaccard(a: set[str], b: set[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def _price_features(prices: tuple[float | None, float | None] | None) -> tuple[float, float]:
    """(|log price ratio|, 1 if both prices are known)."""
    if prices is None or prices[0] is None or prices[1] is None:
        return 0.0, 0.0
    return abs(math.log(prices[0] / prices[1])), 1.0


def lexical_features(texts: ItemTexts) -> list[float]:
    """Word overlap, model-code overlap (tokens holding a digit), share of the first side's
    words found in the second, and the price features."""
    if texts.pair is None:
        return [0.0] * 5
    a, b = (_tokens(t) for t in texts.pair)
    codes_a = {t for t in a if any(ch.isdigit() for ch in t)}
    codes_b = {t for t in b if any(ch.isdigit() for ch in t)}
    covered = len(a & b) / len(a) if a else 0.0
    return [_jaccard(a, b), _jaccard(codes_a, codes_b), covered, *_price_features(texts.prices)]


def pair_features(
    texts: Sequence[ItemTexts], left: NDArray[np.float32], right: NDArray[np.float32]
) -> NDArray[np.float64]:
    """Features of pair items; ``left`` and ``right`` are the side embeddings ``(n, dim)``.

    Returns:
        Shape ``(n, 2 * dim + 6)``: product, |difference|, cosine, lexical features.
    """
    u = np.asarray(left, dtype=np.float64)
    v = np.asarray(right, dtype=np.float64)
    cos = (u * v).sum(axis=1, keepdims=True)
    lex = np.asarray([lexical_features(t) for t in texts], dtype=np.float64).reshape(-1, 5)
    return np.hstack([u * v, np.abs(u - v), cos, lex])


def single_features(main: NDArray[np.float32]) -> NDArray[np.float64]:
    """Features of single-text items: the embedding itself, shape ``(n, dim)``."""
    return np.asarray(main, dtype=np.float64)
