from __future__ import annotations

import math

import numpy as np
import pytest

from shoplabel.errors import EmptyInput, InvalidInput
from shoplabel.inference import (
    AnnotationMatrix,
    EmptyAnnotations,
    LabelNotInCodebook,
    MissingValue,
    ShapeMismatch,
    vote_counts,
)


def test_matrix_codes_rows_with_sorted_codebooks() -> None:
    m = AnnotationMatrix.from_rows([("b", "w2", "10"), ("a", "w1", "2"), ("a", "w2", "10")])
    assert m.task_ids == ("a", "b")
    assert m.worker_ids == ("w1", "w2")
    assert m.labels == ("2", "10")  # integer-looking labels sort numerically
    assert m.n_annotations == 3
    assert vote_counts(m).tolist() == [[1.0, 1.0], [0.0, 1.0]]


def test_matrix_keeps_last_duplicate() -> None:
    m = AnnotationMatrix.from_rows([("t", "w", "x"), ("t", "v", "x"), ("t", "w", "y")])
    assert m.n_annotations == 2
    w = m.worker_ids.index("w")
    assert m.labels[int(m.label_idx[m.worker_idx == w][0])] == "y"


def test_matrix_integral_floats_match_strings() -> None:
    m = AnnotationMatrix.from_columns(np.array([1.0, 2.0]), ["w", "w"], np.array([0.0, 1.0]))
    assert m.task_ids == ("1", "2")
    assert m.labels == ("0", "1")


def test_matrix_empty_input_is_rejected() -> None:
    with pytest.raises(EmptyAnnotations) as err:
        AnnotationMatrix.from_rows([])
    assert isinstance(err.value, EmptyInput)
    assert err.value.code == "empty_annotations"


@pytest.mark.parametrize("bad", [None, float("nan"), "", "  "])
def test_matrix_missing_label_names_the_row(bad: object) -> None:
    with pytest.raises(MissingValue) as err:
        AnnotationMatrix.from_rows([("t", "w", "a"), ("t", "v", bad)])
    assert err.value.details == {"row": 1, "field": "label"}
    assert isinstance(err.value, InvalidInput)


def test_matrix_nan_in_numeric_column() -> None:
    with pytest.raises(MissingValue):
        AnnotationMatrix.from_columns(["a", "b"], ["w", "w"], np.array([1.0, math.nan]))


def test_matrix_label_outside_codebook() -> None:
    with pytest.raises(LabelNotInCodebook) as err:
        AnnotationMatrix.from_rows([("t", "w", "a"), ("t", "v", "z")], labels=["a", "b"])
    assert err.value.details["row"] == 1


def test_matrix_shape_and_range_errors() -> None:
    with pytest.raises(ShapeMismatch):
        AnnotationMatrix.from_columns(["a"], ["w", "v"], ["x"])
    with pytest.raises(ShapeMismatch):
        AnnotationMatrix.from_codes([0], [3], [0], task_ids=["a"], worker_ids=["w"], labels=["x"])
    with pytest.raises(EmptyAnnotations):
        AnnotationMatrix.from_codes([0], [0], [0], task_ids=["a"], worker_ids=["w"], labels=[])


def test_matrix_encode_gold_ignores_unknown_tasks_and_checks_labels() -> None:
    m = AnnotationMatrix.from_rows([("a", "w", "x"), ("b", "w", "y")])
    gold = m.encode_gold({"b": "x", "zzz": "y"})
    assert gold.task_idx.tolist() == [1]
    assert gold.label_idx.tolist() == [0]
    with pytest.raises(LabelNotInCodebook):
        m.encode_gold({"a": "nope"})


def test_matrix_design_is_task_by_worker_label() -> None:
    m = AnnotationMatrix.from_rows([("a", "w", "x"), ("b", "v", "y")])
    dense = m.design.toarray()
    assert dense.shape == (2, 4)
    assert dense[0, m.worker_ids.index("w") * 2 + 0] == 1.0
    assert np.array_equal(m.design_t.toarray(), dense.T)
