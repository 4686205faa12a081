"""Duplicate groups: exact (same content hash), near (MinHash LSH) and by embedding similarity.

Duplicates are grouped, never dropped here: a group lists the positions of its members in the
input, and the requester decides what to keep. A group is *conflicting* when its members carry
different labels (gold or consensus): the same content was judged two ways.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoplabel.dataprep.neardup import (
    NearDupOptions,
    Progress,
    components,
    find_near_duplicates,
)

__all__ = [
    "DuplicateKind",
    "Embedder",
    "Group",
    "embedding_groups",
    "exact_groups",
    "is_conflicting",
    "near_groups",
]

#: Maps texts to vectors, shape ``(n_texts, dim)``; any embedder (``ml`` builds them) fits.
Embedder = Callable[[Sequence[str]], NDArray[np.floating[Any]]]


class DuplicateKind(StrEnum):
    EXACT = "exact"
    NEAR = "near"
    EMBEDDING = "embedding"


@dataclass(frozen=True, slots=True)
class Group:
    """Positions (in the input sequence) of items that duplicate each other."""

    kind: DuplicateKind
    members: tuple[int, ...]
    similarity: float


def _groups_from_labels(
    labels: NDArray[np.int64], kind: DuplicateKind, similarity: NDArray[np.float64]
) -> list[Group]:
    pos = np.flatnonzero(labels >= 0)
    if len(pos) == 0:
        return []
    order = pos[np.argsort(labels[pos], kind="stable")]
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    out = []
    for members in np.split(order, cuts):
        if len(members) > 1:
            g = int(labels[members[0]])
            out.append(Group(kind, tuple(int(m) for m in members), float(similarity[g])))
    return out


def exact_groups(keys: Sequence[str]) -> list[Group]:
    """Items sharing a key (a content hash): one group per key held by two or more items."""
    index: dict[str, int] = {}
    labels = np.fromiter((index.setdefault(k, len(index)) for k in keys), np.int64, len(keys))
    counts = np.bincount(labels, minlength=len(index))
    labels = np.where(counts[labels] > 1, labels, -1)
    return _groups_from_labels(labels, DuplicateKind.EXACT, np.ones(len(index)))


def near_groups(
    texts: Sequence[str],
    *,
    options: NearDupOptions | None = None,
    progress: Progress | None = None,
) -> list[Group]:
    """Near-duplicate groups (see :mod:`.neardup`), identical texts included.

    Each distinct text is signed once; every item whose text is in a group joins it, and items
    sharing one text form a group (similarity 1) even when no other text is close. Empty
    texts never join a group.
    """
    index: dict[str, int] = {}
    inverse = np.fromiter((index.setdefault(t, len(index)) for t in texts), np.int64, len(texts))
    result = find_near_duplicates(
        list(index), options=options or NearDupOptions(), progress=progress
    )
    labels = result.labels.copy()
    shared = np.bincount(inverse, minlength=len(index)) > 1
    shared &= (labels < 0) & np.array([bool(t.strip()) for t in index], dtype=bool)
    labels[shared] = result.n_groups + np.arange(int(shared.sum()))
    similarity = np.concatenate((result.similarity, np.ones(int(shared.sum()))))
    return _groups_from_labels(labels[inverse], DuplicateKind.NEAR, similarity)


def embedding_groups(
    vectors: NDArray[np.floating[Any]], *, threshold: float = 0.95, block: int = 2048
) -> list[Group]:
    """Groups of items whose embeddings have cosine similarity >= ``threshold``.

    Exhaustive blockwise search, ``O(n^2 d)``: meant for up to about 100k items, where it
    finds paraphrases that share few characters; MinHash LSH is the scalable path.

    Args:
        vectors: Shape ``(n_items, dim)``.
        threshold: Cosine similarity at which two items are duplicates.
        block: Rows compared per matrix product (bounds memory to ``block * n`` floats).
    """
    x = np.asarray(vectors, dtype=np.float32)
    n = len(x)
    if n == 0:
        return []
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    pairs, sims = [], []
    for lo in range(0, n, block):
        s = x[lo : lo + block] @ x.T
        rows, cols = np.nonzero(s >= threshold)
        rows = rows + lo
        upper = cols > rows
        pairs.append(np.column_stack((rows[upper], cols[upper])))
        sims.append(s[rows[upper] - lo, cols[upper]])
    edges = np.concatenate(pairs).astype(np.int64)
    sim = np.concatenate(sims).astype(np.float64)
    labels = np.full(n, -1, dtype=np.int64)
    if len(edges) == 0:
        return []
    comp = components(n, edges)
    involved = np.zeros(n, dtype=bool)
    involved[edges.ravel()] = True
    roots, labels[involved] = np.unique(comp[involved], return_inverse=True)
    group_sim = np.bincount(labels[edges[:, 0]], weights=sim, minlength=len(roots))
    group_n = np.bincount(labels[edges[:, 0]], minlength=len(roots))
    return _groups_from_labels(labels, DuplicateKind.EMBEDDING, group_sim / group_n)


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def is_conflicting(labels: Sequence[Any]) -> bool:
    """True when the known labels (``None`` = unknown) of a group's members differ."""
    return len({_key(v) for v in labels if v is not None}) > 1
