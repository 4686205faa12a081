"""Pure pay-rule, money and ledger-entry logic: validation codes, evaluation, properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoplabel.domain.ids import ProjectId
from shoplabel.domain.ledger import Account, AccountKind, EntryKind, NewEntry, Posting, transfer
from shoplabel.domain.money import MAX_AMOUNT, format_amount
from shoplabel.domain.pay_rules import (
    BonusMetric,
    PayRule,
    PayRuleVersion,
    apply_cap,
    bonus_amount,
    last_complete_period,
    reward_for,
    rule_at,
)
from shoplabel.errors import (
    AmountOverflow,
    InvalidPayRule,
    LedgerUnbalanced,
    PayRuleNegative,
    PayRuleOverflow,
    UnknownCurrency,
)

BONUS = {
    "metric": "agreement",
    "period_days": 7,
    "min_labels": 10,
    "tiers": [{"min_score": 0.95, "bp": 1000}, {"min_score": 0.9, "bp": 500}],
}


@pytest.mark.parametrize(
    ("raw", "error", "field"),
    [
        ({"currency": "USD"}, InvalidPayRule, "reward"),
        ({"currency": "USD", "reward": 1, "tip": 3}, InvalidPayRule, "tip"),
        ({"currency": "usd", "reward": 1}, UnknownCurrency, "currency"),
        ({"currency": "USD", "reward": True}, InvalidPayRule, "reward"),
        ({"currency": "USD", "reward": -1}, PayRuleNegative, "reward"),
        ({"currency": "USD", "reward": MAX_AMOUNT + 1}, PayRuleOverflow, "reward"),
        ({"currency": "USD", "reward": 1, "daily_cap": -5}, PayRuleNegative, "daily_cap"),
        (
            {"currency": "USD", "reward": 1, "rejected_penalty": 2.5},
            InvalidPayRule,
            "rejected_penalty",
        ),
        ({"currency": "USD", "reward": 1, "gold_pass": 1.5}, InvalidPayRule, "gold_pass"),
        (
            {"currency": "USD", "reward": 1, "by_difficulty": [{"min_labels": 3, "reward": -1}]},
            PayRuleNegative,
            "by_difficulty[0].reward",
        ),
        (
            {"currency": "USD", "reward": 1, "bonus": {**BONUS, "metric": "speed"}},
            InvalidPayRule,
            "bonus.metric",
        ),
        (
            {
                "currency": "USD",
                "reward": 1,
                "bonus": {**BONUS, "tiers": [{"min_score": 0.9, "bp": 10**6}]},
            },
            PayRuleOverflow,
            "bonus.tiers[0].bp",
        ),
    ],
)
def test_bad_rules_name_the_field(raw: dict[str, Any], error: type[Exception], field: str) -> None:
    with pytest.raises(error) as e:
        PayRule.from_dict(raw)
    assert e.value.details["field"] == field  # type: ignore[attr-defined]


def test_rule_round_trips_and_evaluates() -> None:
    raw = {
        "currency": "JPY",
        "reward": 10,
        "by_template": {"product_matching": 12},
        "by_difficulty": [{"min_labels": 5, "reward": 30}, {"min_labels": 3, "reward": 20}],
        "daily_cap": 100,
        "bonus": BONUS,
    }
    rule = PayRule.from_dict(raw)
    assert PayRule.from_dict(rule.to_dict()) == rule
    assert reward_for(rule, template="search_intent", n_labels=1) == 10
    assert reward_for(rule, template="product_matching", n_labels=2) == 12
    assert reward_for(rule, template="product_matching", n_labels=4) == 20
    assert reward_for(rule, template="search_intent", n_labels=9) == 30
    assert rule.bonus is not None and rule.bonus.metric is BonusMetric.AGREEMENT
    assert bonus_amount(rule.bonus, score=0.96, n_scored=10, base=1234) == (
        123,
        rule.bonus.tiers[1],
    )
    assert bonus_amount(rule.bonus, score=0.92, n_scored=10, base=1234)[0] == 61
    assert bonus_amount(rule.bonus, score=0.99, n_scored=9, base=1234) == (0, None)
    assert bonus_amount(rule.bonus, score=0.5, n_scored=50, base=1234) == (0, None)
    assert format_amount(1234, "JPY") == "1234"
    assert format_amount(-5, "USD") == "-0.05"


@given(
    amount=st.integers(0, 10**6),
    earned=st.integers(0, 10**6),
    cap=st.none() | st.integers(0, 10**6),
)
def test_cap_never_pays_past_the_cap_and_loses_nothing(
    amount: int, earned: int, cap: int | None
) -> None:
    paid, withheld = apply_cap(amount, earned_today=earned, cap=cap)
    assert paid >= 0 and withheld >= 0
    assert paid + withheld == amount
    if cap is not None:
        assert earned + paid <= max(cap, earned)


@given(
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), days=st.integers(1, 60)
)
def test_last_complete_period_ends_on_or_before_today(day: date, days: int) -> None:
    start, end = last_complete_period(day, days)
    assert end - start == timedelta(days=days)
    assert end <= day < end + timedelta(days=days)


def test_rule_at_picks_the_version_in_force() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    rule = PayRule.from_dict({"currency": "USD", "reward": 1})
    versions = [
        PayRuleVersion(ProjectId(1), v, rule, t0 + timedelta(hours=v), None) for v in (2, 1, 3)
    ]
    assert rule_at(versions, t0) is None
    found = rule_at(versions, t0 + timedelta(hours=2, minutes=30))
    assert found is not None and found.version == 2


def test_entries_must_balance_and_fit() -> None:
    p, w = Account(AccountKind.PROJECT, 1, "USD"), Account(AccountKind.WORKER, 2, "USD")
    ok = NewEntry("c", EntryKind.REWARD, "USD", transfer(p, w, 5), amount=5)
    assert sum(x.amount for x in ok.postings) == 0
    with pytest.raises(LedgerUnbalanced):
        NewEntry("c", EntryKind.REWARD, "USD", (Posting(w, 5),), amount=5)
    with pytest.raises(AmountOverflow):
        NewEntry("c", EntryKind.REWARD, "USD", transfer(p, w, MAX_AMOUNT + 1), amount=1)
    assert transfer(p, w, 0) == ()
