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
from shoplabel.inference.shrinkage import STRENGTH_GRID, empirical_strength
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


def _dm_scores(counts: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Dirichlet-multinomial log marginal per (grid strength, true class), by brute force."""
    from scipy.special import gammaln

    out = np.empty((STRENGTH_GRID.size, counts.shape[1]))
    for i, s in enumerate(STRENGTH_GRID):
        a = s * centre
        rows = gammaln(s) - gammaln(counts.sum(axis=2) + s)
        out[i] = rows.sum(axis=0) + (gammaln(counts + a) - gammaln(a)).sum(axis=(0, 2))
    return out


def _one_coin_rows(n_workers: int, n_labels: int, accuracy: float) -> np.ndarray:
    off = (1.0 - accuracy) / (n_labels - 1)
    rows = np.full((n_labels, n_labels), off) + np.eye(n_labels) * (accuracy - off)
    return np.broadcast_to(rows, (n_workers, n_labels, n_labels)).copy()


@pytest.mark.parametrize("concentration", [0.5, 3.0, 30.0])
def test_empirical_strength_recovers_the_spread_of_workers_rows(concentration: float) -> None:
    # Each worker's rows are drawn from Dirichlet(concentration * centre), then 40 answers
    # per row: the estimate is the brute-force grid maximum and lands near the truth.
    rng = np.random.default_rng(1)
    centre = _one_coin_rows(400, 3, 0.7)
    rows = np.apply_along_axis(lambda p: rng.dirichlet(concentration * p), 2, centre)
    counts = np.apply_along_axis(lambda p: rng.multinomial(40, p), 2, rows).astype(float)
    pos = empirical_strength(counts, centre)
    assert pos.tolist() == np.argmax(_dm_scores(counts, centre), axis=0).tolist()
    assert np.all(np.abs(np.log(STRENGTH_GRID[pos] / concentration)) < np.log(2.0))


def test_empirical_strength_climbs_from_any_start() -> None:
    rng = np.random.default_rng(2)
    centre = _one_coin_rows(50, 4, 0.8)
    counts = np.apply_along_axis(lambda p: rng.multinomial(10, p), 2, centre).astype(float)
    best = np.argmax(_dm_scores(counts, centre), axis=0)
    for start in (0, STRENGTH_GRID.size - 1):
        climbed = empirical_strength(counts, centre, np.full(4, start))
        assert climbed.tolist() == best.tolist()


def test_single_answer_tasks_get_the_lone_workers_label() -> None:
    # w1..w3 are right on 40 shared tasks (mostly "0"); "solo" agrees with them on the two
    # shared tasks it saw and answers 8 more tasks alone, with minority labels. Calibrated on
    # its own tasks, EM calls "solo" noise (skill ~0.3) and gives all 8 the majority "0".
    truth = ["0"] * 30 + ["1"] * 4 + ["2"] * 3 + ["3"] * 3
    rows = [(f"s{i}", w, t) for i, t in enumerate(truth) for w in ("w1", "w2", "w3")]
    rows += [("s0", "solo", "0"), ("s30", "solo", "1")]
    alone = ["1", "1", "1", "3", "3", "3", "1", "3"]
    rows += [(f"u{i}", "solo", label) for i, label in enumerate(alone)]
    m = AnnotationMatrix.from_rows(rows)
    tasks = [f"u{i}" for i in range(len(alone))]
    shared = ShrinkageDawidSkene().fit(m).as_dict()
    assert [shared[t] for t in tasks] == alone
    for collapsing in (ShrinkageDawidSkene(shared_only=False), DawidSkene()):
        result = collapsing.fit(m).as_dict()
        assert [result[t] for t in tasks] == ["0"] * len(alone)
