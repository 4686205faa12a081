"""Augmented training exports: perturbed and paraphrased copies of training rows only.

Every exported item gets a stable ``split`` (``train`` or ``eval``) from a hash of its
external id, so the same item lands in the same split on every export. Only ``train`` rows are
augmented; augmented rows carry ``augmented: true``, the kind of change, and the id of the row
they come from (``augmented_from``), and they inherit its gold and consensus as their label.
``eval`` rows are never augmented and no augmented row is ever put in ``eval``.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from shoplabel.dataprep.augment import Neighbours, Perturbation, TextCompletion, augment_text
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor
from shoplabel.errors import InvalidInput
from shoplabel.services.exports import ExportKind, export_rows

__all__ = ["EVAL", "TRAIN", "AugmentOptions", "augmented_rows", "split_of"]

TRAIN = "train"
EVAL = "eval"


@dataclass(frozen=True, slots=True)
class AugmentOptions:
    """``field``: dotted payload path of the text to vary (e.g. ``query``)."""

    field: str
    n: int = 2
    kinds: tuple[Perturbation, ...] = tuple(Perturbation)
    eval_fraction: float = 0.2
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.eval_fraction < 1.0:
            raise InvalidInput("eval_fraction must be in [0, 1)", details={"field": "eval"})
        if not 1 <= self.n <= 20:
            raise InvalidInput("n must be 1-20 variants per row", details={"field": "n"})


def split_of(external_id: str, *, eval_fraction: float) -> str:
    """``eval`` for a stable ``eval_fraction`` share of external ids, else ``train``."""
    digest = hashlib.sha256(external_id.encode("utf-8")).digest()
    return EVAL if int.from_bytes(digest[:8], "big") / 2**64 < eval_fraction else TRAIN


def _get(payload: Mapping[str, Any], path: str) -> Any:
    node: Any = payload
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _with_text(payload: Mapping[str, Any], path: str, text: str) -> dict[str, Any]:
    out = copy.deepcopy(dict(payload))
    *parents, leaf = path.split(".")
    node = out
    for part in parents:
        node = node[part]
    node[leaf] = text
    return out


def _variants(
    row: dict[str, Any],
    opts: AugmentOptions,
    neighbours: Neighbours | None,
    paraphraser: TextCompletion | None,
) -> Iterator[dict[str, Any]]:
    text = _get(row["payload"], opts.field)
    if not isinstance(text, str) or not text.strip():
        return
    rng = np.random.default_rng([opts.seed, int(row["item_id"])])
    variants = augment_text(
        text, rng, kinds=opts.kinds, n=opts.n, neighbours=neighbours, paraphraser=paraphraser
    )
    for k, v in enumerate(variants, start=1):
        yield row | {
            "item_id": None,
            "external_id": f"{row['external_id']}#aug{k}",
            "payload": _with_text(row["payload"], opts.field, v.text),
            "annotations": [],
            "augmented": True,
            "augmentation": v.kind.value,
            "augmented_from": row["item_id"],
        }


def augmented_rows(
    uows: Callable[[], UnitOfWork],
    *,
    actor: Actor,
    project_id: ProjectId,
    options: AugmentOptions,
    neighbours: Neighbours | None = None,
    paraphraser: TextCompletion | None = None,
) -> Iterator[dict[str, Any]]:
    """The project's items (as the ``items`` export) with a split, plus augmented train rows.

    Args:
        neighbours: Synonym source for ``synonym`` (e.g. ``EmbeddingNeighbours``); without it
            no synonym swaps are made.
        paraphraser: An LLM client for ``paraphrase``; without it no paraphrases are made.

    Raises:
        ProjectNotFound, PermissionDenied: checked before the first row.
    """
    rows = export_rows(uows, actor=actor, project_id=project_id, kind=ExportKind.ITEMS)

    def generate() -> Iterator[dict[str, Any]]:
        for row in rows:
            split = split_of(str(row["external_id"]), eval_fraction=options.eval_fraction)
            base = row | {
                "split": split,
                "augmented": False,
                "augmentation": None,
                "augmented_from": None,
            }
            yield base
            if split == TRAIN:
                yield from _variants(base, options, neighbours, paraphraser)

    return generate()
