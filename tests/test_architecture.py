"""Public surfaces resolve and nothing connects at import (DESIGN.md habits 8 and 14)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import shoplabel

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(shoplabel.__path__, prefix="shoplabel.")
    if ".migrations" not in m.name
)


@pytest.mark.parametrize("name", MODULES)
def test_every_public_name_resolves(name: str) -> None:
    module = importlib.import_module(name)
    for public in getattr(module, "__all__", ()):
        assert hasattr(module, public), f"{name}.__all__ names missing {public!r}"


def test_every_package_declares_all() -> None:
    packages = [
        m.name
        for m in pkgutil.walk_packages(shoplabel.__path__, prefix="shoplabel.")
        if m.ispkg and ".migrations" not in m.name and "demo_data" not in m.name
    ]
    missing = [p for p in packages if not hasattr(importlib.import_module(p), "__all__")]
    assert not missing, f"packages without __all__: {missing}"
