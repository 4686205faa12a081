from __future__ import annotations

import time

import numpy as np
import pytest

from shoplabel.inference import (
    Aggregator,
    DawidSkene,
    InvalidOptions,
    LabelNotInCodebook,
    MajorityVote,
    ShapeMismatch,
    ShrinkageDawidSkene,
    WorkerModel,
    item_posterior,
    update_posterior,
)
from tests.inference.crowds import simulated


def test_item_posterior_matches_the_batch_e_step() -> None:
    m, _ = simulated(150, 12, 3, per_task=4, seed=1)
    model = WorkerModel.from_result(DawidSkene().fit(m))
    batch = model.posteriors(m)
    for j in (0, 7, 149):
        rows = np.flatnonzero(m.task_idx == j)
        workers = [m.worker_ids[w] for w in m.worker_idx[rows]]
        online = item_posterior(model, workers, m.label_idx[rows].tolist())
        assert np.allclose(online, batch[j])


def test_update_posterior_is_incremental() -> None:
    m, _ = simulated(100, 10, 4, per_task=3, seed=2)
    model = WorkerModel.from_result(ShrinkageDawidSkene().fit(m))
    posterior = item_posterior(model, [], [])
    assert np.allclose(posterior, np.exp(model.log_priors))
    for w, k in [("w1", 2), ("w3", 2), ("w9", 0)]:
        posterior = update_posterior(model, posterior, w, k)
    assert np.allclose(posterior, item_posterior(model, ["w1", "w3", "w9"], [2, 2, 0]))


def test_unseen_worker_uses_the_fallback() -> None:
    m, _ = simulated(100, 10, 2, per_task=3, seed=4)
    model = WorkerModel.from_result(DawidSkene().fit(m))
    p = item_posterior(model, ["new-worker"], [1])
    assert p[1] > 0.5
    assert np.array_equal(model.worker_log_confusion("new-worker"), model.fallback)


def test_one_shot_results_get_one_coin_workers() -> None:
    m, _ = simulated(50, 6, 3, per_task=3, seed=4)
    model = WorkerModel.from_result(MajorityVote().fit(m))
    assert np.allclose(np.exp(model.log_confusion).sum(axis=2), 1.0)


def test_online_errors() -> None:
    m, _ = simulated(30, 5, 2, per_task=2, seed=4)
    model = WorkerModel.from_result(DawidSkene().fit(m))
    with pytest.raises(ShapeMismatch):
        item_posterior(model, ["w1"], [])
    with pytest.raises(LabelNotInCodebook):
        item_posterior(model, ["w1"], [5])
    with pytest.raises(LabelNotInCodebook):
        update_posterior(model, np.array([0.5, 0.5]), "w1", -1)


def test_online_update_is_under_a_millisecond_per_label() -> None:
    m, _ = simulated(2000, 300, 4, per_task=5, seed=6)
    model = WorkerModel.from_result(DawidSkene().fit(m))
    workers = [f"w{i}" for i in range(5)]
    labels = [0, 1, 0, 0, 2]
    start = time.perf_counter()
    for _ in range(200):
        item_posterior(model, workers, labels)
    per_label = (time.perf_counter() - start) / (200 * len(workers))
    assert per_label < 1e-3


@pytest.mark.parametrize("model", [DawidSkene(tol=1e-8), ShrinkageDawidSkene(tol=1e-8)])
def test_warm_start_converges_faster_to_the_same_answer(model: Aggregator) -> None:
    m, _ = simulated(3000, 60, 4, per_task=4, seed=8)
    cold = model.fit(m)
    grown, _ = simulated(3000, 60, 4, per_task=5, seed=8)
    cold_grown = model.fit(grown)
    warm_grown = model.fit(grown, warm_start=WorkerModel.from_result(cold))
    assert warm_grown.n_iter < cold_grown.n_iter
    assert np.mean(warm_grown.label_idx == cold_grown.label_idx) > 0.995


def test_warm_start_needs_the_same_labels() -> None:
    m, _ = simulated(30, 5, 2, per_task=2, seed=4)
    other, _ = simulated(30, 5, 3, per_task=2, seed=4)
    model = WorkerModel.from_result(DawidSkene().fit(m))
    with pytest.raises(LabelNotInCodebook):
        DawidSkene().fit(other, warm_start=model)


def test_tempered_model_down_weights_labels() -> None:
    m, _ = simulated(100, 10, 2, per_task=3, seed=4)
    model = WorkerModel.from_result(DawidSkene().fit(m))
    w = m.worker_ids[0]
    full = item_posterior(model, [w], [1])
    half = item_posterior(model.tempered({w: 0.5}), [w], [1])
    none = item_posterior(model.tempered({w: 0.0}), [w], [1])
    prior = np.exp(model.log_priors)
    assert np.allclose(none, prior)  # weight 0: the label is ignored
    assert abs(half[1] - prior[1]) < abs(full[1] - prior[1])  # pulled less far from the prior
    assert model.tempered({w: 1.0}) is model
    # an unseen worker is tempered from the fallback
    unseen = model.tempered({"new": 0.0})
    assert np.allclose(item_posterior(unseen, ["new"], [1]), prior)
    assert np.allclose(item_posterior(unseen, [w], [1]), full)  # others unchanged
    with pytest.raises(InvalidOptions):
        model.tempered({w: 1.5})
