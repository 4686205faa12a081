"""Pay rules: what a project pays for accepted labels, as versioned data, and their evaluation.

A rule is plain JSON stored per project with a version number; a new version applies to work
accepted from the moment it was stored on (never backwards). Every amount is an integer of the
currency's minor unit. :meth:`PayRule.from_dict` validates a rule completely, so a rule that
would pay a negative amount or overflow the ledger is refused before it is stored. The
functions below are pure: the accrual service feeds them facts and posts what they return.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from shoplabel.domain.ids import ProjectId, UserId
from shoplabel.domain.money import MAX_AMOUNT, check_currency
from shoplabel.errors import InvalidPayRule, PayRuleNegative, PayRuleOverflow

__all__ = [
    "MAX_BONUS_BP",
    "BonusMetric",
    "BonusPolicy",
    "BonusTier",
    "DifficultyTier",
    "PayRule",
    "PayRuleVersion",
    "apply_cap",
    "bonus_amount",
    "last_complete_period",
    "reward_for",
    "rule_at",
]

#: Largest bonus in basis points of the period's rewards (1000 %).
MAX_BONUS_BP: Final = 100_000
_EPOCH: Final = date(1970, 1, 1)
_KEYS: Final = frozenset(
    {
        "currency",
        "reward",
        "by_template",
        "by_difficulty",
        "gold_pass",
        "withhold_rejected",
        "rejected_penalty",
        "daily_cap",
        "bonus",
        "leaderboard",
    }
)


class BonusMetric(StrEnum):
    """What a quality bonus is measured on over its period."""

    GOLD_ACCURACY = "gold_accuracy"  # share of control (gold) answers scored right
    AGREEMENT = "agreement"  # share of accepted labels equal to the item's final label


@dataclass(frozen=True, slots=True)
class DifficultyTier:
    """Items that needed at least ``min_labels`` valid labels pay ``reward`` per label."""

    min_labels: int
    reward: int


@dataclass(frozen=True, slots=True)
class BonusTier:
    """A score of at least ``min_score`` earns ``bp`` basis points of the period's rewards."""

    min_score: float
    bp: int


@dataclass(frozen=True, slots=True)
class BonusPolicy:
    metric: BonusMetric
    period_days: int
    min_labels: int
    tiers: tuple[BonusTier, ...]


@dataclass(frozen=True, slots=True)
class PayRule:
    """One version of a project's pay rule (see docs/payments.md for every key)."""

    currency: str
    reward: int
    by_template: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    by_difficulty: tuple[DifficultyTier, ...] = ()
    gold_pass: float = 1.0
    withhold_rejected: bool = True
    rejected_penalty: int = 0
    daily_cap: int | None = None
    bonus: BonusPolicy | None = None
    leaderboard: bool = False

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> PayRule:
        """Validate and build a rule.

        Raises:
            InvalidPayRule: unknown key, wrong type or shape (``details['field']``).
            PayRuleNegative: an amount below zero.
            PayRuleOverflow: an amount beyond :data:`~shoplabel.domain.money.MAX_AMOUNT`.
            UnknownCurrency: the currency is not known.
        """
        if not isinstance(raw, Mapping):
            raise InvalidPayRule("a pay rule must be a JSON object", details={"field": "rule"})
        unknown = sorted(set(raw) - _KEYS)
        if unknown:
            raise InvalidPayRule(
                f"unknown pay rule keys {unknown}; known: {sorted(_KEYS)}",
                details={"field": unknown[0]},
            )
        if "currency" not in raw or "reward" not in raw:
            raise InvalidPayRule(
                "a pay rule needs 'currency' and 'reward'",
                details={"field": "currency" if "currency" not in raw else "reward"},
            )
        cap = raw.get("daily_cap")
        return cls(
            currency=check_currency(raw["currency"]),
            reward=_amount(raw["reward"], "reward"),
            by_template=MappingProxyType(_templates(raw.get("by_template", {}))),
            by_difficulty=_difficulty(raw.get("by_difficulty", [])),
            gold_pass=_fraction(raw.get("gold_pass", 1.0), "gold_pass"),
            withhold_rejected=_flag(raw.get("withhold_rejected", True), "withhold_rejected"),
            rejected_penalty=_amount(raw.get("rejected_penalty", 0), "rejected_penalty"),
            daily_cap=None if cap is None else _amount(cap, "daily_cap"),
            bonus=None if raw.get("bonus") is None else _bonus(raw["bonus"]),
            leaderboard=_flag(raw.get("leaderboard", False), "leaderboard"),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "currency": self.currency,
            "reward": self.reward,
            "by_template": dict(self.by_template),
            "by_difficulty": [
                {"min_labels": t.min_labels, "reward": t.reward} for t in self.by_difficulty
            ],
            "gold_pass": self.gold_pass,
            "withhold_rejected": self.withhold_rejected,
            "rejected_penalty": self.rejected_penalty,
            "daily_cap": self.daily_cap,
            "bonus": None,
            "leaderboard": self.leaderboard,
        }
        if self.bonus is not None:
            b = self.bonus
            out["bonus"] = {
                "metric": b.metric.value,
                "period_days": b.period_days,
                "min_labels": b.min_labels,
                "tiers": [{"min_score": t.min_score, "bp": t.bp} for t in b.tiers],
            }
        return out


@dataclass(frozen=True, slots=True)
class PayRuleVersion:
    """A stored rule: it applies to work accepted at or after ``created_at``."""

    project_id: ProjectId
    version: int
    rule: PayRule
    created_at: datetime
    created_by: UserId | None


