"""Truth inference for crowd labels: numpy/scipy only, pure and deterministic.

Batch aggregation::

    m = AnnotationMatrix.from_rows(triples)                 # (task_id, worker_id, label)
    result = make_aggregator(DEFAULT_METHOD).fit(m, gold=m.encode_gold(gold_map))
    result.predicted, result.confidence, result.worker_skill

Online, on every new label::

    model = WorkerModel.from_result(result)                 # once per refit
    posterior = item_posterior(model, worker_ids, label_idx)
"""

from shoplabel.inference.dawid_skene import DawidSkene, OneCoinDawidSkene
from shoplabel.inference.errors import (
    EmptyAnnotations,
    InferenceError,
    InvalidOptions,
    LabelNotInCodebook,
    MissingValue,
    ShapeMismatch,
    UnknownMethod,
)
from shoplabel.inference.glad import GLAD
from shoplabel.inference.mace import MACE
from shoplabel.inference.majority import MajorityVote, Wawa, WeightedMajorityVote
from shoplabel.inference.matrix import AnnotationMatrix, GoldLabels, vote_counts
from shoplabel.inference.metrics import (
    WorkerAccuracy,
    entropy,
    fleiss_kappa,
    krippendorff_alpha,
    margin,
    worker_accuracy,
)
from shoplabel.inference.multilabel import MultiLabelResult, PerLabelBinary
from shoplabel.inference.numeric import (
    BiasNoise,
    NumericMatrix,
    NumericResult,
    WeightedMean,
    WeightedMedian,
)
from shoplabel.inference.online import WorkerModel, item_posterior, update_posterior
from shoplabel.inference.ordinal import OrdinalDawidSkene
from shoplabel.inference.pairwise import NoisyBradleyTerry, PairwiseResult
from shoplabel.inference.registry import AGGREGATORS, DEFAULT_METHOD, make_aggregator
from shoplabel.inference.result import AggregationResult, Aggregator
from shoplabel.inference.shrinkage import ShrinkageDawidSkene
from shoplabel.inference.spans import SpanAnnotation, SpanResult, TokenSpanAggregator

__all__ = [
    "AGGREGATORS",
    "DEFAULT_METHOD",
    "GLAD",
    "MACE",
    "AggregationResult",
    "Aggregator",
    "AnnotationMatrix",
    "BiasNoise",
    "DawidSkene",
    "EmptyAnnotations",
    "GoldLabels",
    "InferenceError",
    "InvalidOptions",
    "LabelNotInCodebook",
    "MajorityVote",
    "MissingValue",
    "MultiLabelResult",
    "NoisyBradleyTerry",
    "NumericMatrix",
    "NumericResult",
    "OneCoinDawidSkene",
    "OrdinalDawidSkene",
    "PairwiseResult",
    "PerLabelBinary",
    "ShapeMismatch",
    "ShrinkageDawidSkene",
    "SpanAnnotation",
    "SpanResult",
    "TokenSpanAggregator",
    "UnknownMethod",
    "Wawa",
    "WeightedMajorityVote",
    "WeightedMean",
    "WeightedMedian",
    "WorkerAccuracy",
    "WorkerModel",
    "entropy",
    "fleiss_kappa",
    "item_posterior",
    "krippendorff_alpha",
    "make_aggregator",
    "margin",
    "update_posterior",
    "vote_counts",
    "worker_accuracy",
]
