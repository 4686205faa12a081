"""Routing scores and learned-policy features."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from shoplabel.quality.errors import InvalidQualityInput
from shoplabel.quality.routing import (
    FEATURE_NAMES,
    ability_match_scores,
    learned_features,
    learned_targets,
    rank_candidates,
    skill_to_difficulty,
    uncertainty_first_scores,
)

FAST = settings(max_examples=40, deadline=None, derandomize=True)


def test_uncertainty_first_hand_checked() -> None:
    probas = np.array([[0.5, 0.5], [0.9, 0.1], [0.5, 0.5]])
    n_labels = np.array([0, 2, 2])
    scores = uncertainty_first_scores(probas, n_labels, max_overlap=3, target_confidence=0.95)
    # fresh: closeness 0, entropy 1 -> 0.5; confident: max(2/3, 0.4/0.45) & H(0.9)/ln 2
    h = -(0.9 * np.log(0.9) + 0.1 * np.log(0.1)) / np.log(2)
    assert scores.tolist() == pytest.approx(
        [0.5, 0.5 * (0.4 / 0.45) + 0.5 * h, 0.5 * (2 / 3) + 0.5]
    )
    assert rank_candidates(scores).tolist() == [2, 1, 0]
    closest = uncertainty_first_scores(probas, n_labels, max_overlap=3, uncertainty_weight=0.0)
    assert rank_candidates(closest).tolist() == [1, 2, 0]
    with pytest.raises(InvalidQualityInput):
        uncertainty_first_scores(probas, n_labels, max_overlap=0)
    with pytest.raises(InvalidQualityInput):
        uncertainty_first_scores(probas, n_labels[:2], max_overlap=3)


def test_rank_candidates_keeps_queue_order_on_ties() -> None:
    assert rank_candidates([0.2, 0.5, 0.5, 0.1]).tolist() == [1, 2, 0, 3]


def test_ability_match_sends_hard_items_to_skilled_workers() -> None:
    difficulty = np.array([0.0, 0.5, 1.0])
    assert skill_to_difficulty(0.5, chance=0.5) == 0.0
    assert skill_to_difficulty(0.75, chance=0.5) == 0.5
    novice = ability_match_scores(difficulty, worker_skill=0.5, chance=0.5)
    expert = ability_match_scores(difficulty, worker_skill=1.0, chance=0.5)
    assert rank_candidates(novice).tolist() == [0, 1, 2]
    assert rank_candidates(expert).tolist() == [2, 1, 0]
    assert novice[1] == pytest.approx(np.exp(-0.5 * 4.0))  # 0.5 away, bandwidth 0.25
    with pytest.raises(InvalidQualityInput):
        ability_match_scores([1.5], worker_skill=0.8, chance=0.5)
    with pytest.raises(InvalidQualityInput):
        ability_match_scores([0.5], worker_skill=0.8, chance=0.5, bandwidth=0.0)


def test_learned_features_hand_checked() -> None:
    probas = np.array([[0.8, 0.2], [0.3, 0.7]])
    votes = np.array([[2, 1], [0, 0]])
    x = learned_features(
        probas, votes, worker_skill=0.9, worker_n_labels=9, worker_class_skill=[0.95, 0.6]
    )
    assert x.shape == (2, len(FEATURE_NAMES))
    row = dict(zip(FEATURE_NAMES, x[0], strict=True))
    assert row["worker_skill"] == 0.9
    assert row["log_worker_labels"] == pytest.approx(np.log(10))
    assert row["item_margin"] == pytest.approx(0.6)
    assert row["log_item_labels"] == pytest.approx(np.log(4))
    assert row["item_agreement"] == pytest.approx(2 / 3)
    assert row["worker_class_skill"] == 0.95
    assert x[1, FEATURE_NAMES.index("item_agreement")] == 0.0
    assert x[1, FEATURE_NAMES.index("worker_class_skill")] == 0.6
    with pytest.raises(InvalidQualityInput):
        learned_features(probas, votes[:1], worker_skill=0.9, worker_n_labels=9,
                         worker_class_skill=[0.9, 0.9])  # fmt: skip


def test_learned_targets_mark_unknown_references() -> None:
    assert learned_targets([0, 1, 1], [0, 0, -1]).tolist() == [1, 0, -1]
    with pytest.raises(InvalidQualityInput):
        learned_targets([0], [0, 1])


_probas = hnp.arrays(
    np.float64, st.tuples(st.integers(1, 10), st.integers(2, 4)), elements=st.floats(0.01, 1.0)
).map(lambda a: a / a.sum(axis=1, keepdims=True))


@FAST
@given(probas=_probas, lam=st.floats(0.0, 1.0), data=st.data())
def test_scores_in_unit_interval_and_inputs_untouched(
    probas: np.ndarray, lam: float, data: st.DataObject
) -> None:
    n = probas.shape[0]
    n_labels = np.array(data.draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)))
    before = probas.copy()
    scores = uncertainty_first_scores(probas, n_labels, max_overlap=5, uncertainty_weight=lam)
    assert scores.shape == (n,) and ((scores >= 0) & (scores <= 1 + 1e-12)).all()
    match = ability_match_scores(np.linspace(0, 1, n), worker_skill=0.8, chance=0.25)
    assert ((match > 0) & (match <= 1)).all()
    assert np.array_equal(probas, before)
    assert sorted(rank_candidates(scores).tolist()) == list(range(n))
