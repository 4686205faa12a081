"""Per-field import rules of a project: types, lengths and the missing-value policy.

A project's ``data_rules`` setting (JSON, documented in ``docs/data_quality.md``)::

    {"fields": {"price": {"type": "number", "missing": "flag"},
                "title": {"type": "text", "missing": "reject", "max_length": 300},
                "brand": {"missing": "default", "default": "unknown"}},
     "max_field_chars": 20000, "clean_text": true}

Field names are dotted payload paths (``left.price``). ``missing`` decides what happens to a
row without the field (absent, empty or only whitespace): ``reject`` the row, fill in the
``default``, or keep the row and ``flag`` it. Typed values are converted (CSV cells are
strings): ``"12.50"`` becomes ``12.5`` for a ``number`` field; the original stays stored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

__all__ = [
    "DEFAULT_MAX_FIELD_CHARS",
    "DataRules",
    "FieldProblem",
    "FieldRule",
    "FieldType",
    "Flag",
    "MissingPolicy",
    "RulesInvalid",
    "apply_rules",
    "parse_rules",
]

DEFAULT_MAX_FIELD_CHARS: Final = 20_000
_BOOLEANS: Final = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


class MissingPolicy(StrEnum):
    REJECT = "reject"
    DEFAULT = "default"
    FLAG = "flag"


class FieldType(StrEnum):
    ANY = "any"
    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"


class RulesInvalid(ValueError):
    """The ``data_rules`` setting is malformed; ``field`` names the offending key."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class FieldProblem(Exception):
    """A row breaks a field rule (the import rejects it with ``code``)."""

    def __init__(self, field: str, code: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.code, self.reason = field, code, reason


@dataclass(frozen=True, slots=True)
class FieldRule:
    name: str
    type: FieldType = FieldType.ANY
    missing: MissingPolicy | None = None
    default: Any = None
    min_length: int | None = None
    max_length: int | None = None


@dataclass(frozen=True, slots=True)
class Flag:
    """Something kept but worth a look (a missing value under the ``flag`` policy, an outlier)."""

    field: str
    code: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class DataRules:
    fields: tuple[FieldRule, ...] = ()
    max_field_chars: int = DEFAULT_MAX_FIELD_CHARS
    clean_text: bool = True


_RULE_KEYS: Final = {"type", "missing", "default", "min_length", "max_length"}


def _length(name: str, key: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RulesInvalid(
            f"data_rules.fields.{name}.{key} must be a non-negative integer", field=key
        )
    return value


def _rule(name: str, raw: object) -> FieldRule:
    if not isinstance(raw, Mapping) or set(raw) - _RULE_KEYS:
        raise RulesInvalid(
            f"data_rules.fields.{name} must be an object with keys among {sorted(_RULE_KEYS)}",
            field=name,
        )
    try:
        ftype = FieldType(raw.get("type", "any"))
        missing = None if raw.get("missing") is None else MissingPolicy(raw["missing"])
    except ValueError as e:
        raise RulesInvalid(f"data_rules.fields.{name}: {e}", field=name) from None
    if missing is MissingPolicy.DEFAULT and raw.get("default") is None:
        raise RulesInvalid(f"data_rules.fields.{name}: missing=default needs a default", field=name)
    return FieldRule(
        name=name,
        type=ftype,
        missing=missing,
        default=raw.get("default"),
        min_length=_length(name, "min_length", raw.get("min_length")),
        max_length=_length(name, "max_length", raw.get("max_length")),
    )


def parse_rules(raw: Mapping[str, Any] | None) -> DataRules:
    """Validate a project's ``data_rules`` setting.

    Raises:
        RulesInvalid: naming the bad key.
    """
    if raw is None:
        return DataRules()
    unknown = set(raw) - {"fields", "max_field_chars", "clean_text"}
    if unknown:
        raise RulesInvalid(f"unknown data_rules keys {sorted(unknown)}", field=sorted(unknown)[0])
    fields = raw.get("fields", {})
    if not isinstance(fields, Mapping):
        raise RulesInvalid("data_rules.fields must be an object", field="fields")
    max_chars = raw.get("max_field_chars", DEFAULT_MAX_FIELD_CHARS)
    if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 1:
        raise RulesInvalid("data_rules.max_field_chars must be a positive integer", field="max")
    clean = raw.get("clean_text", True)
    if not isinstance(clean, bool):
        raise RulesInvalid("data_rules.clean_text must be true or false", field="clean_text")
    rules = tuple(_rule(str(name), spec) for name, spec in fields.items())
    return DataRules(fields=rules, max_field_chars=max_chars, clean_text=clean)


def _get(payload: Mapping[str, Any], path: str) -> Any:
    node: Any = payload
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _set(payload: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = payload
    for part in parents:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            node[part] = nxt
        node = nxt
    node[leaf] = value


def _convert(rule: FieldRule, value: Any) -> Any:
    t = rule.type
    if t is FieldType.TEXT:
        if not isinstance(value, str):
            raise FieldProblem(rule.name, "wrong_type", f"{rule.name} must be text")
        return value
    if t is FieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _BOOLEANS:
            return _BOOLEANS[value.strip().lower()]
        raise FieldProblem(rule.name, "wrong_type", f"{rule.name} must be true or false")
    if t in (FieldType.NUMBER, FieldType.INTEGER):
        return _number(rule, value)
    return value


def _number(rule: FieldRule, value: Any) -> float | int:
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value.replace(",", "") if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise FieldProblem(rule.name, "wrong_type", f"{rule.name} is not a number") from None
    if not math.isfinite(number):
        raise FieldProblem(rule.name, "wrong_type", f"{rule.name} must be finite")
    if rule.type is FieldType.INTEGER:
        if not number.is_integer():
            raise FieldProblem(rule.name, "wrong_type", f"{rule.name} must be a whole number")
        return int(number)
    return number


def _check_length(rule: FieldRule, value: Any) -> None:
    if not isinstance(value, str):
        return
    if rule.max_length is not None and len(value) > rule.max_length:
        raise FieldProblem(
            rule.name, "too_long", f"{rule.name} has {len(value)} characters; max {rule.max_length}"
        )
    if rule.min_length is not None and len(value) < rule.min_length:
        raise FieldProblem(
            rule.name,
            "too_short",
            f"{rule.name} has {len(value)} characters; min {rule.min_length}",
        )


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def apply_rules(payload: dict[str, Any], rules: DataRules) -> tuple[tuple[Flag, ...], bool]:
    """Apply the field rules to ``payload`` in place (conversions, defaults).

    Args:
        payload: A payload the caller owns (nested objects are changed in place too).
        rules: The project's rules.

    Returns:
        The row's flags, and whether ``payload`` was changed.

    Raises:
        FieldProblem: A required value is missing, a value has the wrong type or length.
    """
    flags: list[Flag] = []
    changed = False
    for rule in rules.fields:
        value = _get(payload, rule.name)
        if _is_missing(value):
            if rule.missing is MissingPolicy.REJECT:
                raise FieldProblem(rule.name, "missing_value", f"{rule.name} is missing")
            if rule.missing is MissingPolicy.DEFAULT:
                _set(payload, rule.name, rule.default)
                changed = True
            elif rule.missing is MissingPolicy.FLAG:
                flags.append(Flag(rule.name, "missing_value", f"{rule.name} is missing"))
            continue
        converted = _convert(rule, value)
        _check_length(rule, converted)
        if converted is not value:
            _set(payload, rule.name, converted)
            changed = True
    return tuple(flags), changed
