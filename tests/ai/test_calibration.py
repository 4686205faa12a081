"""Clopper-Pearson bounds, the fixed-sequence threshold scan, and active-learning scores."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest

from shoplabel.inference.calibration import (
    calibrate_threshold,
    clopper_pearson_lower,
    clopper_pearson_upper,
    min_items_for,
    scan_start,
    spot_checks_fail,
)
from shoplabel.services.active_learning import DIVERSITY_BONUS, k_center, priorities


@given(st.integers(1, 400), st.data())
def test_bounds_match_scipy_exact_interval(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, n))
    # A one-sided 95% bound is one end of the two-sided 90% exact interval.
    ci = binomtest(k, n).proportion_ci(confidence_level=0.90, method="exact")
    assert clopper_pearson_lower(k, n) == pytest.approx(ci.low, abs=1e-9)
    assert clopper_pearson_upper(k, n) == pytest.approx(ci.high, abs=1e-9)


def test_all_correct_needs_59_items_for_95_percent() -> None:
    assert min_items_for(0.95) == 59
    assert clopper_pearson_lower(58, 58) < 0.95 <= clopper_pearson_lower(59, 59)


def test_threshold_covers_the_confident_correct_block_and_stops_at_the_first_failure() -> None:
    # 200 items all right above 0.9, then a block of coin flips below.
    conf = np.r_[np.linspace(0.999, 0.91, 200), np.linspace(0.89, 0.5, 100)]
    correct = np.r_[np.ones(200, bool), np.arange(100) % 2 == 0]
    cal = calibrate_threshold(conf, correct, target=0.95)
    assert cal.threshold is not None
    # It reaches into the coin flips while the whole covered set still passes, no further.
    assert 0.5 < cal.threshold < 0.91
    assert 200 < cal.n_covered < 300 and cal.lower_bound >= 0.95
    k_next = cal.n_correct + int(correct[cal.n_covered])
    assert clopper_pearson_lower(k_next, cal.n_covered + 1) < 0.95
    assert cal.coverage == pytest.approx(cal.n_covered / 300)
    # An early failure ends the scan even if a lower threshold would pass again.
    bad_top = np.r_[np.zeros(40, bool), np.ones(260, bool)]
    assert calibrate_threshold(conf, bad_top, target=0.95).threshold is None


def test_no_threshold_with_too_few_items_and_ties_move_together() -> None:
    assert calibrate_threshold(np.full(58, 0.99), np.ones(58, bool), target=0.95).threshold is None
    conf = np.r_[np.full(100, 0.99), np.full(10, 0.8)]
    correct = np.r_[np.ones(100, bool), np.zeros(10, bool)]
    cal = calibrate_threshold(conf, correct, target=0.95)
    assert (cal.threshold, cal.n_covered) == (0.99, 100)


def test_spot_checks_fail_only_on_evidence() -> None:
    assert not spot_checks_fail(0, 0, target=0.95)
    assert not spot_checks_fail(0, 1, target=0.9)  # one miss proves nothing at 90%
    assert spot_checks_fail(0, 1, target=0.99)
    assert spot_checks_fail(15, 20, target=0.95)
    assert not spot_checks_fail(19, 20, target=0.95)


def test_k_center_covers_clusters_before_repeating_one() -> None:
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    x = np.vstack([c + rng.normal(scale=0.1, size=(20, 2)) for c in centers])
    picks = k_center(x, 3, first=0)
    assert sorted(int(i) // 20 for i in picks) == [0, 1, 2]


def test_priorities_rank_uncertain_fresh_items_and_add_diversity() -> None:
    probas = np.array([[0.5, 0.5], [0.99, 0.01], [0.6, 0.4], [0.98, 0.02]])
    features = np.array([[0.0, 0.0], [0.0, 0.1], [5.0, 5.0], [9.0, 9.0]])
    fresh = np.array([True, True, True, False])
    score = priorities(probas, features, fresh)
    assert score[0] == pytest.approx(0.5 + DIVERSITY_BONUS)  # most uncertain, picked first
    assert score[2] > score[1]
    assert (score >= 0).all() and (score <= 0.5 + DIVERSITY_BONUS).all()


def test_one_early_disagreement_with_a_noisy_reference_does_not_end_the_scan() -> None:
    # 1,000 held-out items, 98% right against a noisy reference, one miss among the top 59:
    # a scan starting at 59 items would stop at once; it starts at 234 (half-way record).
    conf = np.linspace(0.999, 0.5, 1000)
    correct = np.arange(1000) % 50 != 10
    assert scan_start(1000, 0.95) == 234
    cal = calibrate_threshold(conf, correct, target=0.95)
    assert cal.threshold is not None and cal.n_covered >= 234 and cal.lower_bound >= 0.95