def _int(value: Any, name: str, *, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidPayRule(
            f"{name} must be an integer (minor units, no decimals), got {value!r}",
            details={"field": name},
        )
    if value < 0:
        raise PayRuleNegative(f"{name} must not be negative, got {value}", details={"field": name})
    if value > limit:
        raise PayRuleOverflow(
            f"{name} = {value} exceeds the limit of {limit}", details={"field": name}
        )
    return value


def _amount(value: Any, name: str) -> int:
    return _int(value, name, limit=MAX_AMOUNT)


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidPayRule(f"{name} must be true or false", details={"field": name})
    return value


def _fraction(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidPayRule(f"{name} must be a number in [0, 1]", details={"field": name})
    return float(value)


def _templates(raw: Any) -> dict[str, int]:
    if not isinstance(raw, Mapping):
        raise InvalidPayRule(
            "by_template must map template -> reward", details={"field": "by_template"}
        )
    return {str(k): _amount(v, f"by_template.{k}") for k, v in raw.items()}


def _list(raw: Any, name: str) -> list[Mapping[str, Any]]:
    if not isinstance(raw, list) or not all(isinstance(t, Mapping) for t in raw):
        raise InvalidPayRule(f"{name} must be a list of objects", details={"field": name})
    return raw


def _difficulty(raw: Any) -> tuple[DifficultyTier, ...]:
    tiers = []
    for i, t in enumerate(_list(raw, "by_difficulty")):
        name = f"by_difficulty[{i}]"
        if set(t) != {"min_labels", "reward"}:
            raise InvalidPayRule(
                f"{name} needs exactly min_labels and reward", details={"field": name}
            )
        tiers.append(
            DifficultyTier(
                _int(t["min_labels"], f"{name}.min_labels", limit=10_000),
                _amount(t["reward"], f"{name}.reward"),
            )
        )
    return tuple(sorted(tiers, key=lambda t: t.min_labels))


def _bonus(raw: Any) -> BonusPolicy:
    if not isinstance(raw, Mapping) or set(raw) - {"metric", "period_days", "min_labels", "tiers"}:
        raise InvalidPayRule(
            "bonus must be an object with metric, period_days, min_labels, tiers",
            details={"field": "bonus"},
        )
    try:
        metric = BonusMetric(str(raw.get("metric")))
    except ValueError:
        raise InvalidPayRule(
            f"bonus.metric must be one of {[m.value for m in BonusMetric]}",
            details={"field": "bonus.metric"},
        ) from None
    tiers = []
    for i, t in enumerate(_list(raw.get("tiers", []), "bonus.tiers")):
        name = f"bonus.tiers[{i}]"
        if set(t) != {"min_score", "bp"}:
            raise InvalidPayRule(f"{name} needs exactly min_score and bp", details={"field": name})
        tiers.append(
            BonusTier(
                _fraction(t["min_score"], f"{name}.min_score"),
                _int(t["bp"], f"{name}.bp", limit=MAX_BONUS_BP),
            )
        )
    if not tiers:
        raise InvalidPayRule("bonus.tiers must not be empty", details={"field": "bonus.tiers"})
    period = _int(raw.get("period_days", 7), "bonus.period_days", limit=366)
    if period == 0:
        raise InvalidPayRule(
            "bonus.period_days must be at least 1", details={"field": "bonus.period_days"}
        )
    return BonusPolicy(
        metric=metric,
        period_days=period,
        min_labels=_int(raw.get("min_labels", 1), "bonus.min_labels", limit=10**9),
        tiers=tuple(sorted(tiers, key=lambda t: t.min_score)),
    )


def rule_at(versions: Sequence[PayRuleVersion], when: datetime) -> PayRuleVersion | None:
    """The version in force at ``when``: the newest stored at or before it (``versions`` in
    any order); ``None`` before the first version."""
    live = [v for v in versions if v.created_at <= when]
    return max(live, key=lambda v: v.version) if live else None


def reward_for(rule: PayRule, *, template: str, n_labels: int) -> int:
    """Reward of one accepted label: the template's amount (else ``reward``), replaced by the
    highest difficulty tier the item reached (it needed ``n_labels`` valid labels)."""
    amount = rule.by_template.get(template, rule.reward)
    for tier in rule.by_difficulty:
        if n_labels >= tier.min_labels:
            amount = tier.reward
    return amount


def apply_cap(amount: int, *, earned_today: int, cap: int | None) -> tuple[int, int]:
    """Split ``amount`` into (paid, withheld) under a daily ``cap`` already ``earned_today``."""
    if cap is None:
        return amount, 0
    paid = max(0, min(amount, cap - earned_today))
    return paid, amount - paid


def bonus_amount(
    policy: BonusPolicy, *, score: float, n_scored: int, base: int
) -> tuple[int, BonusTier | None]:
    """The bonus on ``base`` (the period's rewards) for ``score`` measured on ``n_scored``
    labels: the highest tier reached, rounded down to a minor unit; nothing below
    ``min_labels``."""
    if n_scored < policy.min_labels or base <= 0:
        return 0, None
    reached = [t for t in policy.tiers if score >= t.min_score]
    if not reached:
        return 0, None
    tier = reached[-1]
    return base * tier.bp // 10_000, tier


def last_complete_period(today: date, period_days: int) -> tuple[date, date]:
    """``[start, end)`` of the latest period of ``period_days`` days (counted from
    1970-01-01) that ended on or before ``today``."""
    index = (today - _EPOCH).days // period_days - 1
    start = _EPOCH + timedelta(days=index * period_days)
    return start, start + timedelta(days=period_days)
