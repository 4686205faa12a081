"""docs/quality.md documents every condition, action and error code of the package."""

from __future__ import annotations

import inspect
from pathlib import Path

import shoplabel.quality as quality
import shoplabel.quality.errors as quality_errors
from shoplabel.errors import ShoplabelError
from shoplabel.quality.actions import ACTIONS
from shoplabel.quality.conditions import CONDITIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "quality.md"


def test_every_condition_action_and_parameter_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    wanted = [f"### `{name}`" for name in CONDITIONS] + [f"### `{k.value}`" for k in ACTIONS]
    wanted += [f"`{p.name}`" for spec in CONDITIONS.values() for p in spec.params]
    wanted += [f"`{p.name}`" for spec in ACTIONS.values() for p in spec.params]
    missing = [w for w in wanted if w not in text]
    assert not missing, f"undocumented in quality.md: {missing}"


def test_every_quality_error_code_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    codes = {
        cls.code
        for _, cls in inspect.getmembers(quality_errors, inspect.isclass)
        if issubclass(cls, ShoplabelError) and cls.__module__ == quality_errors.__name__
    }
    missing = sorted(c for c in codes if f"`{c}`" not in text)
    assert not missing, f"undocumented error codes: {missing}"


def test_default_rules_are_listed() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [r.name for r in quality.DEFAULT_RULES.rules if f"`{r.name}`" not in text]
    assert not missing
