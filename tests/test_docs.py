"""Docs stay true: every setting, command, template, schema kind, project setting, policy and
error code is documented (DESIGN.md habit 14)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from pathlib import Path

import typer

import shoplabel
import shoplabel.errors as errors
from shoplabel.cli.app import app
from shoplabel.config import Settings
from shoplabel.domain.labels import SchemaKind
from shoplabel.domain.projects import ProjectSettings
from shoplabel.domain.scheduling import POLICIES
from shoplabel.domain.templates import TEMPLATES

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _commands(group: object, prefix: str) -> list[str]:
    """Command paths under a Typer group (Typer vendors its own click, so duck-type)."""
    out = []
    for name, cmd in getattr(group, "commands", {}).items():
        if hasattr(cmd, "commands"):
            out += _commands(cmd, f"{prefix} {name}")
        else:
            out.append(f"{prefix} {name}")
    return out


def test_every_setting_is_documented() -> None:
    text = _read("configuration.md")
    missing = [f for f in Settings.model_fields if f"`SHOPLABEL_{f.upper()}`" not in text]
    assert not missing, f"undocumented settings: {missing}"


def test_every_cli_command_is_documented() -> None:
    names = _commands(typer.main.get_command(app), "shoplabel")
    assert len(names) >= 12
    text = _read("cli.md")
    missing = [n for n in names if f"## `{n}`" not in text]
    assert not missing, f"undocumented commands: {missing}"


def test_every_template_schema_kind_setting_and_policy_is_documented() -> None:
    text = _read("projects.md")
    wanted = [f"### `{k}`" for k in TEMPLATES] + [f"### `{k.value}`" for k in SchemaKind]
    wanted += [f"| `{f.name}` |" for f in dataclasses.fields(ProjectSettings)]
    wanted += [f"### `{name}`" for name in POLICIES]
    missing = [w for w in wanted if w not in text]
    assert not missing, f"undocumented in projects.md: {missing}"


def _error_classes() -> set[type[errors.ShoplabelError]]:
    """Every ShoplabelError subclass defined anywhere in the package."""
    found: set[type[errors.ShoplabelError]] = set()
    for info in pkgutil.walk_packages(shoplabel.__path__, prefix="shoplabel."):
        if ".migrations" in info.name:
            continue
        module = importlib.import_module(info.name)
        found |= {
            c
            for _, c in inspect.getmembers(module, inspect.isclass)
            if issubclass(c, errors.ShoplabelError)
        }
    return found


def test_every_error_code_is_documented() -> None:
    text = _read("errors.md")
    codes = {cls.code for cls in _error_classes()}
    assert len(codes) > 40
    missing = sorted(c for c in codes if f"`{c}`" not in text)
    assert not missing, f"undocumented error codes: {missing}"
