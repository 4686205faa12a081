"""The create-project wizard's form: what was typed, how it parses into a
:class:`~shoplabel.services.projects.ProjectSpec`, and which field each error belongs to.

Numbers stay strings until parsed, so a bad one is shown back as typed with the error next to
it; the services' own validation errors (label schema, settings, rules, exam) are mapped to the
field they came from through ``details["field"]``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any, Final

from pydantic import BaseModel

from shoplabel.domain.projects import ProjectSettings
from shoplabel.domain.templates import TEMPLATES
from shoplabel.quality import DEFAULT_RULES
from shoplabel.services import projects

__all__ = [
    "ProjectForm",
    "ProjectFormIn",
    "default_form",
    "error_field",
    "parse_form",
    "template_defaults",
]

#: Service error ``details.field`` -> the form field it is shown next to.
_FIELD_OF: Final = {
    "lease_ttl_seconds": "lease_ttl",
    "assignment_policy": "policy",
    "template": "template",
    "name": "name",
    "min_overlap": "min_overlap",
    "max_overlap": "max_overlap",
    "overlap_mode": "overlap_mode",
    "target_confidence": "target_confidence",
    "gold_rate": "gold_rate",
    "quality_rules": "quality_rules",
    "exam": "exam",
    "review_stages": "review_stages",
}
_INTS: Final = ("max_overlap", "min_overlap", "lease_ttl")
_FRACTIONS: Final = ("target_confidence", "gold_rate")
_DEFAULTS: Final = ProjectSettings()


def _rules_json() -> str:
    return json.dumps(DEFAULT_RULES.to_dict(), ensure_ascii=False, indent=2)


@dataclass(frozen=True, slots=True)
class ProjectForm:
    """The create-project form as typed, with the error shown next to each field."""

    template: str = "query_product_relevance"
    name: str = ""
    labels: str = ""
    instructions: str = ""
    overlap_mode: str = _DEFAULTS.overlap_mode.value
    max_overlap: str = str(_DEFAULTS.max_overlap)
    min_overlap: str = str(_DEFAULTS.min_overlap)
    target_confidence: str = str(_DEFAULTS.target_confidence)
    lease_ttl: str = str(_DEFAULTS.lease_ttl_seconds)
    policy: str = _DEFAULTS.assignment_policy
    gold_rate: str = str(_DEFAULTS.gold_rate)
    exam: str = ""
    exam_questions: str = "10"
    exam_pass_mark: str = "0.8"
    rules_mode: str = "default"
    quality_rules: str = field(default_factory=_rules_json)
    review_stages: str = ", ".join(_DEFAULTS.review_stages)
    errors: dict[str, str] = field(default_factory=dict)


class ProjectFormIn(BaseModel):
    """The form as posted: every field a string; a field not posted at all takes the form's
    default (an unchecked checkbox posts nothing, so ``exam`` defaults to off)."""

    csrf_token: str = ""
    template: str = ""
    name: str = ""
    labels: str = ""
    instructions: str = ""
    overlap_mode: str = _DEFAULTS.overlap_mode.value
    max_overlap: str = str(_DEFAULTS.max_overlap)
    min_overlap: str = str(_DEFAULTS.min_overlap)
    target_confidence: str = str(_DEFAULTS.target_confidence)
    lease_ttl: str = str(_DEFAULTS.lease_ttl_seconds)
    policy: str = _DEFAULTS.assignment_policy
    gold_rate: str = str(_DEFAULTS.gold_rate)
    exam: str = ""
    exam_questions: str = "10"
    exam_pass_mark: str = "0.8"
    rules_mode: str = "default"
    quality_rules: str = ""
    review_stages: str = ", ".join(_DEFAULTS.review_stages)

    def form(self) -> ProjectForm:
        names = {f.name for f in fields(ProjectForm)} - {"errors"}
        return ProjectForm(**self.model_dump(include=names))


def template_defaults() -> dict[str, dict[str, Any]]:
    """Each template's schema and instructions, for the script that prefills the form."""
    return {
        key: {"schema": dict(t.schema), "instructions": t.instructions}
        for key, t in TEMPLATES.items()
    }


def default_form(template: str = "query_product_relevance") -> ProjectForm:
    tpl = TEMPLATES[template]
    labels = json.dumps(dict(tpl.schema), ensure_ascii=False, indent=2)
    return ProjectForm(template=template, labels=labels, instructions=tpl.instructions)


def _json(raw: str, name: str, errors: dict[str, str]) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        errors[name] = "new.bad_json"
        return None


def _numbers(form: ProjectForm, errors: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ints = (*_INTS, "exam_questions") if form.exam else _INTS
    for name in ints:
        raw = getattr(form, name).strip()
        if raw.lstrip("-").isdigit():
            out[name] = int(raw)
        else:
            errors[name] = "new.bad_number"
    fractions = (*_FRACTIONS, "exam_pass_mark") if form.exam else _FRACTIONS
    for name in fractions:
        try:
            out[name] = float(getattr(form, name).strip())
        except ValueError:
            errors[name] = "new.bad_fraction"
    return out


def _settings(form: ProjectForm, n: dict[str, Any], rules: Any) -> dict[str, Any]:
    stages = [s.strip() for s in form.review_stages.split(",") if s.strip()]
    settings: dict[str, Any] = {
        "overlap_mode": form.overlap_mode,
        "max_overlap": n["max_overlap"],
        "min_overlap": n["min_overlap"],
        "target_confidence": n["target_confidence"],
        "lease_ttl_seconds": n["lease_ttl"],
        "assignment_policy": form.policy,
        "gold_rate": n["gold_rate"],
        "review_stages": stages,
    }
    if form.exam:
        settings["exam"] = {"questions": n["exam_questions"], "pass_mark": n["exam_pass_mark"]}
    if form.rules_mode == "custom":
        settings["quality_rules"] = rules
    return settings


def parse_form(form: ProjectForm) -> tuple[projects.ProjectSpec | None, dict[str, str]]:
    """The spec to create, or the field errors found before asking the service."""
    errors: dict[str, str] = {}
    schema = _json(form.labels, "labels", errors)
    rules = (
        _json(form.quality_rules, "quality_rules", errors) if form.rules_mode == "custom" else None
    )
    if form.rules_mode == "custom" and rules is None and "quality_rules" not in errors:
        errors["quality_rules"] = "new.bad_json"
    numbers = _numbers(form, errors)
    if errors:
        return None, errors
    spec = projects.ProjectSpec(
        name=form.name,
        template=form.template,
        schema=schema,
        instructions=form.instructions,
        settings=_settings(form, numbers, rules),
    )
    return spec, {}


def error_field(details_field: object) -> str:
    """The form field a service error's ``details["field"]`` belongs to (label schema paths
    like ``labels[2]`` and anything unknown go to the label schema)."""
    return _FIELD_OF.get(str(details_field), "labels")
