"""Which task a worker gets next: a typed chain (held lease -> policy), each step with a reason.

Storage produces candidate items (already filtered to the open ones the worker has not seen,
under the overlap quota); a policy orders them. The quality-control issue adds the exam and
gold steps in front and smarter policies behind the same :class:`NextReason` contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from shoplabel.domain.ids import ItemId
from shoplabel.errors import InvalidSettings

__all__ = [
    "POLICIES",
    "CandidateOrder",
    "NextReason",
    "PolicySpec",
    "get_policy",
]


class NextReason(StrEnum):
    """Why an item was handed out."""

    HELD_LEASE = "held_lease"
    GOLD = "gold"
    ROUND_ROBIN = "round_robin"
    RANDOM = "random"
    UNCERTAINTY_FIRST = "uncertainty_first"
    ABILITY_MATCHED = "ability_matched"
    LEARNED = "learned"


class CandidateOrder(StrEnum):
    """How storage walks the open items: queue order (priority, then id) or from a random id."""

    QUEUE = "queue"
    RANDOM_START = "random_start"


@dataclass(frozen=True, slots=True)
class PolicySpec:
    """An assignment policy: how candidates are fetched and the reason recorded."""

    name: str
    order: CandidateOrder
    reason: NextReason
    description: str
    #: The service re-ranks the candidates by worker skill vs. item difficulty.
    ability_rerank: bool = False
    #: Submits keep each item's ``priority`` at its uncertainty-first score.
    scores_priority: bool = False
    #: The service re-ranks the candidates with the project's learned routing model.
    learned_rerank: bool = False

    def pick(self, candidates: list[ItemId]) -> list[ItemId]:
        """Return the candidates in the order they should be tried."""
        return candidates


POLICIES: Final[Mapping[str, PolicySpec]] = MappingProxyType(
    {
        "round-robin": PolicySpec(
            "round-robin",
            CandidateOrder.QUEUE,
            NextReason.ROUND_ROBIN,
            "Highest priority first, then import order: items finish one after another.",
        ),
        "random": PolicySpec(
            "random",
            CandidateOrder.RANDOM_START,
            NextReason.RANDOM,
            "Items from a uniformly random point of the queue: spreads workers over the data.",
        ),
        "uncertainty-first": PolicySpec(
            "uncertainty-first",
            CandidateOrder.QUEUE,
            NextReason.UNCERTAINTY_FIRST,
            "Contested items in progress first, then items one label from closing, then new "
            "ones: every submit re-scores its item's priority from the posterior.",
            scores_priority=True,
        ),
        "ability-matched": PolicySpec(
            "ability-matched",
            CandidateOrder.QUEUE,
            NextReason.ABILITY_MATCHED,
            "Among the next items in the queue, hard ones (uncertain posterior) to workers with "
            "a high proven skill, easy ones to new workers.",
            ability_rerank=True,
        ),
        "learned": PolicySpec(
            "learned",
            CandidateOrder.QUEUE,
            NextReason.LEARNED,
            "Among the next items in the queue, the ones a model trained on the project's "
            "history gives this worker the best chance to label right (queue order until "
            "an aggregation run has trained it).",
            learned_rerank=True,
        ),
    }
)


def get_policy(name: str) -> PolicySpec:
    """Return the policy named ``name``.

    Raises:
        InvalidSettings: listing the known policies.
    """
    try:
        return POLICIES[name]
    except KeyError:
        raise InvalidSettings(
            f"unknown assignment policy {name!r}; known: {sorted(POLICIES)}",
            details={"field": "assignment_policy"},
        ) from None
