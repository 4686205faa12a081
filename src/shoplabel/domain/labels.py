"""Label schemas: what answers a project accepts, validated at creation and on every submit.

A schema is plain JSON (``{"kind": ..., ...}``) parsed into one frozen dataclass. Six kinds:

* ``categorical`` - one choice out of ``labels``;
* ``ordinal`` - one grade out of ``labels``, listed from best to worst (e.g. Exact / Substitute /
  Complement / Irrelevant);
* ``multi_label`` - any subset of ``labels`` within ``min_selected`` .. ``max_selected``;
* ``rating`` - a number in ``[min, max]`` on a grid of ``step``;
* ``spans`` - character spans ``{"start", "end", "label"}`` over the text of item field ``field``;
* ``pairwise`` - which of two listings (``left`` / ``right``, optionally ``tie``) wins.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shoplabel.errors import InvalidLabelSchema, InvalidValue, LabelNotInSchema

__all__ = [
    "LabelOption",
    "LabelSchema",
    "SchemaKind",
    "field_text",
    "parse_schema",
    "validate_value",
]

_MAX_LABELS = 200


class SchemaKind(StrEnum):
    CATEGORICAL = "categorical"
    ORDINAL = "ordinal"
    MULTI_LABEL = "multi_label"
    RATING = "rating"
    SPANS = "spans"
    PAIRWISE = "pairwise"


_CHOICE_KINDS = frozenset(
    {
        SchemaKind.CATEGORICAL,
        SchemaKind.ORDINAL,
        SchemaKind.MULTI_LABEL,
        SchemaKind.SPANS,
        SchemaKind.PAIRWISE,
    }
)


@dataclass(frozen=True, slots=True)
class LabelOption:
    """One answer a worker can pick, with what the UI shows for it."""

    value: str
    title: str
    description: str = ""
    hotkey: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "value": self.value,
            "title": self.title,
            "description": self.description,
            "hotkey": self.hotkey,
        }


@dataclass(frozen=True, slots=True)
class LabelSchema:
    """A validated label schema. Build it with :func:`parse_schema`, never by hand."""

    kind: SchemaKind
    labels: tuple[LabelOption, ...] = ()
    min_selected: int = 0
    max_selected: int | None = None
    min: float = 0.0
    max: float = 0.0
    step: float | None = None
    field: str = ""
    allow_tie: bool = False
    values: frozenset[str] = dataclasses.field(default=frozenset())

    @property
    def label_values(self) -> tuple[str, ...]:
        """Codebook of choice values, in schema order (ordinal: best to worst)."""
        return tuple(o.value for o in self.labels)

    @property
    def is_categorical(self) -> bool:
        """True when each answer is exactly one code of :attr:`label_values`."""
        return self.kind in (SchemaKind.CATEGORICAL, SchemaKind.ORDINAL, SchemaKind.PAIRWISE)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, as stored and as returned by the API."""
        out: dict[str, Any] = {"kind": self.kind.value}
        if self.kind in _CHOICE_KINDS and self.kind is not SchemaKind.PAIRWISE:
            out["labels"] = [o.to_dict() for o in self.labels]
        if self.kind is SchemaKind.MULTI_LABEL:
            out["min_selected"] = self.min_selected
            out["max_selected"] = self.max_selected
        if self.kind is SchemaKind.RATING:
            out.update(min=self.min, max=self.max, step=self.step)
        if self.kind is SchemaKind.SPANS:
            out["field"] = self.field
        if self.kind is SchemaKind.PAIRWISE:
            out["allow_tie"] = self.allow_tie
        return out


def _bad(message: str, path: str) -> InvalidLabelSchema:
    return InvalidLabelSchema(f"label schema {path}: {message}", details={"field": path})


def _parse_option(raw: object, index: int) -> LabelOption:
    path = f"labels[{index}]"
    if isinstance(raw, str):
        raw = {"value": raw}
    if not isinstance(raw, Mapping):
        raise _bad("must be a string or an object with 'value'", path)
    value = raw.get("value")
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        raise _bad("'value' must be a non-empty string of at most 100 characters", path)
    hotkey = str(raw.get("hotkey", "") or "")
    if len(hotkey) > 1:
        raise _bad("'hotkey' must be a single character", path)
    return LabelOption(
        value=value,
        title=str(raw.get("title") or value),
        description=str(raw.get("description") or ""),
        hotkey=hotkey,
    )


