"""A project's masking policy: which payload fields are masked, for whom, and how.

The policy is the ``privacy`` project setting::

    {"fields": {"review": {"worker": "tag", "reviewer": "partial", "manager": "partial"},
                "buyer.note": {"kinds": ["phone", "address"]}}}

Each key of ``fields`` is a dotted payload path; its value names a mask style per audience
(``worker``, ``reviewer``, ``manager``; each defaults to ``tag``) and optionally the PII kinds
to look for (default: all). A path may hold a string or a nested object/list, whose strings
are all masked. :func:`mask_payload` detects once per string and renders every style needed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, NoReturn

from shoplabel.dataprep.pii.detector import detect
from shoplabel.dataprep.pii.masking import MaskStyle, render
from shoplabel.dataprep.pii.spans import PiiKind
from shoplabel.errors import InvalidSettings

__all__ = ["Audience", "FieldRule", "MaskedPayload", "PrivacyPolicy", "get_path", "mask_payload"]

MAX_FIELDS: Final = 100
_FIELD = "privacy"


class Audience(StrEnum):
    """Who reads an item: labellers, reviewers on review pages, the project's managers."""

    WORKER = "worker"
    REVIEWER = "reviewer"
    MANAGER = "manager"


@dataclass(frozen=True, slots=True)
class FieldRule:
    """How one payload field is masked."""

    path: str
    styles: Mapping[Audience, MaskStyle]
    kinds: frozenset[PiiKind] | None = None


@dataclass(frozen=True, slots=True)
class PrivacyPolicy:
    """The parsed ``privacy`` setting; build it with :meth:`parse`."""

    rules: tuple[FieldRule, ...]

    @property
    def needs_hash_key(self) -> bool:
        return any(MaskStyle.HASH in r.styles.values() for r in self.rules)

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | None) -> PrivacyPolicy | None:
        """Validate the ``privacy`` setting; ``None`` or no fields means no masking.

        Raises:
            InvalidSettings: naming the field of the policy that is wrong.
        """
        if raw is None:
            return None
        if not isinstance(raw, Mapping) or set(raw) - {"fields"}:
            _bad("must be an object with one key, 'fields'")
        fields = raw.get("fields") or {}
        if not isinstance(fields, Mapping) or len(fields) > MAX_FIELDS:
            _bad(f"'fields' must be an object of at most {MAX_FIELDS} field paths")
        rules = tuple(_rule(path, spec) for path, spec in fields.items())
        return cls(rules) if rules else None


def _bad(reason: str) -> NoReturn:
    raise InvalidSettings(f"setting 'privacy' {reason}", details={"field": _FIELD})


def _rule(path: object, spec: object) -> FieldRule:
    if not isinstance(path, str) or not path or any(not p for p in path.split(".")):
        _bad(f"has a bad field path {path!r} (dotted names such as 'buyer.note')")
    if not isinstance(spec, Mapping):
        _bad(f"field {path!r} must map to an object such as {{'worker': 'tag'}}")
    allowed = {a.value for a in Audience} | {"kinds"}
    unknown = sorted(set(spec) - allowed)
    if unknown:
        _bad(f"field {path!r} has unknown keys {unknown}; known: {sorted(allowed)}")
    styles: dict[Audience, MaskStyle] = {}
    for audience in Audience:
        value = spec.get(audience.value, MaskStyle.TAG.value)
        if value not in {s.value for s in MaskStyle}:
            _bad(f"field {path!r}: {audience.value} style must be tag, partial or hash")
        styles[audience] = MaskStyle(value)
    kinds = spec.get("kinds")
    if kinds is not None and (
        not isinstance(kinds, list) or not kinds or not set(kinds) <= {k.value for k in PiiKind}
    ):
        _bad(f"field {path!r}: 'kinds' must be a non-empty list of {[k.value for k in PiiKind]}")
    return FieldRule(
        str(path),
        MappingProxyType(styles),
        None if kinds is None else frozenset(PiiKind(k) for k in kinds),
    )


@dataclass(frozen=True, slots=True)
class MaskedPayload:
    """One item's payload after masking.

    Attributes:
        payload: The worker's view, stored as the item's payload.
        views: Audience -> {path: masked value} for audiences whose view differs.
        originals: Path -> original value of each field where something was masked (to be
            sealed, never stored in clear).
        found: PII kind -> number of findings.
    """

    payload: dict[str, Any]
    views: dict[str, dict[str, Any]]
    originals: dict[str, Any]
    found: dict[str, int]


def get_path(payload: Mapping[str, Any], path: str) -> Any:
    """The value at dotted ``path`` in nested dicts, or ``None``."""
    node: Any = payload
    for part in path.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def set_path(payload: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` in nested dicts (the path exists: it was read from the same payload)."""
    *parents, leaf = path.split(".")
    node = payload
    for part in parents:
        child = dict(node[part])
        node[part] = child
        node = child
    node[leaf] = value


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    if isinstance(value, Mapping):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    return value


def _mask_field(
    value: Any, rule: FieldRule, key: bytes | None, found: Counter[str]
) -> dict[MaskStyle, Any]:
    spans_of: dict[str, Any] = {}

    def spans(text: str) -> Any:
        if text not in spans_of:
            spans_of[text] = detect(text, kinds=rule.kinds)
            found.update(s.kind.value for s in spans_of[text])
        return spans_of[text]

    def in_style(style: MaskStyle) -> Callable[[str], str]:
        return lambda text: render(text, spans(text), style=style, key=key)

    return {s: _map_strings(value, in_style(s)) for s in dict.fromkeys(rule.styles.values())}


def mask_payload(
    payload: Mapping[str, Any], policy: PrivacyPolicy, *, key: bytes | None
) -> MaskedPayload:
    """Mask the policy's fields of ``payload`` (not changed in place).

    Args:
        payload: An item's payload (nested dicts).
        policy: The project's policy.
        key: Key of the ``hash`` style (required when the policy uses it).

    Raises:
        MissingMaskKey: the policy uses ``hash`` and ``key`` is empty.
    """
    stored = dict(payload)
    views: dict[str, dict[str, Any]] = {}
    originals: dict[str, Any] = {}
    found: Counter[str] = Counter()
    for rule in policy.rules:
        value = get_path(payload, rule.path)
        if value is None:
            continue
        by_style = _mask_field(value, rule, key, found)
        worker_value = by_style[rule.styles[Audience.WORKER]]
        if all(v == value for v in by_style.values()):
            continue
        originals[rule.path] = value
        set_path(stored, rule.path, worker_value)
        for audience, style in rule.styles.items():
            if audience is not Audience.WORKER and by_style[style] != worker_value:
                views.setdefault(audience.value, {})[rule.path] = by_style[style]
    return MaskedPayload(stored, views, originals, dict(found))
