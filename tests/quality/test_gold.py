"""Gold policy floor, Beta accuracy posterior and ordinal partial credit."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoplabel.quality.errors import InvalidGoldPolicy, InvalidQualityInput
from shoplabel.quality.gold import (
    BetaAccuracy,
    GoldPolicy,
    gold_probability,
    ordinal_credit,
    should_serve_gold,
)

FAST = settings(max_examples=60, deadline=None, derandomize=True)


def test_gold_policy_defaults_are_five_percent_and_one_per_twenty() -> None:
    policy = GoldPolicy()
    assert (policy.rate, policy.min_every) == (0.05, 20)


@pytest.mark.parametrize(("rate", "every"), [(-0.1, 20), (1.5, 20), (0.05, 0), (0.05, 2.5)])
def test_gold_policy_rejects_bad_values(rate: float, every: int) -> None:
    with pytest.raises(InvalidGoldPolicy) as err:
        GoldPolicy(rate=rate, min_every=every)
    assert err.value.code == "invalid_gold_policy"


def test_gold_probability_hand_checked() -> None:
    policy = GoldPolicy(rate=0.05, min_every=20)
    # first task of a block with no gold yet: 1 owed, 20 slots left -> 1/20
    assert gold_probability(tasks_done=0, golds_served=0, policy=policy) == pytest.approx(0.05)
    # 15 tasks in: 1 owed, 5 left -> 0.2
    assert gold_probability(tasks_done=15, golds_served=0, policy=policy) == pytest.approx(0.2)
    # last slot of the block: forced
    assert gold_probability(tasks_done=19, golds_served=0, policy=policy) == 1.0
    # the block's gold was served: back to the rate
    assert gold_probability(tasks_done=19, golds_served=1, policy=policy) == 0.05
    assert gold_probability(tasks_done=7, golds_served=3, policy=GoldPolicy(min_every=None)) == 0.05


def test_should_serve_gold_is_draw_below_probability() -> None:
    policy = GoldPolicy(rate=0.05, min_every=20)
    assert should_serve_gold(tasks_done=19, golds_served=0, policy=policy, draw=0.999)
    assert not should_serve_gold(tasks_done=0, golds_served=0, policy=policy, draw=0.05)
    assert should_serve_gold(tasks_done=0, golds_served=0, policy=policy, draw=0.0499)


@pytest.mark.parametrize(
    ("done", "golds", "draw"), [(-1, 0, 0.5), (3, 4, 0.5), (3, 0, 1.0), (3, 0, -0.1)]
)
def test_should_serve_gold_rejects_bad_input(done: int, golds: int, draw: float) -> None:
    with pytest.raises(InvalidQualityInput):
        should_serve_gold(tasks_done=done, golds_served=golds, policy=GoldPolicy(), draw=draw)


@FAST
@given(
    draws=st.lists(st.floats(0.0, 1.0, exclude_max=True), min_size=1, max_size=200),
    rate=st.floats(0.0, 1.0),
    every=st.integers(1, 30),
)
def test_gold_floor_holds_for_any_draw_sequence(
    draws: list[float], rate: float, every: int
) -> None:
    policy = GoldPolicy(rate=rate, min_every=every)
    golds = 0
    for t, draw in enumerate(draws):
        golds += should_serve_gold(tasks_done=t, golds_served=golds, policy=policy, draw=draw)
        assert golds >= (t + 1) // every


def test_gold_floor_position_is_spread_over_the_block() -> None:
    # with rate 0 the single gold of a block lands where the draw first falls under 1/remaining
    policy = GoldPolicy(rate=0.0, min_every=4)
    positions = []
    for draws in ([0.1, 0.9, 0.9, 0.9], [0.9, 0.2, 0.9, 0.9], [0.9, 0.9, 0.4, 0.9]):
        golds = 0
        for t, draw in enumerate(draws):
            if should_serve_gold(tasks_done=t, golds_served=golds, policy=policy, draw=draw):
                positions.append(t)
                golds += 1
    assert positions == [0, 1, 2]


def test_beta_accuracy_updates_counts() -> None:
    acc = BetaAccuracy()
    assert (acc.alpha, acc.beta) == (2.0, 1.0)
    acc = acc.update(True).update(False).update(False)
    assert (acc.alpha, acc.beta) == (3.0, 3.0)
    assert acc.mean == pytest.approx(0.5)
    # Beta(3, 3): sd = sqrt(9 / (36 * 7))
    assert acc.std == pytest.approx((9 / 252) ** 0.5)
    assert acc.lower(0.95) < 0.5 < acc.upper(0.95)
    assert acc.lower(0.5) == pytest.approx(0.5)


def _beta_cdf_integer(x: float, a: int, b: int) -> float:
    """I_x(a, b) for integer a, b: P(Binomial(a + b - 1, x) >= a)."""
    n = a + b - 1
    return sum(math.comb(n, j) * x**j * (1 - x) ** (n - j) for j in range(a, n + 1))


def test_beta_accuracy_bounds_match_binomial_identity() -> None:
    acc = BetaAccuracy.from_counts(8, 2)  # Beta(10, 3)
    assert acc.mean == pytest.approx(10 / 13)
    assert _beta_cdf_integer(acc.lower(0.95), 10, 3) == pytest.approx(0.05, abs=1e-9)
    assert _beta_cdf_integer(acc.upper(0.95), 10, 3) == pytest.approx(0.95, abs=1e-9)
    assert acc.lower(0.95) == pytest.approx(0.5619, abs=1e-4)


def test_beta_accuracy_partial_credit_and_errors() -> None:
    acc = BetaAccuracy().update_credit(0.75)
    assert (acc.alpha, acc.beta) == (2.75, 1.25)
    with pytest.raises(InvalidQualityInput):
        acc.update_credit(1.5)
    with pytest.raises(InvalidQualityInput):
        BetaAccuracy(0.0, 1.0)
    with pytest.raises(InvalidQualityInput):
        acc.lower(1.0)
    with pytest.raises(InvalidQualityInput):
        BetaAccuracy.from_counts(-1, 0)


@FAST
@given(answers=st.lists(st.booleans(), max_size=60))
def test_beta_mean_is_in_unit_interval_and_bounds_bracket_it(answers: list[bool]) -> None:
    acc = BetaAccuracy()
    for correct in answers:
        acc = acc.update(correct)
    assert 0.0 < acc.mean < 1.0
    assert 0.0 <= acc.lower(0.9) <= acc.mean <= acc.upper(0.9) <= 1.0


def test_ordinal_credit_linear_and_quadratic() -> None:
    assert ordinal_credit(2, 2, n_levels=5) == 1.0
    assert ordinal_credit(2, 3, n_levels=5) == pytest.approx(0.75)
    assert ordinal_credit(0, 4, n_levels=5) == 0.0
    assert ordinal_credit(2, 3, n_levels=5, power=2.0) == pytest.approx(0.9375)
    with pytest.raises(InvalidQualityInput):
        ordinal_credit(0, 5, n_levels=5)
    with pytest.raises(InvalidQualityInput):
        ordinal_credit(0, 0, n_levels=1)
