"""The KL-objective head trainer and the evaluation metrics (pure numpy)."""

from __future__ import annotations

import numpy as np
import pytest

from shoplabel.errors import InvalidInput
from shoplabel.inference.errors import ShapeMismatch
from shoplabel.inference.evaluation import (
    classifier_report,
    expected_calibration_error,
    ndcg_at_k,
)
from shoplabel.ml.trainer import TrainOptions, kl_divergence, train_kl_head


def _toy(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    logits = np.column_stack([2 * x[:, 0], -2 * x[:, 0] + x[:, 1], 0.5 * x[:, 2]])
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return x, p, p.argmax(axis=1)


def test_kl_head_recovers_soft_targets_and_is_deterministic() -> None:
    x, p, truth = _toy()
    # A large step on this easy toy: it converges, then early stopping ends the run.
    fast = TrainOptions(seed=3, class_weights=False, learning_rate=0.01)
    fit = train_kl_head(x, p, options=fast)
    q = fit.head.predict_proba(x)
    assert float(kl_divergence(p, q).mean()) < 0.02
    assert np.mean(q.argmax(axis=1) == truth) > 0.95
    again = train_kl_head(x, p, options=fast)
    assert np.array_equal(again.head.coef, fit.head.coef)
    # Early stopping kept the best validation epoch and stopped `patience` epochs later.
    assert fit.epochs < 200 and fit.best_epoch <= fit.epochs
    assert fit.val_loss == pytest.approx(min(fit.history), abs=1e-6)


def test_soft_targets_carry_more_than_their_argmax() -> None:
    x, p, _ = _toy()
    soft = train_kl_head(x, p, options=TrainOptions(class_weights=False)).head.predict_proba(x)
    hard_t = np.eye(3)[p.argmax(axis=1)]
    hard = train_kl_head(x, hard_t, options=TrainOptions(class_weights=False)).head.predict_proba(x)
    # Trained on posteriors the confidence tracks them; on one-hot labels it is overconfident.
    assert kl_divergence(p, soft).mean() < kl_divergence(p, hard).mean()


def test_class_weights_raise_minority_recall() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2000, 2))
    y = (x[:, 0] + 0.8 * rng.normal(size=2000) > 1.6).astype(int)  # about 8% positives
    t = np.eye(2)[y]
    plain = train_kl_head(x, t, options=TrainOptions(class_weights=False)).head
    weighted = train_kl_head(x, t, options=TrainOptions(class_weights=True)).head
    recall = [np.mean(h.predict_proba(x)[y == 1].argmax(axis=1) == 1) for h in (plain, weighted)]
    assert recall[1] > recall[0] + 0.1


def test_trainer_rejects_single_class_and_bad_shapes() -> None:
    x = np.zeros((30, 2))
    with pytest.raises(InvalidInput, match="single class"):
        train_kl_head(x, np.tile([1.0, 0.0], (30, 1)))
    with pytest.raises(InvalidInput, match="do not match"):
        train_kl_head(x, np.zeros((29, 2)))
    with pytest.raises(InvalidInput, match="finite"):
        train_kl_head(np.full((30, 2), np.nan), np.eye(2)[np.arange(30) % 2])


def test_classifier_report_on_a_known_confusion() -> None:
    probas = np.array([[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.3, 0.7], [0.6, 0.4]])
    ref = np.array([0, 0, 1, 1, 1])
    r = classifier_report(probas, ref)
    assert r.confusion.tolist() == [[2, 0], [1, 2]]
    assert r.accuracy == pytest.approx(0.8)
    # precision: 2/3 and 1; recall: 1 and 2/3 -> macro 5/6 each; F1 0.8 each.
    assert r.macro_precision == pytest.approx(5 / 6)
    assert r.macro_recall == pytest.approx(5 / 6)
    assert r.macro_f1 == pytest.approx(0.8)
    d = r.to_dict(["a", "b"])
    assert d["labels"] == ["a", "b"] and d["n"] == 5
    with pytest.raises(ShapeMismatch):
        classifier_report(probas, ref[:3])


def test_ece_and_ndcg() -> None:
    # Confident and right: 0; 0.9 sure and half right: 0.4.
    assert expected_calibration_error(np.array([1.0, 1.0]), np.array([True, True])) == 0.0
    assert expected_calibration_error(
        np.array([0.9, 0.9]), np.array([True, False])
    ) == pytest.approx(0.4)
    grades = np.array([3.0, 0.0, 1.0, 2.0, 0.0])
    queries = ["q1", "q1", "q1", "q2", "q2"]
    perfect = ndcg_at_k(np.array([3.0, 0.0, 1.0, 1.0, 0.0]), grades, queries, k=10)
    assert perfect == {"q1": pytest.approx(1.0), "q2": pytest.approx(1.0)}
    reversed_q1 = ndcg_at_k(np.array([0.0, 2.0, 1.0, 0.0, 1.0]), grades, queries, k=10)
    ideal = 7 + 1 / np.log2(3)
    assert reversed_q1["q1"] == pytest.approx((0 + 1 / np.log2(3) + 7 / 2) / ideal)
    assert reversed_q1["q2"] == pytest.approx(3 / np.log2(3) / 3)
    assert ndcg_at_k(np.zeros(2), np.zeros(2), ["a", "a"]) == {}
