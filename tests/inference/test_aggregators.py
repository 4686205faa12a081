from __future__ import annotations

import numpy as np
import pytest

from shoplabel.inference import (
    AGGREGATORS,
    GLAD,
    MACE,
    AnnotationMatrix,
    DawidSkene,
    InvalidOptions,
    MajorityVote,
    OneCoinDawidSkene,
    OrdinalDawidSkene,
    ShrinkageDawidSkene,
    Wawa,
    WeightedMajorityVote,
)
from tests.inference.crowds import simulated

TOY = [
    # Workers a, b, c are right on every task; d is always wrong (says the other label).
    ("t1", "a", "1"), ("t1", "b", "1"), ("t1", "c", "1"), ("t1", "d", "0"),
    ("t2", "a", "0"), ("t2", "b", "0"), ("t2", "c", "0"), ("t2", "d", "1"),
    ("t3", "a", "1"), ("t3", "b", "1"), ("t3", "d", "0"),
    ("t4", "a", "0"), ("t4", "c", "0"), ("t4", "d", "1"),
    ("t5", "d", "0"), ("t5", "e", "0"),
]  # fmt: skip


def test_majority_vote_toy_and_ties() -> None:
    m = AnnotationMatrix.from_rows([("t", "a", "x"), ("t", "b", "y"), ("u", "a", "y")])
    result = MajorityVote().fit(m)
    assert result.probas.tolist() == [[0.5, 0.5], [0.0, 1.0]]
    assert result.predicted == ("x", "y")  # a tie goes to the first label
    assert result.worker_skill.tolist() == [1.0, 0.0]
    assert result.n_iter == 1


def test_dawid_skene_learns_the_adversarial_worker() -> None:
    m = AnnotationMatrix.from_rows(TOY)
    result = DawidSkene().fit(m)
    assert result.predicted[:4] == ("1", "0", "1", "0")
    # d is learned to flip labels, so on t5 "d says 0" is evidence for 1.
    assert result.predicted[4] == "1"
    d = m.worker_ids.index("d")
    assert result.confusion is not None
    assert result.confusion[d, 0, 1] > 0.9
    assert result.worker_skill[d] < 0.1
    assert result.converged


def test_weighted_majority_vote_uses_given_weights() -> None:
    m = AnnotationMatrix.from_rows([("t", "a", "x"), ("t", "b", "y"), ("t", "c", "y")])
    result = WeightedMajorityVote(weights={"a": 5.0}).fit(m)
    assert result.predicted == ("x",)
    assert result.probas[0].tolist() == pytest.approx([5 / 7, 2 / 7])
    with pytest.raises(InvalidOptions):
        WeightedMajorityVote(weights={"a": -1.0}).fit(m)


def test_wawa_downweights_disagreeing_worker() -> None:
    m = AnnotationMatrix.from_rows(TOY)
    result = Wawa().fit(m)
    assert result.worker_skill[m.worker_ids.index("d")] == pytest.approx(0.2)  # t5 only
    assert result.predicted[:4] == ("1", "0", "1", "0")


@pytest.mark.parametrize("name", sorted(AGGREGATORS))
def test_every_method_recovers_a_clean_simulated_crowd(name: str) -> None:
    m, truth = simulated(300, 20, 3, per_task=5, seed=3)
    result = AGGREGATORS[name]().fit(m)
    assert result.method == name
    assert result.probas.shape == (300, 3)
    assert np.allclose(result.probas.sum(axis=1), 1.0)
    assert result.worker_skill.shape == (20,)
    assert len(result.log_likelihood) in (0, result.n_iter)
    assert np.mean(result.label_idx == truth) > 0.85


@pytest.mark.parametrize("name", sorted(AGGREGATORS))
def test_gold_is_clamped_and_helps(name: str) -> None:
    m, truth = simulated(200, 15, 3, per_task=3, seed=5)
    gold_ids = {m.task_ids[i]: m.labels[truth[i]] for i in range(0, 200, 4)}
    gold = m.encode_gold(gold_ids)
    plain = AGGREGATORS[name]().fit(m)
    helped = AGGREGATORS[name]().fit(m, gold=gold)
    assert np.array_equal(helped.label_idx[gold.task_idx], gold.label_idx)
    assert np.allclose(helped.probas[gold.task_idx].max(axis=1), 1.0)
    rest = np.setdiff1d(np.arange(200), gold.task_idx)
    assert (
        np.mean(helped.label_idx[rest] == truth[rest])
        >= np.mean(plain.label_idx[rest] == truth[rest]) - 0.02
    )


@pytest.mark.parametrize("name", sorted(AGGREGATORS))
def test_degenerate_one_class_and_one_worker(name: str) -> None:
    one_class = AnnotationMatrix.from_rows([("t", "a", "x"), ("u", "b", "x")])
    result = AGGREGATORS[name]().fit(one_class)
    assert result.probas.tolist() == [[1.0], [1.0]]
    one_worker = AnnotationMatrix.from_rows([("t", "a", "x"), ("u", "a", "y"), ("v", "a", "y")])
    result = AGGREGATORS[name]().fit(one_worker)
    assert result.predicted == ("x", "y", "y")  # one worker: their answer, documented
    assert np.all(np.isfinite(result.probas))


@pytest.mark.parametrize(
    "algorithm",
    [
        DawidSkene(max_iter=0),
        OneCoinDawidSkene(tol=-1.0),
        GLAD(max_iter=0),
        MACE(competence_prior=(-1.0, 1.0)),
        OrdinalDawidSkene(strength=-1.0),
        ShrinkageDawidSkene(strength=-1.0),
    ],
)
def test_bad_options_are_rejected(algorithm: DawidSkene) -> None:
    m = AnnotationMatrix.from_rows(TOY)
    with pytest.raises(InvalidOptions):
        algorithm.fit(m)


def test_results_are_frozen_and_read_only() -> None:
    result = DawidSkene().fit(AnnotationMatrix.from_rows(TOY))
    with pytest.raises(ValueError, match="read-only"):
        result.probas[0, 0] = 0.5
    with pytest.raises(AttributeError):
        result.n_iter = 3  # type: ignore[misc]


def test_inputs_are_not_modified() -> None:
    m = AnnotationMatrix.from_rows(TOY)
    before = (m.task_idx.copy(), m.worker_idx.copy(), m.label_idx.copy())
    for cls in AGGREGATORS.values():
        cls().fit(m)
    after = (m.task_idx, m.worker_idx, m.label_idx)
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