def _parse_options(raw: Mapping[str, Any], *, minimum: int) -> tuple[LabelOption, ...]:
    labels = raw.get("labels")
    if not isinstance(labels, Sequence) or isinstance(labels, str):
        raise _bad("'labels' must be a list", "labels")
    options = tuple(_parse_option(o, i) for i, o in enumerate(labels))
    if not minimum <= len(options) <= _MAX_LABELS:
        raise _bad(
            f"needs between {minimum} and {_MAX_LABELS} labels, got {len(options)}", "labels"
        )
    values = [o.value for o in options]
    dupes = sorted({v for v in values if values.count(v) > 1})
    if dupes:
        raise _bad(f"duplicate label values {dupes}", "labels")
    keys = [o.hotkey for o in options if o.hotkey]
    if len(keys) != len(set(keys)):
        raise _bad("two labels share a hotkey", "labels")
    return _default_hotkeys(options)


def _default_hotkeys(options: tuple[LabelOption, ...]) -> tuple[LabelOption, ...]:
    """Give labels without a hotkey the digits 1-9 not taken yet, in order."""
    taken = {o.hotkey for o in options}
    free = iter(d for d in "123456789" if d not in taken)
    out = []
    for o in options:
        if o.hotkey:
            out.append(o)
        else:
            key = next(free, "")
            out.append(LabelOption(o.value, o.title, o.description, key))
    return tuple(out)


def _number(raw: Mapping[str, Any], key: str) -> float:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(f"'{key}' must be a finite number", key)
    return float(value)


def _parse_rating(raw: Mapping[str, Any]) -> LabelSchema:
    lo, hi = _number(raw, "min"), _number(raw, "max")
    if lo >= hi:
        raise _bad(f"'min' ({lo}) must be below 'max' ({hi})", "min")
    step = None if raw.get("step") is None else _number(raw, "step")
    if step is not None and step <= 0:
        raise _bad("'step' must be positive", "step")
    return LabelSchema(kind=SchemaKind.RATING, min=lo, max=hi, step=step)


def _parse_multi(raw: Mapping[str, Any]) -> LabelSchema:
    options = _parse_options(raw, minimum=1)
    lo = raw.get("min_selected", 0)
    hi = raw.get("max_selected")
    if not isinstance(lo, int) or lo < 0 or lo > len(options):
        raise _bad(
            "'min_selected' must be an integer between 0 and the number of labels", "min_selected"
        )
    if hi is not None and (not isinstance(hi, int) or hi < max(lo, 1) or hi > len(options)):
        raise _bad(
            "'max_selected' must be an integer between min_selected and the number of labels",
            "max_selected",
        )
    return LabelSchema(
        kind=SchemaKind.MULTI_LABEL,
        labels=options,
        min_selected=lo,
        max_selected=hi,
        values=frozenset(o.value for o in options),
    )


def _parse_spans(raw: Mapping[str, Any]) -> LabelSchema:
    options = _parse_options(raw, minimum=1)
    fld = raw.get("field")
    if not isinstance(fld, str) or not fld:
        raise _bad("'field' must name the item field that spans are drawn over", "field")
    return LabelSchema(
        kind=SchemaKind.SPANS, labels=options, field=fld, values=frozenset(o.value for o in options)
    )


def _parse_pairwise(raw: Mapping[str, Any]) -> LabelSchema:
    allow_tie = raw.get("allow_tie", False)
    if not isinstance(allow_tie, bool):
        raise _bad("'allow_tie' must be true or false", "allow_tie")
    options: tuple[LabelOption, ...] = (
        LabelOption("left", "Left is better", hotkey="1"),
        LabelOption("right", "Right is better", hotkey="2"),
    )
    if allow_tie:
        options = (*options, LabelOption("tie", "Equally good", hotkey="3"))
    return LabelSchema(
        kind=SchemaKind.PAIRWISE,
        labels=options,
        allow_tie=allow_tie,
        values=frozenset(o.value for o in options),
    )


def parse_schema(raw: object) -> LabelSchema:
    """Validate a JSON label schema and return it as a :class:`LabelSchema`.

    Raises:
        InvalidLabelSchema: naming the offending key and why.
    """
    if not isinstance(raw, Mapping):
        raise _bad("must be a JSON object with a 'kind'", "kind")
    try:
        kind = SchemaKind(str(raw.get("kind")))
    except ValueError:
        allowed = ", ".join(k.value for k in SchemaKind)
        raise _bad(f"unknown kind {raw.get('kind')!r}; expected one of {allowed}", "kind") from None
    if kind in (SchemaKind.CATEGORICAL, SchemaKind.ORDINAL):
        options = _parse_options(raw, minimum=2)
        return LabelSchema(kind=kind, labels=options, values=frozenset(o.value for o in options))
    parsers = {
        SchemaKind.RATING: _parse_rating,
        SchemaKind.MULTI_LABEL: _parse_multi,
        SchemaKind.SPANS: _parse_spans,
        SchemaKind.PAIRWISE: _parse_pairwise,
    }
    return parsers[kind](raw)


