r"""Near-duplicate texts by MinHash LSH on character shingles (Chinese and English alike).

Each text becomes the set of its character :math:`k`-grams (after case folding and collapsing
whitespace), so no word segmentation is needed: ``"华为 Mate 60 Pro 手机 12GB+512GB"`` and
``"华为Mate60 Pro手机 12G+512G"`` share most of their 3-grams. Two texts are near-duplicates
when the Jaccard similarity of their shingle sets,
:math:`J(A, B) = |A \cap B| / |A \cup B|`, reaches ``threshold``.

MinHash (Broder 1997) estimates :math:`J` as the share of equal minima under ``num_perm``
random permutations; LSH banding (Indyk & Motwani 1998; Leskovec et al., *Mining of Massive
Datasets*, ch. 3) puts texts whose signatures agree on one whole band of ``r`` rows into one
bucket, so only bucket neighbours are compared. The permutations, the band shape
``(b, r)`` for a threshold and the signature scheme (``affine32``: MurmurHash3 finaliser, then
:math:`a h + b \bmod 2^{32}`) are datasketch's, so a signature here equals
``datasketch.MinHash(num_perm, seed=seed, hashfunc=shingle_hash).update_batch(shingles)``;
what this module adds is computing them for a million texts with vectorised numpy (datasketch
hashes one shingle at a time in Python) and bucketing by sorting band keys instead of a dict of
Python lists, so memory stays at ``4 * num_perm`` bytes per text plus a few arrays of ``n``.

Candidate pairs are verified with the full signature (estimated :math:`J \ge` threshold), then
joined into groups by connected components: groups are transitive (A~B and B~C put A, B, C in
one group even if A and C differ more).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from datasketch import MinHash, MinHashLSH
from numpy.typing import NDArray

__all__ = [
    "LSH_WEIGHTS",
    "NearDupOptions",
    "NearDupResult",
    "components",
    "find_near_duplicates",
    "shingle_hash",
    "shingles",
]

#: datasketch's (false positive, false negative) weights for choosing the band shape: misses
#: cost more than candidates here, because every candidate is verified with the signature.
LSH_WEIGHTS: Final = (0.2, 0.8)
_PRIME: Final = np.uint32(0x01000193)  # FNV prime: a cheap polynomial rolling hash base
_SPACE: Final = re.compile(r"\s+")
_U32 = NDArray[np.uint32]

#: ``progress(done, total)`` while signatures are computed.
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class NearDupOptions:
    """Options of :func:`find_near_duplicates`.

    Attributes:
        threshold: Jaccard similarity of shingle sets at which two texts are near-duplicates.
        num_perm: MinHash permutations (signature length); more is more precise and slower.
        shingle: Characters per shingle.
        seed: Seed of the permutations (datasketch's).
        chunk: Texts per vectorised signature batch (bounds memory: ``chunk * mean length *
            num_perm * 4`` bytes).
    """

    threshold: float = 0.8
    num_perm: int = 128
    shingle: int = 3
    seed: int = 1
    chunk: int = 4096

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold}")
        if not 8 <= self.num_perm <= 512:
            raise ValueError(f"num_perm must be in [8, 512], got {self.num_perm}")
        if not 1 <= self.shingle <= 16:
            raise ValueError(f"shingle must be in [1, 16], got {self.shingle}")


@dataclass(frozen=True, slots=True)
class NearDupResult:
    """Groups of near-duplicate texts.

    Attributes:
        labels: Shape ``(n_texts,)``: group number of each text, ``-1`` if it has no
            near-duplicate. Group numbers are ``0 .. n_groups - 1``.
        similarity: Shape ``(n_groups,)``: mean estimated Jaccard of the verified pairs that
            joined the group.
        n_candidates: Candidate pairs compared (work done; for benchmarks).
    """

    labels: NDArray[np.int64]
    similarity: NDArray[np.float64]
    n_candidates: int

    @property
    def n_groups(self) -> int:
        return len(self.similarity)


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text.casefold()).strip()


def shingles(text: str, k: int) -> list[str]:
    """The shingles of one text as :func:`find_near_duplicates` sees them.

    The normalised text is padded with ``k - 1`` NUL characters, and every position starts a
    shingle, so a text of length ``L >= 1`` has ``L`` shingles (texts shorter than ``k`` still
    get one) and an empty text has none.
    """
    t = _normal(text)
    padded = t + "\0" * (k - 1)
    return [padded[i : i + k] for i in range(len(t))]


def shingle_hash(shingle: str) -> int:
    """32-bit polynomial hash of one shingle (the scalar twin of the vectorised hash)."""
    h = 0
    for ch in shingle:
        h = (h * int(_PRIME) + ord(ch)) & 0xFFFFFFFF
    return h


def _fmix32(h: _U32) -> _U32:
    # MurmurHash3's finaliser, as datasketch's affine32 scheme applies before permuting.
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def _chunk_shingle_hashes(texts: Sequence[str], k: int) -> tuple[_U32, NDArray[np.int64]]:
    """Hashes of every shingle of ``texts`` (concatenated) and each text's shingle count."""
    normal = [_normal(t) for t in texts]
    lengths = np.fromiter((len(t) for t in normal), dtype=np.int64, count=len(normal))
    pad = "\0" * (k - 1)
    joined = pad.join(normal) + pad
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    n_pos = len(codes) - (k - 1)
    h = np.zeros(max(n_pos, 0), dtype=np.uint32)
    for j in range(k):
        h = h * _PRIME + codes[j : j + n_pos]
    # Keep the positions that start inside a text (not inside the padding between texts).
    starts = np.concatenate(([0], np.cumsum(lengths + (k - 1))[:-1]))
    keep = np.zeros(n_pos, dtype=bool)
    for_text = np.repeat(starts, lengths) + (
        np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    keep[for_text] = True
    return h[keep], lengths


def _signatures(
    texts: Sequence[str], opts: NearDupOptions, progress: Progress | None
) -> NDArray[np.uint32]:
    a, b = MinHash(num_perm=opts.num_perm, seed=opts.seed).permutations.astype(np.uint32)
    sig = np.full((len(texts), opts.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    for lo in range(0, len(texts), opts.chunk):
        hashes, lengths = _chunk_shingle_hashes(texts[lo : lo + opts.chunk], opts.shingle)
        nonempty = np.flatnonzero(lengths)
        if len(nonempty):
            phv = _fmix32(hashes)[:, None] * a[None, :] + b[None, :]
            offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))[nonempty]
            sig[lo + nonempty] = np.minimum.reduceat(phv, offsets, axis=0)
        if progress is not None:
            progress(min(lo + opts.chunk, len(texts)), len(texts))
    return sig


def _pair_keys(
    sig: NDArray[np.uint32], rows: slice, valid: NDArray[np.bool_], n: int
) -> NDArray[np.int64]:
    """Consecutive members of each bucket of one band, as ``low * n + high`` pair keys."""
    band = sig[:, rows].astype(np.uint64)
    mult = np.random.default_rng(rows.start).integers(1, 2**63, size=band.shape[1], dtype=np.uint64)
    key = (band * (mult | np.uint64(1))).sum(axis=1, dtype=np.uint64)
    idx = np.flatnonzero(valid)
    order = idx[np.argsort(key[idx], kind="stable")]
    sorted_key = key[order]
    same = sorted_key[1:] == sorted_key[:-1]
    a, b = order[:-1][same].astype(np.int64), order[1:][same].astype(np.int64)
    keys: NDArray[np.int64] = np.minimum(a, b) * n + np.maximum(a, b)
    return keys


def components(n: int, pairs: NDArray[np.int64]) -> NDArray[np.int64]:
    """Root of each of ``n`` nodes joined by ``pairs`` (shape ``(n_pairs, 2)``).

    Union-find, vectorised: each round links every pair's larger root under its smaller one,
    then compresses every path, until all pairs share a root.
    """
    parent = np.arange(n, dtype=np.int64)
    a, b = pairs[:, 0], pairs[:, 1]
    while True:
        ra, rb = parent[a], parent[b]
        diff = ra != rb
        if not diff.any():
            break
        lo, hi = np.minimum(ra[diff], rb[diff]), np.maximum(ra[diff], rb[diff])
        np.minimum.at(parent, hi, lo)
        while True:  # compress every path to its root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    return parent


def find_near_duplicates(
    texts: Sequence[str],
    *,
    options: NearDupOptions = NearDupOptions(),
    progress: Progress | None = None,
) -> NearDupResult:
    """Group near-duplicate texts.

    Args:
        texts: The texts, e.g. product titles; empty texts never join a group.
        options: Threshold and MinHash parameters.
        progress: Called as signatures are computed (the bulk of the work).

    Returns:
        A group label per text and each group's similarity.
    """
    n = len(texts)
    if n == 0:
        return NearDupResult(np.empty(0, np.int64), np.empty(0), 0)
    sig = _signatures(texts, options, progress)
    valid = sig[:, 0] != np.iinfo(np.uint32).max
    lsh = MinHashLSH(threshold=options.threshold, num_perm=options.num_perm, weights=LSH_WEIGHTS)
    # One int64 key per pair (low index * n + high index): a 1-D unique is far cheaper than a
    # row-wise one over millions of candidate pairs.
    keys = np.unique(
        np.concatenate(
            [_pair_keys(sig, slice(i * lsh.r, (i + 1) * lsh.r), valid, n) for i in range(lsh.b)]
        )
    )
    cand = np.column_stack((keys // n, keys % n))
    sim = np.empty(len(cand))
    for lo in range(0, len(cand), 65536):
        part = cand[lo : lo + 65536]
        sim[lo : lo + 65536] = (sig[part[:, 0]] == sig[part[:, 1]]).mean(axis=1)
    ok = sim >= options.threshold
    root = components(n, cand[ok])
    in_group = np.zeros(n, dtype=bool)
    in_group[cand[ok].ravel()] = True
    roots, labels = np.unique(root[in_group], return_inverse=True)
    out = np.full(n, -1, dtype=np.int64)
    out[in_group] = labels
    edge_group = out[cand[ok][:, 0]]
    sums = np.bincount(edge_group, weights=sim[ok], minlength=len(roots))
    counts = np.bincount(edge_group, minlength=len(roots))
    return NearDupResult(out, sums / np.maximum(counts, 1), len(cand))
