r"""Evaluating a classifier's probabilities against reference labels: accuracy, macro
precision / recall / F1, expected calibration error, confusion matrix, and NDCG@k per query
for graded relevance.

ECE uses ``n_bins`` equal-width confidence bins:
$\mathrm{ECE} = \sum_b \frac{|B_b|}{n} \lvert \mathrm{acc}(B_b) - \mathrm{conf}(B_b) \rvert$.
NDCG@k ranks a query's items by the model's expected grade and uses gains $2^{g} - 1$ of the
reference grades.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoplabel.inference.errors import ShapeMismatch

__all__ = ["ClassifierReport", "classifier_report", "expected_calibration_error", "ndcg_at_k"]


@dataclass(frozen=True, slots=True)
class ClassifierReport:
    """Scores of predictions against references; ``confusion[i, j]`` counts reference ``i``
    predicted as ``j``."""

    n: int
    accuracy: float
    macro_precision: float
    macro_recall: float
    macro_f1: float
    ece: float
    confusion: NDArray[np.int64]

    def to_dict(self, labels: Sequence[str]) -> dict[str, Any]:
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "macro_precision": round(self.macro_precision, 4),
            "macro_recall": round(self.macro_recall, 4),
            "macro_f1": round(self.macro_f1, 4),
            "ece": round(self.ece, 4),
            "labels": list(labels),
            "confusion": self.confusion.tolist(),
        }


def expected_calibration_error(
    confidence: NDArray[np.floating[Any]], correct: NDArray[np.bool_], *, n_bins: int = 10
) -> float:
    """ECE of top-label confidences (0 for an empty set)."""
    conf = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=np.float64)
    if conf.shape != ok.shape:
        raise ShapeMismatch(f"confidence {conf.shape} and correct {ok.shape} differ")
    if conf.size == 0:
        return 0.0
    bins = np.minimum((conf * n_bins).astype(np.intp), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        m = bins == b
        total += m.sum() / conf.size * abs(ok[m].mean() - conf[m].mean())
    return float(total)


def classifier_report(
    probas: NDArray[np.floating[Any]], reference: NDArray[np.integer[Any]]
) -> ClassifierReport:
    """Score ``probas`` ``(n, n_labels)`` against label indices ``reference`` ``(n,)``.

    Macro averages run over the labels present in the reference or the predictions (a label
    never predicted has precision 0).
    """
    p = np.asarray(probas, dtype=np.float64)
    ref = np.asarray(reference, dtype=np.intp)
    if p.ndim != 2 or ref.shape != (p.shape[0],):
        raise ShapeMismatch(f"probas {p.shape} and reference {ref.shape} do not match")
    k = p.shape[1]
    pred = p.argmax(axis=1) if len(p) else np.zeros(0, dtype=np.intp)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (ref, pred), 1)
    tp = np.diag(confusion).astype(np.float64)
    predicted, actual = confusion.sum(axis=0), confusion.sum(axis=1)
    present = (predicted + actual) > 0
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros(k), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(k), where=denom > 0)
    correct = pred == ref
    return ClassifierReport(
        n=len(ref),
        accuracy=float(correct.mean()) if len(ref) else 0.0,
        macro_precision=float(precision[present].mean()) if present.any() else 0.0,
        macro_recall=float(recall[present].mean()) if present.any() else 0.0,
        macro_f1=float(f1[present].mean()) if present.any() else 0.0,
        ece=expected_calibration_error(p.max(axis=1) if len(p) else np.zeros(0), correct),
        confusion=confusion,
    )


def ndcg_at_k(
    scores: NDArray[np.floating[Any]],
    grades: NDArray[np.floating[Any]],
    queries: Sequence[str],
    *,
    k: int = 10,
) -> dict[str, float]:
    """NDCG@k of each query whose items have some relevance (queries without are left out).

    Args:
        scores: ``(n,)`` model scores (higher = more relevant).
        grades: ``(n,)`` reference relevance grades (0 = irrelevant).
        queries: ``(n,)`` the query each item answers.
    """
    s = np.asarray(scores, dtype=np.float64)
    g = np.asarray(grades, dtype=np.float64)
    if s.shape != g.shape or len(queries) != len(s):
        raise ShapeMismatch("scores, grades and queries must have the same length")
    out: dict[str, float] = {}
    q = np.asarray(queries, dtype=object)
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    for query in dict.fromkeys(queries):
        m = q == query
        gains = 2.0 ** g[m] - 1.0
        ideal = np.sort(gains)[::-1][:k]
        if ideal.sum() <= 0:
            continue
        ranked = gains[np.argsort(-s[m], kind="stable")][:k]
        out[str(query)] = float(
            (ranked * discount[: len(ranked)]).sum() / (ideal * discount[: len(ideal)]).sum()
        )
    return out
