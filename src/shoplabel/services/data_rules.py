"""A project's import rules (``data_rules`` setting), parsed once and checked on save."""

from __future__ import annotations

from shoplabel.dataprep.fieldrules import DataRules, RulesInvalid, parse_rules
from shoplabel.domain.projects import ProjectSettings
from shoplabel.errors import InvalidSettings

__all__ = ["data_rules"]


def data_rules(settings: ProjectSettings) -> DataRules:
    """The parsed ``data_rules`` of a project.

    Raises:
        InvalidSettings: The setting is malformed (``details.field`` = ``data_rules``).
    """
    try:
        return parse_rules(settings.data_rules)
    except RulesInvalid as e:
        raise InvalidSettings(
            f"data_rules: {e}", details={"field": "data_rules", "key": e.field}
        ) from None
