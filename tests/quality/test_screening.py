"""The online chance test: evidence per label, the running statistic, per-class counts."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoplabel.quality import (
    DEFAULT_RULES,
    RuleSet,
    WorkerStats,
    chance_threshold,
    class_skill,
    evaluate,
    fold_class_counts,
    fold_llr,
    label_evidence,
)
from shoplabel.quality.conditions import implies
from shoplabel.quality.errors import InvalidQualityInput

AVERAGE = np.array([[0.85, 0.15], [0.2, 0.8]])  # the average worker, true class on axis 0


def test_label_evidence_signs_and_agreement() -> None:
    wrong = label_evidence([0.95, 0.05], 1, AVERAGE)
    right = label_evidence([0.95, 0.05], 0, AVERAGE)
    assert wrong.llr > 0 > right.llr
    assert wrong.agreement == pytest.approx(0.05) and right.agreement == pytest.approx(0.95)
    # log(1/2) - log(0.95 * 0.15 + 0.05 * 0.8)
    assert wrong.llr == pytest.approx(math.log(0.5) - math.log(0.1825))


def test_an_uninformative_reference_is_no_evidence() -> None:
    symmetric = np.array([[0.8, 0.2], [0.2, 0.8]])
    assert label_evidence([0.5, 0.5], 0, symmetric).llr == pytest.approx(0.0)
    assert label_evidence([0.5, 0.5], 1, symmetric).llr == pytest.approx(0.0)


@given(
    st.lists(st.floats(0.01, 1.0), min_size=2, max_size=5),
    st.floats(0.3, 0.95),
)
def test_likelihood_ratio_is_a_martingale_under_the_average_worker(
    ref: list[float], skill: float
) -> None:
    """E[exp(llr)] = 1 when answers follow the average worker: the basis of the alpha bound."""
    k = len(ref)
    r = np.asarray(ref) / sum(ref)
    average = np.full((k, k), (1 - skill) / (k - 1)) + np.eye(k) * (skill - (1 - skill) / (k - 1))
    p_answer = r @ average
    expected = sum(p_answer[y] * math.exp(label_evidence(r, y, average).llr) for y in range(k))
    assert expected == pytest.approx(1.0)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(InvalidQualityInput):
        label_evidence([1.0], 0, AVERAGE)
    with pytest.raises(InvalidQualityInput):
        label_evidence([0.5, 0.5], 2, AVERAGE)
    with pytest.raises(InvalidQualityInput):
        label_evidence([0.5, 0.5, 0.0], 0, AVERAGE)
    with pytest.raises(InvalidQualityInput):
        chance_threshold(0.0)


def test_fold_llr_is_floored_so_good_records_cannot_bank_unlimited_credit() -> None:
    assert fold_llr(0.0, [-5.0] * 10, alpha=0.01) == pytest.approx(-2 * math.log(100))
    assert fold_llr(-1.0, [0.5, 0.25], alpha=0.01) == pytest.approx(-0.25)


def _run(answers_right: np.ndarray, refs: np.ndarray) -> float:
    incs = [
        label_evidence([p, 1 - p], 0 if ok else 1, AVERAGE).llr
        for ok, p in zip(answers_right, refs, strict=True)
    ]
    return fold_llr(0.0, incs, alpha=0.01)


def test_random_answerers_are_flagged_and_average_workers_are_not() -> None:
    """Monte Carlo on a binary task with settled-item references around 0.95."""
    rng = np.random.default_rng(0)
    threshold = chance_threshold(0.01)
    n_workers, n_labels = 200, 60
    flagged_random = flagged_average = 0
    for _ in range(n_workers):
        refs = rng.uniform(0.9, 0.99, n_labels)
        flagged_random += _run(rng.random(n_labels) < 0.5, refs) >= threshold
        # an average worker (about 0.83 accurate) checked against the same references
        flagged_average += _run(rng.random(n_labels) < 0.83, refs) >= threshold
    assert flagged_random / n_workers > 0.95
    assert flagged_average / n_workers < 0.01


def test_class_counts_and_skill() -> None:
    counts = fold_class_counts({}, ["a", "b"], [1.0, 0.0], 0)  # gold "a", answered "a"
    counts = fold_class_counts(counts, ["a", "b"], [0.25, 0.75], 0)  # soft: mostly "b"
    assert counts == {"a": [1.25, 1.25], "b": [0.75, 0.0]}
    skill = class_skill(counts, ["a", "b"], prior=(1.0, 1.0))
    assert skill.mean.tolist() == pytest.approx([(1.25 + 1) / (1.25 + 2), 1 / (0.75 + 2)])
    with pytest.raises(InvalidQualityInput):
        fold_class_counts({}, ["a", "b", "c"], [1.0, 0.0], 0)


def test_near_chance_rule_fires_with_its_reason() -> None:
    stats = WorkerStats(n_labels=30, chance_llr=5.0, n_scored=30, reference_agreement=0.5)
    fired = [d for d in evaluate(DEFAULT_RULES, stats) if d.rule == "near-chance"]
    assert len(fired) == 1
    assert "30 checked labels" in fired[0].reason and "50%" in fired[0].reason
    kinds = {a.kind.value for a in fired[0].actions}
    assert kinds == {"ban_from_project", "reject_labels", "requeue_items"}
    calm = WorkerStats(n_labels=30, chance_llr=4.0, n_scored=30)
    assert not [d for d in evaluate(DEFAULT_RULES, calm) if d.rule == "near-chance"]
    few = WorkerStats(n_labels=5, chance_llr=9.0, n_scored=5)
    assert not [d for d in evaluate(DEFAULT_RULES, few) if d.rule == "near-chance"]


def test_near_chance_spares_a_worker_who_tracks_the_references() -> None:
    # A worse-than-average but informative worker (agreement 0.8) can drift over the chance
    # threshold against a very good average worker; the agreement guard keeps them.
    mediocre = WorkerStats(n_labels=600, chance_llr=5.0, n_scored=580, reference_agreement=0.8)
    assert not [d for d in evaluate(DEFAULT_RULES, mediocre) if d.rule == "near-chance"]
    at_guard = replace(mediocre, reference_agreement=0.65)
    assert [d.rule for d in evaluate(DEFAULT_RULES, at_guard) if d.rule == "near-chance"] == [
        "near-chance"
    ]
    assert implies(
        "near_chance",
        {"alpha": 0.01, "min_scored": 10, "max_agreement": 0.5},
        {"alpha": 0.01, "min_scored": 10, "max_agreement": 0.65},
    )
    assert not implies(
        "near_chance",
        {"alpha": 0.01, "min_scored": 10, "max_agreement": 0.9},
        {"alpha": 0.01, "min_scored": 10, "max_agreement": 0.65},
    )


def test_a_smaller_alpha_is_stricter() -> None:
    assert implies(
        "near_chance", {"alpha": 0.001, "min_scored": 20}, {"alpha": 0.01, "min_scored": 10}
    )
    assert not implies(
        "near_chance", {"alpha": 0.1, "min_scored": 20}, {"alpha": 0.01, "min_scored": 10}
    )
    rules = RuleSet.from_dict(
        {
            "rules": [
                {"name": "warn", "condition": "near_chance", "params": {"alpha": 0.05},
                 "actions": [{"kind": "warn"}]},
                {"name": "ban", "condition": "near_chance", "params": {"alpha": 0.001},
                 "actions": [{"kind": "ban_from_project"}]},
            ]
        }
    )  # fmt: skip
    assert [r.name for r in rules.rules] == ["warn", "ban"]
