"""Per-class skill posteriors and item difficulty."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from shoplabel.quality.errors import InvalidQualityInput
from shoplabel.quality.skills import (
    WorkerSkill,
    expected_class_counts,
    item_difficulty,
    normalised_entropy,
    skill_from_evidence,
    top_margin,
    update_skill,
)

FAST = settings(max_examples=40, deadline=None, derandomize=True)


def test_skill_from_gold_only_hand_checked() -> None:
    skill = skill_from_evidence([8, 1], [10, 4])
    assert skill.alpha.tolist() == [10.0, 3.0]
    assert skill.beta.tolist() == [3.0, 4.0]
    assert skill.mean.tolist() == pytest.approx([10 / 13, 3 / 7])
    mean, std = skill.overall([0.75, 0.25])
    assert mean == pytest.approx(0.75 * 10 / 13 + 0.25 * 3 / 7)
    assert std == pytest.approx(np.sqrt(0.75**2 * skill.std[0] ** 2 + 0.25**2 * skill.std[1] ** 2))


def test_skill_combines_gold_and_discounted_confusion() -> None:
    skill = skill_from_evidence(
        [2, 0], [2, 0], confusion_diag=[0.9, 0.6], confusion_weight=[20, 10]
    )
    # alpha = 2 + 2 + 0.5*20*0.9, beta = 1 + 0 + 0.5*20*0.1 for class 0
    assert skill.alpha.tolist() == pytest.approx([13.0, 5.0])
    assert skill.beta.tolist() == pytest.approx([2.0, 3.0])
    with pytest.raises(InvalidQualityInput):
        skill_from_evidence([1], [1], confusion_diag=[0.5])
    with pytest.raises(InvalidQualityInput):
        skill_from_evidence([3, 0], [2, 0])
    with pytest.raises(InvalidQualityInput):
        skill_from_evidence([1, 0], [1, 0, 0])


def test_expected_class_counts_from_posteriors() -> None:
    probas = [[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]]
    right, total = expected_class_counts(probas, np.array([0, 0, 1]))
    assert right.tolist() == pytest.approx([0.9 + 0.2, 0.5])
    assert total.tolist() == pytest.approx([1.6, 1.4])
    with pytest.raises(InvalidQualityInput):
        expected_class_counts(probas, np.array([0, 2, 1]))


def test_update_skill_moves_only_the_true_class() -> None:
    skill = WorkerSkill.prior(3)
    right = update_skill(skill, true_class=1, given_class=1)
    wrong = update_skill(right, true_class=2, given_class=0, weight=0.5)
    assert right.alpha.tolist() == [2.0, 3.0, 2.0] and right.beta.tolist() == [1.0, 1.0, 1.0]
    assert wrong.beta.tolist() == [1.0, 1.0, 1.5]
    assert skill.alpha.tolist() == [2.0, 2.0, 2.0]  # unchanged
    with pytest.raises(ValueError, match="read-only"):
        skill.alpha[0] = 5.0
    with pytest.raises(InvalidQualityInput):
        update_skill(skill, true_class=3, given_class=0)


@FAST
@given(answers=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), max_size=40))
def test_skill_means_stay_in_unit_interval(answers: list[tuple[int, int]]) -> None:
    skill = WorkerSkill.prior(3)
    for true, given_ in answers:
        skill = update_skill(skill, true_class=true, given_class=given_)
    assert ((skill.mean > 0) & (skill.mean < 1)).all()
    assert (skill.lower(0.9) <= skill.mean).all()
    mean, std = skill.overall()
    assert 0 < mean < 1 and std > 0


def test_difficulty_hand_checked() -> None:
    probas = np.array([[1.0, 0.0], [0.5, 0.5]])
    assert normalised_entropy(probas).tolist() == pytest.approx([0.0, 1.0])
    three = np.array([[0.7, 0.2, 0.1], [1 / 3, 1 / 3, 1 / 3]])
    assert top_margin(three).tolist() == pytest.approx([0.5, 0.0])
    assert item_difficulty(three, measure="margin").tolist() == pytest.approx([0.5, 1.0])
    assert item_difficulty(three)[1] == pytest.approx(1.0)
    with pytest.raises(InvalidQualityInput):
        item_difficulty([[0.5, 0.6]])
    with pytest.raises(InvalidQualityInput):
        item_difficulty(three, measure="gini")  # type: ignore[arg-type]


_probas = hnp.arrays(
    np.float64, st.tuples(st.integers(1, 8), st.integers(2, 5)), elements=st.floats(0.01, 1.0)
).map(lambda a: a / a.sum(axis=1, keepdims=True))


@FAST
@given(probas=_probas)
def test_difficulty_in_unit_interval(probas: np.ndarray) -> None:
    for measure in ("entropy", "margin"):
        d = item_difficulty(probas, measure=measure)
        assert d.shape == (probas.shape[0],)
        assert ((d >= 0) & (d <= 1 + 1e-12)).all()
