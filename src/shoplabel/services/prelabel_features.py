"""Template features for the pre-labeller, from item texts and their embeddings.

Pair templates (matching, relevance) compare two sides: elementwise product and absolute
difference of the side embeddings, then the *comparison* features: their cosine, word
overlap, model-code matching and, for matching, the price ratio. Other templates use the
item's own embedding.

Model codes (``PSLX350H``, ``KDL-40V4100``) are the strongest signal that two listings are
the same product: on D_Product's 8,315 Abt-Buy pairs, 6,078 pairs where both sides carry a
code and neither side's code occurs in the other are 99.5% different products.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

import numpy as np
from numpy.typing import NDArray

from shoplabel.domain.item_text import ItemTexts

__all__ = [
    "CODES_DIFFER",
    "CODE_FOUND",
    "N_COMPARISON",
    "PAIR_TEMPLATES",
    "comparison_features",
    "lexical_features",
    "model_codes",
    "pair_features",
    "single_features",
]

PAIR_TEMPLATES = frozenset({"product_matching", "query_product_relevance"})
_WORD = re.compile(r"\w+")
_CODE_TOKEN = re.compile(r"[^\W_]+")
#: Lexical features per pair (see :func:`lexical_features`).
N_LEXICAL = 8
#: Trailing columns of :func:`pair_features` that compare the sides: cosine + lexical.
N_COMPARISON = 1 + N_LEXICAL
#: Columns of the comparison features: a code found in the other side, codes that differ.
CODE_FOUND = 7
CODES_DIFFER = 8
#: A model code has letters and digits and at least this many characters.
_MIN_CODE_CHARS = 4


#: Per-text results are cached: a listing recurs in many pairs and in every pre-labelling run.
_TEXT_CACHE = 1 << 16


@functools.lru_cache(maxsize=_TEXT_CACHE)
def _tokens(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.lower()))


def _jaccard(a: AbstractSet[str], b: AbstractSet[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def _price_features(prices: tuple[float | None, float | None] | None) -> tuple[float, float]:
    """(|log price ratio|, 1 if both prices are known)."""
    if prices is None or prices[0] is None or prices[1] is None:
        return 0.0, 0.0
    return abs(math.log(prices[0] / prices[1])), 1.0


@functools.lru_cache(maxsize=_TEXT_CACHE)
def _squashed(text: str) -> str:
    """Lower case, letters and digits only: ``KDL-40 V4100`` -> ``kdl40v4100``."""
    return "".join(_CODE_TOKEN.findall(text.lower()))


@functools.lru_cache(maxsize=_TEXT_CACHE)
def model_codes(text: str) -> frozenset[str]:
    """Tokens that look like model numbers: letters and digits mixed, at least 4 characters,
    hyphens and slashes inside a code ignored (``KDL-40V4100`` -> ``kdl40v4100``)."""
    joined = re.sub(r"(?<=\w)[-/.](?=\w)", "", text.lower())
    return frozenset(
        t
        for t in _CODE_TOKEN.findall(joined)
        if len(t) >= _MIN_CODE_CHARS
        and any(ch.isdigit() for ch in t)
        and any(ch.isalpha() for ch in t)
    )


def _code_features(first: str, second: str) -> tuple[float, float, float]:
    """(a code on both sides, a code of one side found inside the other side's squashed
    text, both sides carry codes and none matches)."""
    a, b = model_codes(first), model_codes(second)
    squashed_a, squashed_b = _squashed(first), _squashed(second)
    found = any(c in squashed_b for c in a) or any(c in squashed_a for c in b)
    return float(bool(a & b)), float(found), float(bool(a) and bool(b) and not found)


def lexical_features(texts: ItemTexts) -> list[float]:
    """Word overlap, model-code overlap (tokens holding a digit), share of the first side's
    words found in the second, the price features (|log ratio|, both known), and the model
    code matches (same code on both sides, a code found in the other side, codes on both
    sides that never match)."""
    if texts.pair is None:
        return [0.0] * N_LEXICAL
    a, b = (_tokens(t) for t in texts.pair)
    codes_a = {t for t in a if any(ch.isdigit() for ch in t)}
    codes_b = {t for t in b if any(ch.isdigit() for ch in t)}
    covered = len(a & b) / len(a) if a else 0.0
    return [
        _jaccard(a, b),
        _jaccard(codes_a, codes_b),
        covered,
        *_price_features(texts.prices),
        *_code_features(*texts.pair),
    ]


def pair_features(
    texts: Sequence[ItemTexts], left: NDArray[np.float32], right: NDArray[np.float32]
) -> NDArray[np.float64]:
    """Features of pair items; ``left`` and ``right`` are the side embeddings ``(n, dim)``.

    Returns:
        Shape ``(n, 2 * dim + N_COMPARISON)``: product, |difference|, then the comparison
        features (cosine, lexical features).
    """
    u = np.asarray(left, dtype=np.float64)
    v = np.asarray(right, dtype=np.float64)
    cos = (u * v).sum(axis=1, keepdims=True)
    lex = np.asarray([lexical_features(t) for t in texts], dtype=np.float64)
    return np.hstack([u * v, np.abs(u - v), cos, lex.reshape(-1, N_LEXICAL)])


def comparison_features(features: NDArray[np.float64]) -> NDArray[np.float64]:
    """The comparison columns of :func:`pair_features` output, shape ``(n, N_COMPARISON)``;
    column 0 is the cosine."""
    return features[:, -N_COMPARISON:]


def single_features(main: NDArray[np.float32]) -> NDArray[np.float64]:
    """Features of single-text items: the embedding itself, shape ``(n, dim)``."""
    return np.asarray(main, dtype=np.float64)
