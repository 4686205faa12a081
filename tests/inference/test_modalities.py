"""Numeric, multi-label, span and pairwise aggregation on toy data with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from shoplabel.inference import (
    BiasNoise,
    EmptyAnnotations,
    LabelNotInCodebook,
    MissingValue,
    NoisyBradleyTerry,
    NumericMatrix,
    PerLabelBinary,
    ShapeMismatch,
    SpanAnnotation,
    TokenSpanAggregator,
    WeightedMean,
    WeightedMedian,
)


def _numeric(seed: int) -> tuple[NumericMatrix, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.uniform(0, 100, 200)
    bias = np.array([0.0, 0.0, 10.0, -5.0, 0.0])
    noise = np.array([1.0, 2.0, 1.0, 1.0, 30.0])
    t = np.repeat(np.arange(200), 5)
    w = np.tile(np.arange(5), 200)
    y = truth[t] + bias[w] + noise[w] * rng.standard_normal(t.size)
    return NumericMatrix.from_columns(t, [f"w{i}" for i in w], y), truth


def test_bias_noise_recovers_worker_parameters_and_beats_the_mean() -> None:
    nm, truth = _numeric(0)
    order = np.argsort(np.asarray(nm.task_ids, dtype=int))
    fitted = BiasNoise().fit(nm)
    mean = WeightedMean().fit(nm)
    err_model = np.abs(fitted.values[order] - truth).mean()
    err_mean = np.abs(mean.values[order] - truth).mean()
    assert err_model < err_mean / 2
    assert fitted.worker_noise[nm.worker_ids.index("w4")] > 15
    bias = fitted.worker_bias
    assert bias[nm.worker_ids.index("w2")] - bias[nm.worker_ids.index("w0")] == pytest.approx(
        10.0, abs=1.0
    )


def test_median_and_weighted_mean_toy() -> None:
    nm = NumericMatrix.from_columns(["a", "a", "a", "b", "b"], list("xyzxy"), [1, 2, 100, 4, 6])
    assert WeightedMedian().fit(nm).values.tolist() == [2.0, 5.0]
    weighted = WeightedMean(weights={"z": 0.0}).fit(nm)
    assert weighted.values.tolist() == [1.5, 5.0]


def test_numeric_bad_input() -> None:
    with pytest.raises(MissingValue):
        NumericMatrix.from_columns(["a"], ["w"], [float("inf")])
    with pytest.raises(EmptyAnnotations):
        NumericMatrix.from_columns([], [], [])


def test_multilabel_per_label_binary() -> None:
    rows = [
        ("p1", "a", ["red", "cotton"]), ("p1", "b", ["red"]), ("p1", "c", ["red", "cotton"]),
        ("p2", "a", []), ("p2", "b", ["blue"]), ("p2", "c", []),
    ]  # fmt: skip
    result = PerLabelBinary().fit(rows)
    assert result.labels == ("blue", "cotton", "red")
    assert result.predicted() == (frozenset({"red", "cotton"}), frozenset())
    assert result.probas.shape == (2, 3)
    with pytest.raises(LabelNotInCodebook):
        PerLabelBinary().fit(rows, labels=["red"])
    with pytest.raises(EmptyAnnotations):
        PerLabelBinary().fit([])


def test_spans_token_level_majority() -> None:
    ann = [
        SpanAnnotation("t1", "a", ((0, 2, "brand"), (4, 5, "color"))),
        SpanAnnotation("t1", "b", ((0, 2, "brand"),)),
        SpanAnnotation("t1", "c", ((0, 3, "brand"), (4, 5, "color"))),
        SpanAnnotation("t2", "a", ()),
        SpanAnnotation("t2", "b", ()),
        SpanAnnotation("t2", "c", ((1, 2, "brand"),)),
    ]
    result = TokenSpanAggregator().fit(ann, lengths={"t1": 6, "t2": 3})
    assert [s[:3] for s in result.spans[0]] == [(0, 2, "brand"), (4, 5, "color")]
    assert result.spans[1] == ()
    assert result.token_labels[0] == ("brand", "brand", "O", "O", "color", "O")
    with pytest.raises(ShapeMismatch):
        TokenSpanAggregator().fit([SpanAnnotation("t", "a", ((2, 1, "x"),))])
    with pytest.raises(ShapeMismatch):
        TokenSpanAggregator().fit(ann, lengths={"t1": 2})


def test_noisy_bradley_terry_ranks_and_spots_the_random_worker() -> None:
    rng = np.random.default_rng(0)
    strength = {f"i{k}": float(k) for k in range(6)}
    rows: list[tuple[str, str, str]] = []
    for _ in range(400):
        i, j = rng.choice(6, 2, replace=False)
        a, b = f"i{i}", f"i{j}"
        for worker in ("careful1", "careful2", "random"):
            p = 1 / (1 + np.exp(strength[b] - strength[a])) if worker != "random" else 0.5
            rows.append((worker, a, b) if rng.random() < p else (worker, b, a))
    result = NoisyBradleyTerry().fit(rows)
    assert result.ranking() == ("i5", "i4", "i3", "i2", "i1", "i0")
    rel = dict(zip(result.worker_ids, result.worker_reliability, strict=True))
    assert rel["random"] < 0.3 < 0.8 < rel["careful1"]
    assert abs(result.scores.mean()) < 1e-9
    with pytest.raises(ShapeMismatch):
        NoisyBradleyTerry().fit([("w", "a", "a")])
