"""Exact, near (MinHash LSH) and embedding duplicate groups; outliers; on real titles."""

from __future__ import annotations

import json
import random
from importlib import resources

import numpy as np
import pytest
from datasketch import MinHash

from shoplabel.dataprep.duplicates import (
    DuplicateKind,
    embedding_groups,
    exact_groups,
    is_conflicting,
    near_groups,
)
from shoplabel.dataprep.neardup import (
    NearDupOptions,
    components,
    find_near_duplicates,
    shingle_hash,
    shingles,
)
from shoplabel.dataprep.outliers import OutlierMethod, OutlierOptions, find_outliers


def _demo(name: str) -> list[dict[str, object]]:
    text = (resources.files("shoplabel") / "demo_data" / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _abt_titles() -> list[str]:
    """The distinct left-hand Abt product names of the Abt-Buy demo pairs (real listings)."""
    names = [str(row["left"]["name"]) for row in _demo("abt_buy_pairs.jsonl")]  # type: ignore[index]
    return list(dict.fromkeys(names))


def _perturb(title: str, rng: random.Random) -> str:
    """A re-listing of the same product: case, spacing, a seller suffix or one typo."""
    choice = rng.randrange(4)
    if choice == 0:
        return title.upper()
    if choice == 1:
        return title.replace(" ", "  ") + " - Free Shipping"
    if choice == 2:
        i = rng.randrange(len(title) - 1)
        return title[:i] + title[i + 1] + title[i] + title[i + 2 :]
    return "NEW " + title.replace("-", " ")


def test_signatures_equal_datasketch_minhash() -> None:
    texts = ["华为 Mate 60 Pro 手机", "Sony WH-1000XM4", "ab", "x", "Ｆｕｌｌ width"]
    opts = NearDupOptions(num_perm=32, shingle=3, seed=7)
    from shoplabel.dataprep.neardup import _signatures

    sig = _signatures(texts, opts, None)
    for row, text in zip(sig, texts, strict=True):
        ref = MinHash(num_perm=32, seed=7, hashfunc=shingle_hash)
        ref.update_batch(shingles(text, 3))
        assert np.array_equal(ref.hashvalues, row)


def test_near_duplicates_on_real_abt_titles() -> None:
    rng = random.Random(3)
    titles = _abt_titles()
    copies = [_perturb(t, rng) for t in titles]
    groups = near_groups(titles + copies, options=NearDupOptions(threshold=0.7))
    n = len(titles)
    found = {frozenset(g.members) for g in groups}
    pairs = sum(any({i, i + n} <= g for g in found) for i in range(n))
    assert pairs / n >= 0.9  # recall of the re-listings
    # Precision: every member is really close (true Jaccard) to another member. Groups may
    # hold model variants of one product line ("Samsung 46' Series 8 LCD ... LN46A850" and
    # "... LN46A860"): near-identical text, which is what the requester then decides on.
    texts = titles + copies
    sets = [set(shingles(t, 3)) for t in texts]
    for g in groups:
        for m in g.members:
            best = max(len(sets[m] & sets[o]) / len(sets[m] | sets[o]) for o in g.members if o != m)
            assert best >= 0.6, (texts[m], [texts[o] for o in g.members])
    assert all(g.kind is DuplicateKind.NEAR and g.similarity >= 0.7 for g in groups)


def test_near_duplicates_on_real_chinese_reviews() -> None:
    reviews = [str(r["review"]) for r in _demo("reviews_zh.jsonl")]
    reviews = [r for r in dict.fromkeys(reviews) if len(r) >= 20][:200]
    # A repost: full-width commas typed as ASCII, the final mark changed, one character doubled.
    copies = [r.replace("，", ",", 1).rstrip("。！!") + "！" for r in reviews]
    copies = [c[:10] + c[10] + c[10:] for c in copies]
    result = find_near_duplicates(reviews + copies, options=NearDupOptions(threshold=0.7))
    n = len(reviews)
    true_j = [
        len(set(shingles(a, 3)) & set(shingles(b, 3)))
        / len(set(shingles(a, 3)) | set(shingles(b, 3)))
        for a, b in zip(reviews, copies, strict=True)
    ]
    hits = [result.labels[i] >= 0 and result.labels[i] == result.labels[i + n] for i in range(n)]
    # Pairs right at the threshold are found about half the time (the signature estimates
    # Jaccard with some noise); clear duplicates must all but always be found.
    above = [h for h, j in zip(hits, true_j, strict=True) if j >= 0.75]
    assert len(above) >= 0.5 * n
    assert sum(above) / len(above) >= 0.95


def test_identical_texts_group_and_empty_texts_never_do() -> None:
    groups = near_groups(["same title", "same title", "", "", "other"])
    assert [(g.members, g.similarity) for g in groups] == [((0, 1), 1.0)]
    assert exact_groups(["h1", "h2", "h1", "h3", "h1"])[0].members == (0, 2, 4)


def test_near_dup_options_are_checked() -> None:
    for bad in ({"threshold": 1.0}, {"num_perm": 4}, {"shingle": 0}):
        with pytest.raises(ValueError, match="must be"):
            NearDupOptions(**bad)


def test_components_join_chains() -> None:
    roots = components(6, np.array([[0, 1], [1, 2], [4, 5]], dtype=np.int64))
    assert roots[0] == roots[1] == roots[2] != roots[4] == roots[5]
    assert roots[3] not in (roots[0], roots[4])


def test_embedding_groups_use_cosine() -> None:
    v = np.array([[1.0, 0.0], [0.99, 0.05], [0.0, 1.0], [0.7, 0.7]])
    groups = embedding_groups(v, threshold=0.98, block=2)
    assert [g.members for g in groups] == [(0, 1)]
    assert groups[0].kind is DuplicateKind.EMBEDDING
    assert embedding_groups(np.eye(3), threshold=0.9) == []


def test_conflicts_compare_known_labels() -> None:
    assert not is_conflicting([None, "same", "same"])
    assert is_conflicting(["same", "different"])
    assert is_conflicting([["a", "b"], ["b", "a"]])  # order matters for list labels
    assert not is_conflicting([{"a": 1, "b": 2}, {"b": 2, "a": 1}])


def test_outliers_robust_z_and_iqr_on_real_prices() -> None:
    prices = []
    for row in _demo("abt_buy_pairs.jsonl"):
        raw = str(row["left"]["price"]).replace("$", "").replace(",", "")  # type: ignore[index]
        prices.append(float(raw) if raw else np.nan)
    values = np.array([*prices, 999_999.0])
    found = find_outliers(values)
    assert len(prices) in found.index
    reason = found.reasons[list(found.index).index(len(prices))]
    assert "999999" in reason and "robust z-scores above the median" in reason
    assert not np.isnan(values[found.index]).any()
    iqr = find_outliers(values, options=OutlierOptions(method=OutlierMethod.IQR, threshold=3))
    assert len(prices) in iqr.index and "IQR fences" in iqr.reasons[-1]


def test_outliers_need_enough_values_and_handle_constant_columns() -> None:
    assert len(find_outliers(np.array([1.0, 1e9])).index) == 0
    constant = np.array([5.0] * 20 + [500.0])
    assert list(find_outliers(constant).index) == [20]
    assert len(find_outliers(np.full(10, 5.0)).index) == 0
