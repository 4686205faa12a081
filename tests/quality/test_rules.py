"""Rule engine: collector, conditions with hand-checked reasons, validation, JSON, merging."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoplabel.quality.actions import Action, ActionKind, merge_actions
from shoplabel.quality.conditions import CONDITIONS, implies
from shoplabel.quality.errors import (
    ContradictoryRules,
    InvalidQualityInput,
    InvalidRule,
    UnknownRuleAction,
    UnknownRuleCondition,
)
from shoplabel.quality.gold import BetaAccuracy
from shoplabel.quality.params import Stricter
from shoplabel.quality.rules import DEFAULT_RULES, Rule, RuleSet, evaluate
from shoplabel.quality.stats import WorkerStats, collect_stats, longest_run

FAST = settings(max_examples=40, deadline=None, derandomize=True)
WARN = Action(ActionKind.WARN)
BAN = Action(ActionKind.BAN_FROM_PROJECT)


def _rule(name: str, condition: str, actions: tuple[Action, ...], **params: float) -> Rule:
    return Rule(name, condition, params, actions)


def test_collect_stats_hand_checked() -> None:
    stats = collect_stats(
        [1.0, 1.5, 4.0, 0.5, 10.0],
        ["a", "a", "b", "a", "a"],
        skips=[False, True, True, False, True, True, True],
        gold_credit=[1.0, 0.0, 0.5],
        agreed=[True, True, False, True],
    )
    assert stats.n_labels == 5
    assert stats.median_seconds == 1.5
    assert stats.fast_fraction == pytest.approx(3 / 5)  # 1.0, 1.5, 0.5 < 2 s
    assert stats.constant_answer_fraction == pytest.approx(4 / 5)
    assert stats.longest_skip_streak == 3
    assert stats.gold_accuracy == BetaAccuracy(3.5, 2.5)
    assert stats.n_gold == 3
    assert stats.consensus_agreement == 0.75 and stats.n_consensus == 4


def test_collect_stats_empty_and_bad_input() -> None:
    stats = collect_stats([], [])
    assert stats.median_seconds is None and stats.consensus_agreement is None
    assert longest_run([]) == 0
    with pytest.raises(InvalidQualityInput):
        collect_stats([1.0], [])
    with pytest.raises(InvalidQualityInput):
        collect_stats([-1.0], ["a"])
    with pytest.raises(InvalidQualityInput):
        WorkerStats(n_labels=3, fast_fraction=1.5)


def test_too_fast_reason_quotes_the_numbers() -> None:
    rule = _rule("fast", "too_fast", (WARN,), max_median_seconds=3, min_labels=20)
    stats = WorkerStats(n_labels=40, median_seconds=1.2, fast_fraction=0.3)
    (decision,) = evaluate(RuleSet((rule,)), stats)
    assert decision.reason == "median 1.2 s per label < 3 s over 40 labels"
    assert decision.actions == (WARN,) and decision.rule == "fast"
    both = WorkerStats(n_labels=40, median_seconds=1.2, fast_fraction=0.75)
    assert evaluate(RuleSet((rule,)), both)[0].reason == (
        "median 1.2 s per label < 3 s and 75% fast labels > 50% over 40 labels"
    )
    assert evaluate(RuleSet((rule,)), WorkerStats(n_labels=19, median_seconds=0.1)) == ()
    assert evaluate(RuleSet((rule,)), WorkerStats(n_labels=40, median_seconds=3.0)) == ()


@pytest.mark.parametrize(
    ("condition", "stats", "reason"),
    [
        ("constant_answers", WorkerStats(n_labels=40, constant_answer_fraction=0.975),
         "98% of 40 labels are the same answer > 95%"),
        ("skip_streak", WorkerStats(n_labels=0, longest_skip_streak=21), "21 skips in a row > 20"),
        ("low_gold_accuracy", WorkerStats(n_labels=0, gold_accuracy=BetaAccuracy(5, 11), n_gold=13),
         "gold accuracy 31% over 13 gold answers, 90% upper bound 46% < 70%"),
        ("low_agreement", WorkerStats(n_labels=60, consensus_agreement=0.5, n_consensus=60),
         "agreement with consensus 50% over 60 labels, 90% upper bound 58% < 60%"),
    ],
)  # fmt: skip
def test_conditions_fire_with_default_params(
    condition: str, stats: WorkerStats, reason: str
) -> None:
    (decision,) = evaluate(RuleSet((_rule("r", condition, (WARN,)),)), stats)
    assert decision.reason == reason
    assert decision.condition == condition


def test_confident_bounds_protect_good_and_new_workers() -> None:
    good = WorkerStats(n_labels=200, consensus_agreement=0.85, n_consensus=200,
                       gold_accuracy=BetaAccuracy.from_counts(17, 3), n_gold=20)  # fmt: skip
    assert evaluate(DEFAULT_RULES, good) == ()
    unlucky_newcomer = WorkerStats(
        n_labels=0, gold_accuracy=BetaAccuracy.from_counts(1, 4), n_gold=5
    )
    assert evaluate(DEFAULT_RULES, unlucky_newcomer) == ()  # below min_gold = 8


def test_default_rules_exclude_a_random_binary_spammer() -> None:
    spammer = WorkerStats(
        n_labels=60, median_seconds=4.0, consensus_agreement=0.5, n_consensus=60,
        gold_accuracy=BetaAccuracy.from_counts(6, 6), n_gold=12,
    )  # fmt: skip
    fired = {d.rule for d in evaluate(DEFAULT_RULES, spammer)}
    assert fired == {"low-agreement", "very-low-agreement", "low-gold-accuracy"}
    merged = merge_actions(a for d in evaluate(DEFAULT_RULES, spammer) for a in d.actions)
    assert [a.kind for a in merged] == [
        ActionKind.BAN_FROM_PROJECT, ActionKind.REJECT_LABELS, ActionKind.REQUEUE_ITEMS,
        ActionKind.WARN,
    ]  # fmt: skip


def test_default_rules_only_warn_on_a_skewed_answer_share_or_moderate_disagreement() -> None:
    # On a 88/12 project a careful worker gives the majority class 96% of the time and a
    # worker at 0.95 accuracy can show < 70% agreement with an early consensus: both are
    # told, neither loses label weight (the aggregator already weighs them by their fitted
    # confusion; down-weighting them cost accuracy and labels on the D_Product replay).
    skewed = WorkerStats(n_labels=300, constant_answer_fraction=0.96,
                         consensus_agreement=0.65, n_consensus=40)  # fmt: skip
    decisions = evaluate(DEFAULT_RULES, skewed)
    assert {d.rule for d in decisions} == {"constant-answers", "low-agreement"}
    merged = merge_actions(a for d in decisions for a in d.actions)
    assert [a.kind for a in merged] == [ActionKind.WARN]


def test_merge_actions_resolves_overlaps() -> None:
    merged = merge_actions([
        Action(ActionKind.SUSPEND, {"hours": 2}), Action(ActionKind.SUSPEND, {"hours": 48}),
        Action(ActionKind.DOWNWEIGHT_LABELS, {"factor": 0.8}),
        Action(ActionKind.DOWNWEIGHT_LABELS, {"factor": 0.3}), WARN, WARN,
    ])  # fmt: skip
    assert merged == (
        Action(ActionKind.SUSPEND, {"hours": 48}),
        Action(ActionKind.DOWNWEIGHT_LABELS, {"factor": 0.3}),
        WARN,
    )
    assert merge_actions([BAN, Action(ActionKind.SUSPEND), Action(ActionKind.REJECT_LABELS),
                          Action(ActionKind.DOWNWEIGHT_LABELS)]) == (
        BAN, Action(ActionKind.REJECT_LABELS))  # fmt: skip


def test_rule_fills_defaults_and_rejects_bad_rules() -> None:
    rule = Rule("fast", "too_fast", {}, (WARN,))
    assert dict(rule.params) == {"max_median_seconds": 3.0, "max_fast_fraction": 0.5,
                                 "min_labels": 20}  # fmt: skip
    with pytest.raises(UnknownRuleCondition) as unknown:
        Rule("x", "too_slow", {}, (WARN,))
    assert "too_fast" in unknown.value.message
    with pytest.raises(UnknownRuleAction):
        Action("shout")  # type: ignore[arg-type]
    bad: list[dict[str, Any]] = [
        {"name": "", "condition": "too_fast", "actions": [{"kind": "warn"}]},
        {"name": "a", "condition": "too_fast", "actions": []},
        {"name": "a", "condition": "too_fast", "params": {"max_median_seconds": -1},
         "actions": [{"kind": "warn"}]},
        {"name": "a", "condition": "too_fast", "params": {"min_labels": 2.5},
         "actions": [{"kind": "warn"}]},
        {"name": "a", "condition": "too_fast", "params": {"speed": 1},
         "actions": [{"kind": "warn"}]},
        {"name": "a", "condition": "too_fast", "actions": [{"kind": "warn"}, {"kind": "warn"}]},
        {"name": "a", "condition": "too_fast",
         "actions": [{"kind": "reject_labels"}, {"kind": "downweight_labels"}]},
        {"name": "a", "condition": "too_fast", "actions": [{"kind": "ban_from_project"},
                                                           {"kind": "suspend"}]},
        {"name": "a", "condition": "too_fast", "actions": [{"kind": "suspend", "hours": 0}]},
        {"name": "a", "condition": "too_fast", "actions": [{"kind": "warn"}], "when": "now"},
        {"name": "a", "condition": "too_fast", "params": [], "actions": [{"kind": "warn"}]},
    ]  # fmt: skip
    for raw in bad:
        with pytest.raises(InvalidRule):
            Rule.from_dict(raw)


def test_ruleset_rejects_contradictions() -> None:
    warn_strict = _rule("warn", "too_fast", (WARN,), max_median_seconds=2)
    ban_loose = _rule("ban", "too_fast", (BAN,), max_median_seconds=3)
    with pytest.raises(ContradictoryRules) as inverted:
        RuleSet((warn_strict, ban_loose))
    assert inverted.value.code == "contradictory_rules"
    assert inverted.value.details["rules"] == ["warn", "ban"]
    with pytest.raises(ContradictoryRules):  # same thresholds, different actions
        RuleSet((_rule("a", "skip_streak", (WARN,)), _rule("b", "skip_streak", (BAN,))))
    with pytest.raises(ContradictoryRules):  # duplicate names
        RuleSet((_rule("a", "skip_streak", (WARN,)), _rule("a", "too_fast", (WARN,))))
    # escalation in the right direction, unrelated thresholds, and other conditions are fine
    RuleSet((_rule("warn", "too_fast", (WARN,), max_median_seconds=3),
              _rule("ban", "too_fast", (BAN,), max_median_seconds=1, min_labels=50),
              _rule("odd", "too_fast", (BAN,), max_median_seconds=5, min_labels=500),
              _rule("skip", "skip_streak", (BAN,))))  # fmt: skip


def test_ruleset_json_round_trip_and_bad_shapes() -> None:
    text = json.dumps(DEFAULT_RULES.to_dict())
    assert RuleSet.from_dict(json.loads(text)) == DEFAULT_RULES
    bad: list[Any] = [{}, {"rules": "x"}, {"rules": [], "extra": 1}, []]
    for raw in bad:
        with pytest.raises(InvalidRule):
            RuleSet.from_dict(raw)
    hash(DEFAULT_RULES)


_stats = st.builds(
    WorkerStats,
    n_labels=st.integers(0, 500),
    median_seconds=st.none() | st.floats(0.0, 60.0),
    fast_fraction=st.floats(0.0, 1.0),
    constant_answer_fraction=st.floats(0.0, 1.0),
    longest_skip_streak=st.integers(0, 100),
    gold_accuracy=st.builds(BetaAccuracy, st.floats(0.5, 80.0), st.floats(0.5, 80.0)),
    n_gold=st.integers(0, 100),
    consensus_agreement=st.none() | st.floats(0.0, 1.0),
    n_consensus=st.integers(0, 500),
)


def _param_values(condition: str) -> st.SearchStrategy[dict[str, float]]:
    specs = CONDITIONS[condition].params
    return st.fixed_dictionaries({
        s.name: st.integers(int(s.lo), 200) if s.integer else st.floats(s.lo, s.hi)
        for s in specs
    })  # fmt: skip


_rules = st.sampled_from(sorted(CONDITIONS)).flatmap(
    lambda c: st.builds(
        lambda p, kinds: Rule(f"r-{c}", c, p, tuple(Action(k) for k in kinds)),
        _param_values(c),
        st.sampled_from([(ActionKind.WARN,), (ActionKind.SUSPEND, ActionKind.REJECT_LABELS),
                         (ActionKind.BAN_FROM_PROJECT, ActionKind.REQUEUE_ITEMS)]),
    )
)  # fmt: skip


@FAST
@given(rule=_rules)
def test_rules_round_trip_through_json(rule: Rule) -> None:
    ruleset = RuleSet((rule,))
    assert RuleSet.from_dict(json.loads(json.dumps(ruleset.to_dict()))) == ruleset


@FAST
@given(stats=_stats)
def test_evaluate_is_deterministic(stats: WorkerStats) -> None:
    first = evaluate(DEFAULT_RULES, stats)
    assert first == evaluate(DEFAULT_RULES, stats)
    assert all(d.reason for d in first)
    assert [d.rule for d in first] == [r.name for r in DEFAULT_RULES.rules if r.name in
                                       {d.rule for d in first}]  # fmt: skip


@FAST
@given(stats=_stats, condition=st.sampled_from(sorted(CONDITIONS)), data=st.data())
def test_stricter_rule_fires_only_where_looser_fires(
    stats: WorkerStats, condition: str, data: st.DataObject
) -> None:
    a = Rule("a", condition, data.draw(_param_values(condition)), (WARN,))
    b = Rule("b", condition, data.draw(_param_values(condition)), (WARN,))
    if implies(condition, a.params, b.params) and evaluate(RuleSet((a,)), stats):
        assert evaluate(RuleSet((b,)), stats)


@FAST
@given(condition=st.sampled_from(sorted(CONDITIONS)), data=st.data())
def test_inverted_escalations_are_always_rejected(condition: str, data: st.DataObject) -> None:
    strict = data.draw(_param_values(condition))
    loose = dict(strict)  # identical thresholds: a tie, always contradictory
    with pytest.raises(ContradictoryRules):
        RuleSet((Rule("mild", condition, strict, (WARN,)), Rule("harsh", condition, loose, (BAN,))))


@FAST
@given(condition=st.sampled_from(sorted(CONDITIONS)), data=st.data())
def test_relaxed_harsher_rule_is_an_escalation_inversion(
    condition: str, data: st.DataObject
) -> None:
    strict = data.draw(_param_values(condition))
    loose: dict[str, float] = {}
    for spec in CONDITIONS[condition].params:
        toward = spec.lo if spec.stricter is Stricter.HIGHER else spec.hi
        step = data.draw(st.floats(0.0, 1.0))
        value = strict[spec.name] + step * (toward - strict[spec.name])
        loose[spec.name] = round(value) if spec.integer else value
    mild, harsh = Rule("mild", condition, strict, (WARN,)), Rule("harsh", condition, loose, (BAN,))
    with pytest.raises(ContradictoryRules):
        RuleSet((mild, harsh))
    if loose != strict:  # the same pair the right way round is a valid escalation
        RuleSet((Rule("mild", condition, loose, (WARN,)), Rule("harsh", condition, strict, (BAN,))))
