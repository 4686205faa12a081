"""Projects and their settings: what is labelled, how often, by whom, aggregated how."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from shoplabel.domain.ai import parse_ai_settings
from shoplabel.domain.ids import ProjectId, UserId
from shoplabel.domain.labels import LabelSchema
from shoplabel.errors import InvalidSettings

__all__ = [
    "AccessMode",
    "OverlapMode",
    "Project",
    "ProjectCounters",
    "ProjectSettings",
    "parse_settings",
]

MAX_OVERLAP_LIMIT = 50
MAX_LEASE_TTL = 24 * 3600
MAX_REVIEW_STAGES = 5


class OverlapMode(StrEnum):
    """``fixed``: every item collects ``max_overlap`` labels. ``dynamic``: an item is done once
    it has ``min_overlap`` labels and its posterior reaches ``target_confidence``, or at
    ``max_overlap``."""

    FIXED = "fixed"
    DYNAMIC = "dynamic"


class AccessMode(StrEnum):
    """``open``: every worker may work on the project; ``members``: only listed members."""

    OPEN = "open"
    MEMBERS = "members"


@dataclass(frozen=True, slots=True)
class ProjectSettings:
    """Per-project knobs; every field is documented in ``docs/projects.md``."""

    min_overlap: int = 1
    max_overlap: int = 3
    overlap_mode: OverlapMode = OverlapMode.FIXED
    target_confidence: float = 0.95
    lease_ttl_seconds: int = 600
    assignment_policy: str = "round-robin"
    aggregation_method: str = "default"
    access: AccessMode = AccessMode.OPEN
    gold_rate: float = 0.05
    gold_min_every: int = 20
    quality_rules: Mapping[str, Any] | None = None
    exam: Mapping[str, Any] | None = None
    review_stages: tuple[str, ...] = ("review",)
    privacy: Mapping[str, Any] | None = None
    # Import validation and cleaning rules (shoplabel.dataprep.fieldrules; docs/data_quality.md).
    data_rules: Mapping[str, Any] | None = None
    #: AI in the loop (embedder, model labels, auto-labelling): fields in ``docs/ai.md``.
    ai: Mapping[str, Any] | None = None
    #: Periodic relabelling (``docs/training.md``): share of the completed items sent back to
    #: review every ``relabel_every_days`` days by the job worker; 0 turns it off.
    relabel_sample_rate: float = 0.0
    relabel_every_days: int = 30

    def to_dict(self) -> dict[str, Any]:
        out = {k: (v.value if isinstance(v, StrEnum) else v) for k, v in asdict(self).items()}
        if self.quality_rules is not None:
            out["quality_rules"] = dict(self.quality_rules)
        if self.exam is not None:
            out["exam"] = dict(self.exam)
        out["review_stages"] = list(self.review_stages)
        if self.privacy is not None:
            out["privacy"] = dict(self.privacy)
        if self.data_rules is not None:
            out["data_rules"] = dict(self.data_rules)
        if self.ai is not None:
            out["ai"] = dict(self.ai)
        return out


def _int_in(name: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidSettings(
            f"setting {name!r} must be an integer in [{lo}, {hi}], got {value!r}",
            details={"field": name},
        )
    return value


def _check_review_stages(stages: object) -> None:
    ok = (
        isinstance(stages, tuple)
        and 1 <= len(stages) <= MAX_REVIEW_STAGES
        and all(isinstance(n, str) and 1 <= len(n) <= 64 for n in stages)
        and len(set(stages)) == len(stages)
    )
    if not ok:
        raise InvalidSettings(
            f"setting 'review_stages' must be a list of 1 to {MAX_REVIEW_STAGES} distinct stage"
            f" names (1-64 characters each), got {stages!r}",
            details={"field": "review_stages"},
        )


def _json_objects(s: ProjectSettings, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(s, name)
        if value is not None and not isinstance(value, Mapping):
            raise InvalidSettings(
                f"setting {name!r} must be a JSON object or null", details={"field": name}
            )


def _check(s: ProjectSettings) -> ProjectSettings:
    _int_in("min_overlap", s.min_overlap, 1, MAX_OVERLAP_LIMIT)
    _int_in("max_overlap", s.max_overlap, 1, MAX_OVERLAP_LIMIT)
    if s.min_overlap > s.max_overlap:
        raise InvalidSettings(
            f"min_overlap ({s.min_overlap}) must not exceed max_overlap ({s.max_overlap})",
            details={"field": "min_overlap"},
        )
    _int_in("lease_ttl_seconds", s.lease_ttl_seconds, 10, MAX_LEASE_TTL)
    tc = s.target_confidence
    if isinstance(tc, bool) or not isinstance(tc, int | float) or not 0.5 <= tc < 1.0:
        raise InvalidSettings(
            f"setting 'target_confidence' must be in [0.5, 1), got {tc!r}",
            details={"field": "target_confidence"},
        )
    gr = s.gold_rate
    if isinstance(gr, bool) or not isinstance(gr, int | float) or not 0.0 <= gr <= 0.5:
        raise InvalidSettings(
            f"setting 'gold_rate' must be in [0, 0.5], got {gr!r}", details={"field": "gold_rate"}
        )
    _int_in("gold_min_every", s.gold_min_every, 0, 10_000)
    rr = s.relabel_sample_rate
    if isinstance(rr, bool) or not isinstance(rr, int | float) or not 0.0 <= rr <= 0.5:
        raise InvalidSettings(
            f"setting 'relabel_sample_rate' must be in [0, 0.5], got {rr!r}",
            details={"field": "relabel_sample_rate"},
        )
    _int_in("relabel_every_days", s.relabel_every_days, 1, 3650)
    if s.exam is not None and not isinstance(s.exam, Mapping):
        raise InvalidSettings(
            "setting 'exam' must be a JSON object or null", details={"field": "exam"}
        )
    if s.quality_rules is not None and not isinstance(s.quality_rules, Mapping):
        raise InvalidSettings(
            "setting 'quality_rules' must be a JSON object or null",
            details={"field": "quality_rules"},
        )
    _check_review_stages(s.review_stages)
    _json_objects(s, ("privacy", "data_rules", "ai"))
    if s.ai is not None:
        parse_ai_settings(s.ai)
    for name in ("assignment_policy", "aggregation_method"):
        if not isinstance(getattr(s, name), str) or not getattr(s, name):
            raise InvalidSettings(
                f"setting {name!r} must be a non-empty string", details={"field": name}
            )
    return s


def _enum(name: str, enum: type[StrEnum], value: object) -> StrEnum:
    try:
        return enum(str(value))
    except ValueError:
        allowed = [e.value for e in enum]
        raise InvalidSettings(
            f"setting {name!r} must be one of {allowed}, got {value!r}", details={"field": name}
        ) from None


def parse_settings(
    raw: Mapping[str, Any] | None, *, base: ProjectSettings | None = None
) -> ProjectSettings:
    """Merge ``raw`` (JSON) over ``base`` (or the defaults) and validate the result.

    Raises:
        InvalidSettings: an unknown key, a wrong type or an inconsistent combination.
    """
    base = base or ProjectSettings()
    raw = dict(raw or {})
    known = {f.name for f in fields(ProjectSettings)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InvalidSettings(
            f"unknown project settings {unknown}; known: {sorted(known)}",
            details={"field": unknown[0]},
        )
    if "overlap_mode" in raw:
        raw["overlap_mode"] = _enum("overlap_mode", OverlapMode, raw["overlap_mode"])
    if "access" in raw:
        raw["access"] = _enum("access", AccessMode, raw["access"])
    if isinstance(raw.get("review_stages"), list):
        raw["review_stages"] = tuple(raw["review_stages"])
    return _check(replace(base, **raw))


@dataclass(frozen=True, slots=True)
class ProjectCounters:
    """Counters maintained in the same transaction as the writes they count."""

    n_items: int = 0
    n_open: int = 0
    n_done: int = 0
    n_review: int = 0
    n_annotations: int = 0
    n_skips: int = 0


@dataclass(frozen=True, slots=True)
class Project:
    id: ProjectId
    name: str
    owner_id: UserId
    template: str
    schema: LabelSchema
    instructions: str
    display_fields: tuple[str, ...]
    settings: ProjectSettings
    created_at: datetime
    counters: ProjectCounters = ProjectCounters()
    description: str = ""
