"""Typed, range-checked numeric parameters of rule conditions and actions.

Rules are stored as JSON, so every parameter is a plain number validated here: a declared
default, an inclusive range, whether it must be an integer, and which direction makes a
condition *stricter* (fire on fewer workers). The direction is what lets
:class:`~shoplabel.quality.rules.RuleSet` tell an escalation from a contradiction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from shoplabel.quality.errors import InvalidRule

__all__ = ["ParamSpec", "Stricter", "resolve_params"]


class Stricter(StrEnum):
    """Which values of a parameter make its condition fire on fewer workers."""

    LOWER = "lower"
    HIGHER = "higher"


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One parameter: name, default, inclusive range ``[lo, hi]``, integer or real.

    Attributes:
        name: JSON key.
        default: Value used when a rule omits the key.
        lo: Smallest allowed value (thresholds are never negative).
        hi: Largest allowed value.
        integer: Whether only whole numbers are allowed.
        stricter: Direction that narrows the condition (unused for action parameters).
        doc: One line for ``docs/quality.md``.
    """

    name: str
    default: float
    lo: float
    hi: float
    integer: bool = False
    stricter: Stricter = Stricter.HIGHER
    doc: str = ""

    def check(self, value: object, *, where: str) -> float:
        """Return ``value`` as a number in range (``int`` for integer parameters).

        Raises:
            InvalidRule: Not a number, not whole when it must be, or out of range.
        """
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(f"{where}: {self.name!r} must be a number, got {value!r}", where)
        if not math.isfinite(value) or not self.lo <= value <= self.hi:
            raise _bad(
                f"{where}: {self.name!r} must be in [{self.lo:g}, {self.hi:g}], got {value!r}",
                where,
            )
        if self.integer:
            if not float(value).is_integer():
                raise _bad(f"{where}: {self.name!r} must be a whole number, got {value!r}", where)
            return int(value)
        return float(value)


def _bad(message: str, where: str) -> InvalidRule:
    return InvalidRule(message, details={"rule": where})


def resolve_params(
    specs: tuple[ParamSpec, ...], raw: Mapping[str, object], *, where: str
) -> Mapping[str, float]:
    """Validate ``raw`` against ``specs`` and fill in defaults; returns a read-only mapping.

    Raises:
        InvalidRule: An unknown key (listing the known ones) or a bad value.
    """
    known = {s.name for s in specs}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise _bad(f"{where}: unknown parameters {unknown}; known: {sorted(known)}", where)
    values = {s.name: s.check(raw.get(s.name, s.default), where=where) for s in specs}
    return MappingProxyType(values)
