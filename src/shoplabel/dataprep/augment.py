"""Augmenting search queries for training: perturbations and LLM paraphrases.

Perturbations imitate what shoppers type:

* ``typo``: one edit inside a word: swap two adjacent characters, drop one, double one, or hit
  a neighbouring key (QWERTY, Latin letters only).
* ``swap``: two adjacent words change places (``"red dress long"``).
* ``drop``: one word of three or more is left out.
* ``synonym``: one word is replaced by one of its embedding neighbours (an injected
  :data:`Neighbours` function, e.g. :class:`EmbeddingNeighbours` over any embedder).
* ``paraphrase``: an LLM rewrites the query (an injected :class:`TextCompletion` client).

Words are whitespace tokens, so word-level perturbations need spaces (Chinese queries without
spaces get typos, synonyms of the whole query and paraphrases). Randomness comes only from the
``np.random.Generator`` passed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Augmented",
    "EmbeddingNeighbours",
    "Neighbours",
    "Perturbation",
    "TextCompletion",
    "augment_text",
    "llm_paraphrases",
    "perturb",
]

_KEYBOARD: Final = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NUMBERING: Final = re.compile(r"^\s*(?:[-*•]|\d+[.)、])\s*")

#: A word -> similar words, best first.
Neighbours = Callable[[str], Sequence[str]]


class Perturbation(StrEnum):
    TYPO = "typo"
    SWAP = "swap"
    DROP = "drop"
    SYNONYM = "synonym"
    PARAPHRASE = "paraphrase"


class TextCompletion(Protocol):
    """The one call augmentation needs from an LLM client (OpenAI-compatible or any other)."""

    def complete(self, prompt: str) -> str: ...


@dataclass(frozen=True, slots=True)
class Augmented:
    text: str
    kind: Perturbation


def _neighbour_keys() -> dict[str, str]:
    out: dict[str, str] = {}
    for row in _KEYBOARD:
        for i, ch in enumerate(row):
            out[ch] = row[max(i - 1, 0) : i] + row[i + 1 : i + 2]
    return out


_NEAR_KEYS: Final = _neighbour_keys()


def _typo(text: str, rng: np.random.Generator) -> str | None:
    spots = [i for i, ch in enumerate(text) if ch.isalnum()]
    if len(spots) < 2:
        return None
    i = spots[int(rng.integers(len(spots)))]
    op = int(rng.integers(4))
    if op == 0 and i + 1 < len(text) and text[i + 1] != text[i] and text[i + 1].isalnum():
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if op == 1:
        return text[:i] + text[i + 1 :]
    if op == 2 and text[i].lower() in _NEAR_KEYS:
        keys = _NEAR_KEYS[text[i].lower()]
        return text[:i] + keys[int(rng.integers(len(keys)))] + text[i + 1 :]
    return text[:i] + text[i] + text[i:]


def _swap(words: list[str], rng: np.random.Generator) -> str | None:
    if len(words) < 2:
        return None
    i = int(rng.integers(len(words) - 1))
    words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def _drop(words: list[str], rng: np.random.Generator) -> str | None:
    if len(words) < 3:
        return None
    del words[int(rng.integers(len(words)))]
    return " ".join(words)


def _synonym(words: list[str], rng: np.random.Generator, neighbours: Neighbours) -> str | None:
    for i in rng.permutation(len(words)):
        options = [w for w in neighbours(words[i]) if w.casefold() != words[i].casefold()]
        if options:
            words[i] = options[int(rng.integers(min(len(options), 3)))]
            return " ".join(words)
    return None


def perturb(
    text: str,
    kind: Perturbation,
    rng: np.random.Generator,
    *,
    neighbours: Neighbours | None = None,
) -> str | None:
    """One perturbation of ``text``, or ``None`` if it does not apply (too short, no synonym).

    Raises:
        ValueError: ``kind`` is ``paraphrase`` (see :func:`llm_paraphrases`) or ``synonym``
            without ``neighbours``.
    """
    words = text.split()
    if kind is Perturbation.TYPO:
        out = _typo(text, rng)
    elif kind is Perturbation.SWAP:
        out = _swap(words, rng)
    elif kind is Perturbation.DROP:
        out = _drop(words, rng)
    elif kind is Perturbation.SYNONYM and neighbours is not None:
        out = _synonym(words, rng, neighbours)
    else:
        raise ValueError(f"perturb cannot make a {kind.value!r} without its helper")
    return None if out is None or out == text else out


def llm_paraphrases(client: TextCompletion, text: str, *, n: int) -> list[str]:
    """Up to ``n`` distinct paraphrases of a query, one per line of the model's answer."""
    prompt = (
        f"Rewrite this e-commerce search query in {n} different ways a shopper might type it,"
        " same meaning and language, one per line, no numbering or comments.\n"
        f"Query: {text}"
    )
    seen = {text.casefold()}
    out = []
    for line in client.complete(prompt).splitlines():
        candidate = _NUMBERING.sub("", line).strip().strip('"')
        if candidate and candidate.casefold() not in seen:
            seen.add(candidate.casefold())
            out.append(candidate)
    return out[:n]


