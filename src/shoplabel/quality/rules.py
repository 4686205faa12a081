"""The quality-control rule engine: collector -> condition -> action.

- *Collector*: :func:`~shoplabel.quality.stats.collect_stats` turns a worker's events into
  :class:`~shoplabel.quality.stats.WorkerStats`.
- *Condition*: a named predicate of :data:`~shoplabel.quality.conditions.CONDITIONS` with
  numeric parameters.
- *Action*: :class:`~shoplabel.quality.actions.Action` values the service applies.

A :class:`Rule` ties one condition to its actions; a :class:`RuleSet` is validated when it
is built, so a project can never store a contradictory one. Rules are plain JSON
(:meth:`RuleSet.to_dict` / :meth:`RuleSet.from_dict`). :func:`evaluate` returns one
:class:`Decision` per fired rule, each with a reason that quotes the numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Final

from shoplabel.quality.actions import INCOMPATIBLE, Action, ActionKind
from shoplabel.quality.conditions import CONDITIONS, implies
from shoplabel.quality.errors import ContradictoryRules, InvalidRule, UnknownRuleCondition
from shoplabel.quality.params import resolve_params
from shoplabel.quality.stats import WorkerStats

__all__ = ["DEFAULT_RULES", "Decision", "Rule", "RuleSet", "evaluate"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_RULE_KEYS = frozenset({"name", "condition", "params", "actions"})


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: when ``condition`` (with ``params``) fires, apply ``actions``.

    Missing parameters are filled with their defaults at construction, so a stored rule
    keeps its thresholds even if a later release changes a default.

    Attributes:
        name: Unique in its set; lower-case letters, digits, ``-`` and ``_``, at most 64.
        condition: A key of :data:`~shoplabel.quality.conditions.CONDITIONS`.
        params: Condition parameters.
        actions: At least one action, no kind twice, no incompatible pair.

    Raises:
        InvalidRule: Bad name, parameter or action list.
        UnknownRuleCondition: Unknown condition.
    """

    name: str
    condition: str
    params: Mapping[str, float] = field(default_factory=dict)
    actions: tuple[Action, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise InvalidRule(
                f"rule name must match {_NAME.pattern}, got {self.name!r}",
                details={"rule": str(self.name)},
            )
        spec = CONDITIONS.get(self.condition)
        if spec is None:
            raise UnknownRuleCondition(
                f"rule {self.name!r}: unknown condition {self.condition!r}; "
                f"known: {sorted(CONDITIONS)}",
                details={"rule": self.name, "condition": self.condition},
            )
        where = f"rule {self.name!r}"
        object.__setattr__(self, "params", resolve_params(spec.params, self.params, where=where))
        object.__setattr__(self, "actions", tuple(self.actions))
        _check_actions(self.name, self.actions)

    def __hash__(self) -> int:
        return hash((self.name, self.condition, tuple(sorted(self.params.items())), self.actions))

    @property
    def severity(self) -> int:
        """Severity of the rule's most severe action."""
        return max(a.severity for a in self.actions)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; :meth:`from_dict` inverts it exactly."""
        return {
            "name": self.name,
            "condition": self.condition,
            "params": dict(self.params),
            "actions": [a.to_dict() for a in self.actions],
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Rule:
        """Parse a rule object; ``params`` is optional.

        Raises:
            InvalidRule: Not an object, unknown or missing keys, or any rule error.
        """
        if not isinstance(raw, Mapping):
            raise InvalidRule(f"a rule must be an object, got {raw!r}")
        unknown = sorted(set(raw) - _RULE_KEYS)
        missing = sorted({"name", "condition", "actions"} - set(raw))
        if unknown or missing:
            raise InvalidRule(
                f"rule {raw.get('name')!r}: unknown keys {unknown}, missing keys {missing}",
                details={"rule": str(raw.get("name"))},
            )
        params, actions = raw.get("params", {}), raw["actions"]
        if not isinstance(params, Mapping) or not isinstance(actions, list):
            raise InvalidRule(
                f"rule {raw['name']!r}: 'params' must be an object and 'actions' a list",
                details={"rule": str(raw["name"])},
            )
        return cls(
            raw["name"], raw["condition"], params, tuple(Action.from_dict(a) for a in actions)
        )


def _check_actions(name: str, actions: tuple[Action, ...]) -> None:
    details = {"rule": name}
    if not actions or not all(isinstance(a, Action) for a in actions):
        raise InvalidRule(f"rule {name!r} needs at least one action", details=details)
    kinds = [a.kind for a in actions]
    if len(set(kinds)) != len(kinds):
        raise InvalidRule(f"rule {name!r} lists an action twice: {kinds}", details=details)
    for pair in INCOMPATIBLE:
        if pair <= set(kinds):
            raise InvalidRule(
                f"rule {name!r} has incompatible actions {sorted(pair)}", details=details
            )


def _check_pair(a: Rule, b: Rule) -> None:
    """Reject two rules on one condition that tie or invert the escalation order."""
    a_in_b = implies(a.condition, a.params, b.params)
    b_in_a = implies(b.condition, b.params, a.params)
    details = {"rules": [a.name, b.name], "condition": a.condition}
    if a_in_b and b_in_a:
        raise ContradictoryRules(
            f"rules {a.name!r} and {b.name!r} use condition {a.condition!r} with the same "
            "thresholds, so they always fire together; merge them into one rule",
            details=details,
        )
    if a_in_b and a.severity < b.severity:
        raise _inversion(a, b, details)
    if b_in_a and b.severity < a.severity:
        raise _inversion(b, a, details)


def _inversion(strict: Rule, loose: Rule, details: Mapping[str, Any]) -> ContradictoryRules:
    return ContradictoryRules(
        f"rule {strict.name!r} ({_acts(strict)}) has thresholds at least as strict as rule "
        f"{loose.name!r} ({_acts(loose)}) but a milder action: every worker it fires on is "
        "also hit by the harsher rule. Give the harsher actions the stricter thresholds",
        details=details,
    )


def _acts(rule: Rule) -> str:
    return ", ".join(a.describe() for a in rule.actions)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A validated, ordered set of rules.

    Contradictions rejected (``ContradictoryRules``): two rules with one name; two rules on
    one condition with the same thresholds; and an *escalation inversion*, where rule A's
    thresholds are at least as strict as rule B's (A can only fire when B fires) but A's
    most severe action is milder than B's - A's milder response would never happen alone.

    Raises:
        ContradictoryRules: See above.
        InvalidRule: An element is not a :class:`Rule`.
    """

    rules: tuple[Rule, ...] = ()

    def __post_init__(self) -> None:
        rules = tuple(self.rules)
        object.__setattr__(self, "rules", rules)
        if not all(isinstance(r, Rule) for r in rules):
            raise InvalidRule("a rule set holds Rule values only")
        seen: set[str] = set()
        for rule in rules:
            if rule.name in seen:
                raise ContradictoryRules(
                    f"two rules are named {rule.name!r}", details={"rules": [rule.name]}
                )
            seen.add(rule.name)
        for a, b in combinations(rules, 2):
            if a.condition == b.condition:
                _check_pair(a, b)

    def to_dict(self) -> dict[str, Any]:
        """``{"rules": [...]}``, JSON-ready."""
        return {"rules": [r.to_dict() for r in self.rules]}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RuleSet:
        """Parse :meth:`to_dict` output (and validate the whole set).

        Raises:
            InvalidRule: Malformed input; ``ContradictoryRules`` for a contradictory set.
        """
        rules = raw.get("rules") if isinstance(raw, Mapping) else None
        if not isinstance(rules, Sequence) or isinstance(rules, str) or set(raw) != {"rules"}:
            raise InvalidRule('a rule set must be an object {"rules": [...]}')
        return cls(tuple(Rule.from_dict(r) for r in rules))


@dataclass(frozen=True, slots=True)
class Decision:
    """A fired rule: what to do and why.

    Attributes:
        rule: The rule's name.
        condition: The rule's condition.
        actions: The rule's actions.
        reason: Human-readable, with the numbers, e.g.
            ``"median 1.2 s per label < 3 s over 40 labels"``.
    """

    rule: str
    condition: str
    actions: tuple[Action, ...]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the audit record."""
        return {
            "rule": self.rule,
            "condition": self.condition,
            "actions": [a.to_dict() for a in self.actions],
            "reason": self.reason,
        }


def evaluate(ruleset: RuleSet, stats: WorkerStats) -> tuple[Decision, ...]:
    """Evaluate every rule on one worker's statistics, in rule order.

    Deterministic: the same inputs always give equal decisions. Combine the actions of all
    decisions with :func:`~shoplabel.quality.actions.merge_actions` before applying them.
    """
    decisions = []
    for rule in ruleset.rules:
        reason = CONDITIONS[rule.condition].check(stats, rule.params)
        if reason is not None:
            decisions.append(Decision(rule.name, rule.condition, rule.actions, reason))
    return tuple(decisions)


def _act(kind: ActionKind, **params: float) -> Action:
    return Action(kind, params)


_W, _DOWN = _act(ActionKind.WARN), _act(ActionKind.DOWNWEIGHT_LABELS, factor=0.5)
_EXCLUDE = (
    _act(ActionKind.BAN_FROM_PROJECT),
    _act(ActionKind.REJECT_LABELS),
    _act(ActionKind.REQUEUE_ITEMS),
)

DEFAULT_RULES: Final[RuleSet] = RuleSet(
    (
        Rule("too-fast", "too_fast", {"max_median_seconds": 3.0, "max_fast_fraction": 0.5,
             "min_labels": 20}, (_W,)),
        Rule("much-too-fast", "too_fast", {"max_median_seconds": 1.5, "max_fast_fraction": 0.8,
             "min_labels": 40}, (_W, _act(ActionKind.SUSPEND, hours=24.0), _DOWN)),
        Rule("constant-answers", "constant_answers", {"max_share": 0.95, "min_labels": 30},
             (_W,)),
        Rule("skip-streak", "skip_streak", {"max_streak": 20}, (_W,)),
        Rule("low-agreement", "low_agreement", {"min_agreement": 0.7, "level": 0.5,
             "min_labels": 20}, (_W,)),
        Rule("very-low-agreement", "low_agreement", {"min_agreement": 0.6, "level": 0.9,
             "min_labels": 20}, _EXCLUDE),
        Rule("low-gold-accuracy", "low_gold_accuracy", {"min_accuracy": 0.7, "level": 0.9,
             "min_gold": 8}, _EXCLUDE),
        Rule("near-chance", "near_chance", {"alpha": 0.01, "min_scored": 10}, _EXCLUDE),
    )
)  # fmt: skip
"""Defaults: warn early (a skewed answer share or moderate disagreement only warns: the
aggregator already weighs workers by their fitted confusion), exclude (ban, drop the labels,
re-queue their items) only when the worker is *confidently* bad - a 90 % upper credible bound
below 60 % agreement or 70 % gold accuracy. A binary-task spammer answering at random is
excluded after about 40 labels on items with a consensus, or about 12 gold answers
(``min_gold`` is 8); a careful worker at 85 % practically never is.
``near-chance`` runs on every label checked against gold or its item's leave-one-out posterior
(:mod:`~shoplabel.quality.screening`): a random answerer is excluded once chance is 100 times
as likely as the average worker and their mean agreement with the references is at most
0.65, and all their labels are dropped retroactively.
See ``docs/quality.md`` for the reasoning behind each number."""
