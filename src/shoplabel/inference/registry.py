"""Read-only registry of categorical aggregators, by the name users pass (``--method``)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from shoplabel.inference.dawid_skene import DawidSkene, OneCoinDawidSkene
from shoplabel.inference.errors import UnknownMethod
from shoplabel.inference.glad import GLAD
from shoplabel.inference.mace import MACE
from shoplabel.inference.majority import MajorityVote, Wawa, WeightedMajorityVote
from shoplabel.inference.ordinal import OrdinalDawidSkene
from shoplabel.inference.result import Aggregator
from shoplabel.inference.shrinkage import ShrinkageDawidSkene

__all__ = ["AGGREGATORS", "DEFAULT_METHOD", "make_aggregator"]

AGGREGATORS: Final[Mapping[str, type[Aggregator]]] = MappingProxyType(
    {
        "majority-vote": MajorityVote,
        "weighted-majority-vote": WeightedMajorityVote,
        "wawa": Wawa,
        "dawid-skene": DawidSkene,
        "one-coin-dawid-skene": OneCoinDawidSkene,
        "glad": GLAD,
        "mace": MACE,
        "ordinal-dawid-skene": OrdinalDawidSkene,
        "shrinkage-dawid-skene": ShrinkageDawidSkene,
    }
)

#: The method used when none is named: robust across the benchmark with one setting.
DEFAULT_METHOD: Final[str] = "shrinkage-dawid-skene"


def make_aggregator(name: str = DEFAULT_METHOD) -> Aggregator:
    """The registered aggregator ``name`` with its default options.

    Raises:
        UnknownMethod: ``name`` is not registered.
    """
    cls = AGGREGATORS.get(name)
    if cls is None:
        raise UnknownMethod(
            f"unknown aggregation method {name!r}; choose one of {', '.join(AGGREGATORS)}",
            details={"method": name},
        )
    return cls()