def augment_text(
    text: str,
    rng: np.random.Generator,
    *,
    kinds: Sequence[Perturbation],
    n: int,
    neighbours: Neighbours | None = None,
    paraphraser: TextCompletion | None = None,
) -> list[Augmented]:
    """Up to ``n`` distinct variants of ``text``, drawing kinds from ``kinds`` at random.

    ``synonym`` is skipped without ``neighbours`` and ``paraphrase`` without ``paraphraser``.
    """
    usable = [
        k
        for k in kinds
        if (k is not Perturbation.SYNONYM or neighbours is not None)
        and (k is not Perturbation.PARAPHRASE or paraphraser is not None)
    ]
    out: list[Augmented] = []
    seen = {text}
    if Perturbation.PARAPHRASE in usable and paraphraser is not None:
        for p in llm_paraphrases(paraphraser, text, n=max(1, n // 2)):
            if p not in seen:
                seen.add(p)
                out.append(Augmented(p, Perturbation.PARAPHRASE))
        usable.remove(Perturbation.PARAPHRASE)
    for _ in range(3 * n):
        if len(out) >= n or not usable:
            break
        kind = usable[int(rng.integers(len(usable)))]
        variant = perturb(text, kind, rng, neighbours=neighbours)
        if variant is not None and variant not in seen:
            seen.add(variant)
            out.append(Augmented(variant, kind))
    return out


class EmbeddingNeighbours:
    """Synonym candidates: the nearest words of a vocabulary by embedding cosine similarity.

    Args:
        embed: Texts -> vectors, shape ``(n_texts, dim)`` (any embedder).
        vocabulary: Candidate words (e.g. the words of the project's queries).
        k: Neighbours returned per word.
        min_similarity: Cosine below which a word is no synonym.
    """

    def __init__(
        self,
        embed: Callable[[Sequence[str]], NDArray[np.floating[Any]]],
        vocabulary: Sequence[str],
        *,
        k: int = 3,
        min_similarity: float = 0.8,
    ) -> None:
        self._embed = embed
        self._words = list(dict.fromkeys(vocabulary))
        self._vectors = self._unit(embed(self._words)) if self._words else np.empty((0, 0))
        self._k = k
        self._min = min_similarity
        self._cache: dict[str, tuple[str, ...]] = {}

    @staticmethod
    def _unit(x: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
        v = np.asarray(x, dtype=np.float64)
        norms: NDArray[np.float64] = np.linalg.norm(v, axis=1, keepdims=True)
        return v / np.maximum(norms, 1e-12)

    def __call__(self, word: str) -> Sequence[str]:
        if word not in self._cache:
            if not self._words:
                return ()
            sims = self._vectors @ self._unit(self._embed([word]))[0]
            order = np.argsort(-sims)
            self._cache[word] = tuple(
                self._words[i]
                for i in order[: self._k + 1]
                if sims[i] >= self._min and self._words[i] != word
            )[: self._k]
        return self._cache[word]
