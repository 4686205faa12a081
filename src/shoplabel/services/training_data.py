"""The data a model is trained and evaluated on, read once for every label source.

Each item with a human label or a gold answer becomes a row with its features (the
pre-labeller's, from the embedding cache) and up to four targets: the truth-inference
posterior (``soft``), its top label (``consensus``), the majority vote of the human answers
(``majority``, ties broken by a seeded draw) and ``gold``. A deterministic, seeded share of
the gold items is the **evaluation set** and never trains; a project with too few gold items
is evaluated on a held-out share of its human consensus instead.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from shoplabel.domain.annotations import AnnotationSource, AnnotationStatus
from shoplabel.domain.ids import ItemId
from shoplabel.domain.item_text import ItemTexts, item_texts
from shoplabel.domain.items import Item
from shoplabel.domain.ports import ConsensusWrite, UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.training import LabelSource
from shoplabel.services.ai_toolkit import Embedder
from shoplabel.services.embeddings import Progress, item_pages, page_features

__all__ = ["SOURCES", "Dataset", "read_dataset", "snapshot_hash"]

SOURCES = (LabelSource.MAJORITY, LabelSource.CONSENSUS, LabelSource.SOFT, LabelSource.GOLD)
#: Fewer gold items than this: evaluate on held-out human consensus instead.
MIN_GOLD_EVAL = 20
_AUTO_PREFIX = "auto/"


@dataclass(frozen=True)
class Dataset:
    """Rows of labelled items. ``targets[source]`` ``(n, n_labels)`` holds NaN rows where the
    item has no label of that source; ``test`` marks the evaluation rows and ``reference``
    their label index (gold, or consensus when ``evaluated_on == "consensus"``). ``texts``
    holds each item's main text (empty for pair templates); ``features`` has no columns when
    the dataset was read without an embedder (fine-tuning reads texts only)."""

    labels: tuple[str, ...]
    item_ids: tuple[ItemId, ...]
    features: NDArray[np.float32]
    texts: tuple[str, ...]
    targets: Mapping[LabelSource, NDArray[np.float64]]
    test: NDArray[np.bool_]
    reference: NDArray[np.intp]
    queries: tuple[str, ...]
    evaluated_on: str

    def train_rows(self, source: LabelSource) -> NDArray[np.bool_]:
        return np.asarray(~self.test & ~np.isnan(self.targets[source]).any(axis=1))


def item_draw(seed: int, item_id: int) -> float:
    """A uniform number in [0, 1) fixed per (seed, item)."""
    h = hashlib.blake2b(f"{seed}:{item_id}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") / 2**64


def _one_hot(labels: Sequence[str], value: object) -> list[float] | None:
    if value is None or str(value) not in labels:
        return None
    return [1.0 if lab == str(value) else 0.0 for lab in labels]


def _majority(labels: Sequence[str], votes: Sequence[str], draw: float) -> list[float] | None:
    counts = Counter(v for v in votes if v in labels)
    if not counts:
        return None
    top = max(counts.values())
    tied = sorted(lab for lab, n in counts.items() if n == top)
    return _one_hot(labels, tied[int(draw * len(tied))])


def _soft(labels: Sequence[str], c: ConsensusWrite | None) -> list[float] | None:
    if c is None or not c.probas or c.method.startswith(_AUTO_PREFIX):
        return None
    row = [float(c.probas.get(lab, 0.0)) for lab in labels]
    return row if sum(row) > 0 else None


@dataclass
class _Rows:
    ids: list[ItemId]
    feats: list[NDArray[np.float32]]
    targets: dict[LabelSource, list[list[float]]]
    test: list[bool]
    queries: list[str]
    texts: list[str]


def _page_rows(
    uow: UnitOfWork, project: Project, page: Sequence[Item], *, seed: int
) -> list[tuple[Item, dict[LabelSource, list[float] | None]]]:
    labels = project.schema.label_values
    candidates = [it for it in page if it.n_labels > 0 or it.gold is not None]
    annotations = uow.annotations.list_for_items([it.id for it in candidates])
    consensus = uow.consensus.get_many([it.id for it in candidates])
    out = []
    for it in candidates:
        votes = [
            str(a.value)
            for a in annotations[it.id]
            if a.source is AnnotationSource.HUMAN and a.status is AnnotationStatus.VALID
        ]
        soft = _soft(labels, consensus.get(it.id)) if votes else None
        hard = None if soft is None else _one_hot(labels, labels[int(np.argmax(soft))])
        row = {
            LabelSource.SOFT: soft,
            LabelSource.CONSENSUS: hard,
            LabelSource.MAJORITY: _majority(labels, votes, item_draw(seed + 1, it.id)),
            LabelSource.GOLD: _one_hot(labels, it.gold),
        }
        if any(v is not None for v in row.values()):
            out.append((it, row))
    return out


def _page_texts(
    uows: Callable[[], UnitOfWork], embedder: Embedder | None, project: Project, items: list[Item]
) -> tuple[NDArray[np.float32] | None, list[ItemTexts]]:
    if embedder is not None:
        x, texts, _ = page_features(uows, embedder, project, items)
        return x.astype(np.float32), texts
    return None, [
        item_texts(project.template, it.payload, display_fields=project.display_fields)
        for it in items
    ]


def read_dataset(
    uows: Callable[[], UnitOfWork],
    embedder: Embedder | None,
    project: Project,
    *,
    test_share: float,
    seed: int,
    progress: Progress | None = None,
) -> Dataset:
    """Stream the project's labelled items, embedding (or reading cached) features; without
    an embedder, texts only."""
    labels = project.schema.label_values
    with uows().reading() as uow:
        n_gold = sum(1 for g in uow.items.gold_labels(project.id).values() if str(g) in labels)
    on_gold = n_gold >= MIN_GOLD_EVAL
    rows = _Rows([], [], {s: [] for s in SOURCES}, [], [], [])
    done = 0
    for page in item_pages(uows, project.id):
        with uows().reading() as uow:
            page_rows = _page_rows(uow, project, page, seed=seed)
        done += len(page)
        if page_rows:
            x, texts = _page_texts(uows, embedder, project, [it for it, _ in page_rows])
            if x is not None:
                rows.feats.append(x)
            for (it, row), text in zip(page_rows, texts, strict=True):
                ref = row[LabelSource.GOLD] if on_gold else row[LabelSource.CONSENSUS]
                rows.ids.append(it.id)
                rows.test.append(ref is not None and item_draw(seed, it.id) < test_share)
                rows.queries.append(text.pair[0] if text.pair else "")
                rows.texts.append("" if text.pair else text.main)
                for s in SOURCES:
                    rows.targets[s].append(row[s] or [np.nan] * len(labels))
        if progress is not None:
            progress(done, max(project.counters.n_items, done))
    return _assemble(rows, labels, on_gold)


def _assemble(rows: _Rows, labels: Sequence[str], on_gold: bool) -> Dataset:
    k = len(labels)
    targets = {s: np.asarray(v, dtype=np.float64).reshape(-1, k) for s, v in rows.targets.items()}
    test = np.asarray(rows.test, dtype=bool)
    ref_source = LabelSource.GOLD if on_gold else LabelSource.CONSENSUS
    ref = np.nan_to_num(targets[ref_source], nan=0.0).argmax(axis=1).astype(np.intp)
    return Dataset(
        labels=tuple(labels),
        item_ids=tuple(rows.ids),
        features=(
            np.vstack(rows.feats) if rows.feats else np.zeros((len(rows.ids), 0), dtype=np.float32)
        ),
        texts=tuple(rows.texts),
        targets=targets,
        test=test,
        reference=ref,
        queries=tuple(rows.queries),
        evaluated_on="gold" if on_gold else "consensus",
    )


def snapshot_hash(
    source: LabelSource, item_ids: Sequence[int], targets: NDArray[np.float64]
) -> str:
    """sha256 of the exact labels a model learned from: source, item ids, targets (6 d.p.)."""
    h = hashlib.sha256(source.value.encode())
    h.update(np.asarray(item_ids, dtype=np.int64).tobytes())
    h.update(np.round(targets, 6).astype(np.float64).tobytes())
    return h.hexdigest()
