from __future__ import annotations

from pathlib import Path

import pytest

import shoplabel.inference as inference
from shoplabel.inference import AGGREGATORS, DEFAULT_METHOD, UnknownMethod, make_aggregator

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_public_name_resolves() -> None:
    missing = [name for name in inference.__all__ if not hasattr(inference, name)]
    assert not missing


def test_every_aggregator_is_documented() -> None:
    text = (DOCS / "algorithms.md").read_text(encoding="utf-8")
    missing = [name for name in AGGREGATORS if f"## `{name}`" not in text]
    assert not missing, f"undocumented aggregators: {missing}"


def test_default_method_is_registered_and_constructible() -> None:
    assert DEFAULT_METHOD in AGGREGATORS
    assert type(make_aggregator()) is AGGREGATORS[DEFAULT_METHOD]


def test_registry_is_read_only_and_unknown_names_fail_clearly() -> None:
    with pytest.raises(TypeError):
        AGGREGATORS["x"] = AGGREGATORS[DEFAULT_METHOD]  # type: ignore[index]
    with pytest.raises(UnknownMethod) as err:
        make_aggregator("nope")
    assert err.value.code == "unknown_method"