def field_text(payload: Mapping[str, Any], path: str) -> str | None:
    """Return the string at dotted ``path`` in ``payload`` (``"left.title"``), or ``None``."""
    node: Any = payload
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, str) else None


def _check_choice(schema: LabelSchema, value: object) -> None:
    if not isinstance(value, str):
        raise InvalidValue(
            f"a {schema.kind.value} answer must be one label string, got {type(value).__name__}",
            details={"field": "value"},
        )
    if value not in schema.values:
        raise LabelNotInSchema(
            f"label {value!r} is not in the schema; expected one of {list(schema.label_values)}",
            details={"field": "value"},
        )


def _check_multi(schema: LabelSchema, value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidValue(
            "a multi_label answer must be a list of label strings", details={"field": "value"}
        )
    unknown = sorted(set(value) - schema.values)
    if unknown:
        raise LabelNotInSchema(
            f"labels {unknown} are not in the schema", details={"field": "value"}
        )
    if len(set(value)) != len(value):
        raise InvalidValue("a multi_label answer lists a label twice", details={"field": "value"})
    hi = schema.max_selected if schema.max_selected is not None else len(schema.labels)
    if not schema.min_selected <= len(value) <= hi:
        raise InvalidValue(
            f"select between {schema.min_selected} and {hi} labels, got {len(value)}",
            details={"field": "value"},
        )


def _check_rating(schema: LabelSchema, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidValue("a rating must be a finite number", details={"field": "value"})
    if not schema.min <= value <= schema.max:
        raise InvalidValue(
            f"rating {value} is outside [{schema.min:g}, {schema.max:g}]",
            details={"field": "value"},
        )
    if schema.step is not None:
        steps = (value - schema.min) / schema.step
        if abs(steps - round(steps)) > 1e-9:
            raise InvalidValue(
                f"rating {value} is not on the grid of step {schema.step:g} from {schema.min:g}",
                details={"field": "value"},
            )


def _check_span(schema: LabelSchema, span: object, index: int, text_len: int) -> tuple[int, int]:
    where = {"field": f"value[{index}]"}
    if not isinstance(span, Mapping) or set(span) - {"start", "end", "label", "text"}:
        raise InvalidValue(
            f"span {index} must be an object with start, end and label", details=where
        )
    start, end, label = span.get("start"), span.get("end"), span.get("label")
    if (
        isinstance(start, bool)
        or isinstance(end, bool)
        or not isinstance(start, int)
        or not isinstance(end, int)
    ):
        raise InvalidValue(f"span {index}: start and end must be integers", details=where)
    if not 0 <= start < end <= text_len:
        raise InvalidValue(
            f"span {index} [{start}, {end}) is outside the text of length {text_len} or empty",
            details=where,
        )
    if label not in schema.values:
        raise LabelNotInSchema(f"span {index}: label {label!r} is not in the schema", details=where)
    return start, end


def _check_spans(schema: LabelSchema, value: object, payload: Mapping[str, Any]) -> None:
    if not isinstance(value, list):
        raise InvalidValue(
            "a spans answer must be a list of {start, end, label} objects",
            details={"field": "value"},
        )
    text = field_text(payload, schema.field)
    if text is None:
        raise InvalidValue(
            f"the item has no text field {schema.field!r} to draw spans over",
            details={"field": schema.field},
        )
    bounds = sorted(_check_span(schema, s, i, len(text)) for i, s in enumerate(value))
    for (_, prev_end), (start, _) in itertools.pairwise(bounds):
        if start < prev_end:
            raise InvalidValue("spans must not overlap", details={"field": "value"})


def validate_value(schema: LabelSchema, value: object, *, payload: Mapping[str, Any]) -> None:
    """Check that ``value`` is a valid answer under ``schema`` for an item with ``payload``.

    Raises:
        InvalidValue: the shape or range is wrong (``LabelNotInSchema`` for unknown labels).
    """
    if schema.is_categorical:
        _check_choice(schema, value)
    elif schema.kind is SchemaKind.MULTI_LABEL:
        _check_multi(schema, value)
    elif schema.kind is SchemaKind.RATING:
        _check_rating(schema, value)
    else:
        _check_spans(schema, value, payload)
