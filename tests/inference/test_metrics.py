from __future__ import annotations

import math

import numpy as np
import pytest

from shoplabel.inference import (
    AnnotationMatrix,
    InvalidOptions,
    ShapeMismatch,
    entropy,
    fleiss_kappa,
    krippendorff_alpha,
    margin,
    worker_accuracy,
)

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: four coders,
# twelve units, nominal alpha = 0.743 (".743"), with missing values ("." below).
KRIPP = [
    "1 2 3 3 2 1 4 1 2 . . .",
    "1 2 3 3 2 2 4 1 2 5 . 3",
    ". 3 3 3 2 3 4 2 2 5 1 .",
    "1 2 3 3 2 4 4 1 2 5 1 .",
]


def _kripp_matrix() -> AnnotationMatrix:
    rows = [
        (f"u{u:02d}", f"c{c}", v)
        for c, line in enumerate(KRIPP)
        for u, v in enumerate(line.split())
        if v != "."
    ]
    return AnnotationMatrix.from_rows(rows)


def test_krippendorff_alpha_matches_the_published_example() -> None:
    m = _kripp_matrix()
    assert krippendorff_alpha(m) == pytest.approx(0.743, abs=1e-3)
    assert krippendorff_alpha(m, level="interval") == pytest.approx(0.849, abs=1e-3)
    with pytest.raises(InvalidOptions):
        krippendorff_alpha(m, level="ratio")


def test_krippendorff_alpha_ordinal_is_between_nominal_and_perfect() -> None:
    value = krippendorff_alpha(_kripp_matrix(), level="ordinal")
    assert 0.743 < value <= 1.0


def test_fleiss_kappa_known_values() -> None:
    perfect = AnnotationMatrix.from_rows(
        [(t, w, lab) for t, lab in [("a", "x"), ("b", "y")] for w in ("1", "2", "3")]
    )
    assert fleiss_kappa(perfect) == pytest.approx(1.0)
    # Two raters who always disagree on two balanced labels: kappa = -1.
    split = AnnotationMatrix.from_rows(
        [("a", "1", "x"), ("a", "2", "y"), ("b", "1", "y"), ("b", "2", "x")]
    )
    assert fleiss_kappa(split) == pytest.approx(-1.0)
    single = AnnotationMatrix.from_rows([("a", "1", "x")])
    assert math.isnan(fleiss_kappa(single))
    assert math.isnan(krippendorff_alpha(single))


def test_worker_accuracy_against_gold_and_consensus() -> None:
    m = AnnotationMatrix.from_rows(
        [("a", "w", "x"), ("b", "w", "y"), ("a", "v", "y"), ("c", "v", "x")]
    )
    vs_gold = worker_accuracy(m, gold=m.encode_gold({"a": "x", "b": "x"}))
    assert vs_gold.accuracy.tolist()[m.worker_ids.index("w")] == 0.5
    assert vs_gold.n_scored.tolist()[m.worker_ids.index("v")] == 1
    probas = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    vs_consensus = worker_accuracy(m, probas=probas)
    assert vs_consensus.accuracy.tolist()[m.worker_ids.index("w")] == 1.0
    with pytest.raises(InvalidOptions):
        worker_accuracy(m)
    with pytest.raises(ShapeMismatch):
        worker_accuracy(m, probas=probas[:2])


def test_entropy_and_margin() -> None:
    probas = np.array([[1.0, 0.0], [0.5, 0.5], [0.7, 0.3]])
    assert entropy(probas).tolist() == pytest.approx([0.0, math.log(2), 0.6108643])
    assert margin(probas).tolist() == pytest.approx([1.0, 0.0, 0.4])
    assert margin(np.ones((2, 1))).tolist() == [1.0, 1.0]
