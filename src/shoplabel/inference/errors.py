"""Errors raised by :mod:`shoplabel.inference`.

They subclass :class:`shoplabel.errors.InvalidInput` so the web and CLI layers map them without
knowing this package; each carries a stable ``code`` and, where it helps, ``details`` naming the
row and field.
"""

from __future__ import annotations

from shoplabel.errors import EmptyInput, InvalidInput

__all__ = [
    "EmptyAnnotations",
    "InferenceError",
    "InvalidOptions",
    "LabelNotInCodebook",
    "MissingValue",
    "ShapeMismatch",
    "UnknownMethod",
]


class InferenceError(InvalidInput):
    """Base of every input error raised by the inference package."""

    code = "inference_error"


class EmptyAnnotations(InferenceError, EmptyInput):
    """No annotation rows were given (or none survived filtering)."""

    code = "empty_annotations"


class MissingValue(InferenceError):
    """A task, worker or label cell is empty, ``None`` or NaN."""

    code = "missing_value"


class LabelNotInCodebook(InferenceError):
    """A label (or gold label) is not one of the declared labels."""

    code = "label_not_in_codebook"


class ShapeMismatch(InferenceError):
    """Parallel arrays have different lengths or an index is out of range."""

    code = "shape_mismatch"


class InvalidOptions(InferenceError):
    """An algorithm option is out of its documented range."""

    code = "invalid_options"


class UnknownMethod(InferenceError):
    """An aggregation method name is not in :data:`shoplabel.inference.registry.AGGREGATORS`."""

    code = "unknown_method"
