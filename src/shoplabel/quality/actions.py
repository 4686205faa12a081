"""Rule actions: what happens to a worker a rule fires on.

Actions are data; the services apply them (suspend the membership, flag labels, re-open
items) and record each one with its reason. Every action kind has a severity, used by
:class:`~shoplabel.quality.rules.RuleSet` to reject escalation inversions and by
:func:`merge_actions` to combine the actions of several fired rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from shoplabel.quality.errors import InvalidRule, UnknownRuleAction
from shoplabel.quality.params import ParamSpec, resolve_params

__all__ = ["ACTIONS", "Action", "ActionKind", "ActionSpec", "merge_actions"]


class ActionKind(StrEnum):
    """Known actions, in the order :func:`merge_actions` returns them."""

    BAN_FROM_PROJECT = "ban_from_project"
    SUSPEND = "suspend"
    REJECT_LABELS = "reject_labels"
    DOWNWEIGHT_LABELS = "downweight_labels"
    REQUEUE_ITEMS = "requeue_items"
    WARN = "warn"


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """An action kind: severity (0 mildest) and parameters."""

    severity: int
    params: tuple[ParamSpec, ...]
    doc: str


ACTIONS: Final[Mapping[ActionKind, ActionSpec]] = MappingProxyType(
    {
        ActionKind.WARN: ActionSpec(0, (), "Tell the worker which rule fired and why."),
        ActionKind.REQUEUE_ITEMS: ActionSpec(
            1, (), "Re-open the worker's items so they collect a replacement label."
        ),
        ActionKind.DOWNWEIGHT_LABELS: ActionSpec(
            1,
            (ParamSpec("factor", 0.5, 0.01, 0.99, doc="weight multiplier of the labels"),),
            "Retroactively multiply the weight of the worker's labels in aggregation.",
        ),
        ActionKind.SUSPEND: ActionSpec(
            2,
            (ParamSpec("hours", 24.0, 0.01, 24.0 * 365, doc="suspension length"),),
            "No new tasks in the project for a while.",
        ),
        ActionKind.REJECT_LABELS: ActionSpec(
            2, (), "Retroactively drop the worker's labels from aggregation and export."
        ),
        ActionKind.BAN_FROM_PROJECT: ActionSpec(
            3, (), "No new tasks in the project, ever (until a requester lifts it)."
        ),
    }
)

INCOMPATIBLE: Final[tuple[frozenset[ActionKind], ...]] = (
    frozenset({ActionKind.REJECT_LABELS, ActionKind.DOWNWEIGHT_LABELS}),
    frozenset({ActionKind.SUSPEND, ActionKind.BAN_FROM_PROJECT}),
)
"""Pairs that cannot both be meant by one rule: drop vs keep-at-lower-weight, come back
later vs never come back."""


@dataclass(frozen=True, slots=True)
class Action:
    """One action with its (default-filled, validated) parameters.

    Raises:
        UnknownRuleAction: ``kind`` is not an :class:`ActionKind`.
        InvalidRule: A bad parameter.
    """

    kind: ActionKind
    params: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            kind = ActionKind(self.kind)
        except ValueError:
            known = [k.value for k in ActionKind]
            raise UnknownRuleAction(
                f"unknown action {self.kind!r}; known: {known}", details={"action": self.kind}
            ) from None
        params = resolve_params(ACTIONS[kind].params, self.params, where=f"action {kind.value}")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "params", params)

    def __hash__(self) -> int:
        return hash((self.kind, tuple(sorted(self.params.items()))))

    @property
    def severity(self) -> int:
        """0 (warn) to 3 (ban)."""
        return ACTIONS[self.kind].severity

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": "suspend", "hours": 24.0}``."""
        return {"kind": self.kind.value, **self.params}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Action:
        """Parse :meth:`to_dict` output (missing parameters take their defaults)."""
        if not isinstance(raw, Mapping) or "kind" not in raw:
            raise InvalidRule(f"an action must be an object with a 'kind', got {raw!r}")
        return cls(raw["kind"], {k: v for k, v in raw.items() if k != "kind"})

    def describe(self) -> str:
        """``suspend(hours=24)``."""
        args = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{self.kind.value}({args})" if args else self.kind.value


def merge_actions(actions: Iterable[Action]) -> tuple[Action, ...]:
    """Combine the actions of several fired rules into what the service should apply.

    A ban supersedes a suspension and a rejection supersedes a down-weighting; of several
    suspensions the longest wins, of several down-weightings the smallest factor; duplicates
    collapse. The result is ordered by :class:`ActionKind` (most severe first).
    """
    by_kind: dict[ActionKind, Action] = {}
    for action in actions:
        kept = by_kind.get(action.kind)
        if kept is None or _stronger(action, kept):
            by_kind[action.kind] = action
    if ActionKind.BAN_FROM_PROJECT in by_kind:
        by_kind.pop(ActionKind.SUSPEND, None)
    if ActionKind.REJECT_LABELS in by_kind:
        by_kind.pop(ActionKind.DOWNWEIGHT_LABELS, None)
    return tuple(by_kind[k] for k in ActionKind if k in by_kind)


def _stronger(new: Action, old: Action) -> bool:
    if new.kind is ActionKind.SUSPEND:
        return new.params["hours"] > old.params["hours"]
    if new.kind is ActionKind.DOWNWEIGHT_LABELS:
        return new.params["factor"] < old.params["factor"]
    return False
