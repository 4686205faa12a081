"""Item embeddings: cached by text hash, computed in batches outside any transaction.

A text's vector is stored once per embedder under ``sha256(kind, text)`` (float16), so the
same listing in many pairs, or an item imported twice, is embedded once. Reads and writes
are short transactions; the model runs between them, never inside a request (the API and
the CLI queue a job, :mod:`shoplabel.services.ai_jobs`).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from shoplabel.domain.ai import parse_ai_settings
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.item_text import ItemTexts, item_texts
from shoplabel.domain.items import Item
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor
from shoplabel.services.ai_toolkit import Embedder, TextKind
from shoplabel.services.prelabel_features import PAIR_TEMPLATES, pair_features, single_features
from shoplabel.services.projects import visible_project

__all__ = [
    "PAGE_SIZE",
    "EmbedReport",
    "Progress",
    "embed_project",
    "embed_texts",
    "item_pages",
    "page_features",
    "text_hash",
]

#: Items read, embedded and written per step: bounds memory at any project size.
PAGE_SIZE = 1000

Progress = Callable[[int, int], None]


def text_hash(text: str, kind: TextKind) -> str:
    return hashlib.sha256(f"{kind}\x00{text}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class EmbedReport:
    embedder: str
    n_items: int
    n_texts: int
    n_computed: int
    seconds: float

    def to_dict(self) -> dict[str, object]:
        return {
            "embedder": self.embedder,
            "n_items": self.n_items,
            "n_texts": self.n_texts,
            "n_computed": self.n_computed,
            "seconds": round(self.seconds, 3),
            "texts_per_second": round(self.n_computed / self.seconds, 1) if self.seconds else None,
        }


def embed_texts(
    uows: Callable[[], UnitOfWork], embedder: Embedder, texts: Sequence[str], *, kind: TextKind
) -> tuple[NDArray[np.float32], int]:
    """Vectors of ``texts`` ``(n, dim)`` and how many had to be computed (not cached)."""
    hashes = [text_hash(t, kind) for t in texts]
    with uows().reading() as uow:
        cached = uow.ai.embeddings(embedder.cache_key, hashes)
    missing = {h: t for h, t in zip(hashes, texts, strict=True) if h not in cached}
    if missing:
        computed = embedder.embed(list(missing.values()), kind=kind)
        rows = {h: v.astype(np.float16).tobytes() for h, v in zip(missing, computed, strict=True)}
        with uows() as uow:
            uow.ai.add_embeddings(embedder.cache_key, rows, dim=computed.shape[1])
            uow.commit()
        cached = {**cached, **rows}
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32), 0
    vectors = np.stack([np.frombuffer(cached[h], dtype=np.float16) for h in hashes])
    return vectors.astype(np.float32), len(missing)


def page_features(
    uows: Callable[[], UnitOfWork], embedder: Embedder, project: Project, items: Sequence[Item]
) -> tuple[NDArray[np.float64], list[ItemTexts], int]:
    """Features of a page of items, their texts, and how many texts were embedded anew."""
    texts = [
        item_texts(project.template, it.payload, display_fields=project.display_fields)
        for it in items
    ]
    if project.template in PAIR_TEMPLATES:
        first_kind: TextKind = (
            "query" if project.template == "query_product_relevance" else ("passage")
        )
        left, n_left = embed_texts(
            uows, embedder, [t.pair[0] if t.pair else "" for t in texts], kind=first_kind
        )
        right, n_right = embed_texts(
            uows, embedder, [t.pair[1] if t.pair else "" for t in texts], kind="passage"
        )
        return pair_features(texts, left, right), texts, n_left + n_right
    main, n_main = embed_texts(uows, embedder, [t.main for t in texts], kind="passage")
    return single_features(main), texts, n_main


def item_pages(
    uows: Callable[[], UnitOfWork], project_id: ProjectId, *, page_size: int = PAGE_SIZE
) -> Iterator[list[Item]]:
    """A project's items in id order, one short read transaction per page."""
    after = 0
    while True:
        with uows().reading() as uow:
            page = uow.items.page(project_id, after_id=after, limit=page_size, status=None)
        if not page:
            return
        yield page
        after = page[-1].id


def managed_project(uows: Callable[[], UnitOfWork], actor: Actor, project_id: ProjectId) -> Project:
    """The project, if ``actor`` manages it (AI runs are a requester's decision)."""
    with uows().reading() as uow:
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"run AI models on project {project_id}")
    return project


def embed_project(
    uows: Callable[[], UnitOfWork],
    toolkit_embedder: Callable[[str], Embedder],
    *,
    actor: Actor,
    project_id: ProjectId,
    progress: Progress | None = None,
) -> EmbedReport:
    """Embed every item of a project with its ``ai.embedder`` (cached texts are skipped).

    Raises:
        ModelUnavailable: the embedder cannot be loaded; nothing is stored.
    """
    project = managed_project(uows, actor, project_id)
    embedder = toolkit_embedder(parse_ai_settings(project.settings.ai).embedder)
    start = time.perf_counter()
    done = n_texts = n_computed = 0
    total = project.counters.n_items
    for page in item_pages(uows, project_id):
        _, texts, computed = page_features(uows, embedder, project, page)
        done += len(page)
        n_texts += len(texts) * (2 if project.template in PAIR_TEMPLATES else 1)
        n_computed += computed
        if progress is not None:
            progress(done, max(total, done))
    return EmbedReport(
        embedder=embedder.name,
        n_items=done,
        n_texts=n_texts,
        n_computed=n_computed,
        seconds=time.perf_counter() - start,
    )
