"""Toy crowds and hypothesis strategies shared by the inference tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import strategies as st

from shoplabel.inference import AnnotationMatrix

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "crowd" / "zheng2017"


def simulated(
    n_tasks: int, n_workers: int, n_labels: int, *, per_task: int, seed: int
) -> tuple[AnnotationMatrix, np.ndarray]:
    """A one-coin crowd with skills in [0.55, 0.95]; returns the matrix and the truth."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_labels, n_tasks)
    skill = rng.uniform(0.55, 0.95, n_workers)
    task = np.repeat(np.arange(n_tasks), per_task)
    worker = np.concatenate(
        [rng.choice(n_workers, per_task, replace=False) for _ in range(n_tasks)]
    )
    right = rng.random(task.size) < skill[worker]
    noise = (truth[task] + rng.integers(1, max(n_labels, 2), task.size)) % n_labels
    label = np.where(right, truth[task], noise)
    m = AnnotationMatrix.from_codes(
        task,
        worker,
        label,
        task_ids=[f"t{i}" for i in range(n_tasks)],
        worker_ids=[f"w{i}" for i in range(n_workers)],
        labels=[str(k) for k in range(n_labels)],
    )
    return m, truth


@st.composite
def crowds(
    draw: st.DrawFn,
    *,
    max_tasks: int = 12,
    max_workers: int = 6,
    max_labels: int = 4,
    min_per_task: int = 1,
) -> AnnotationMatrix:
    """Random small crowds: every task has at least ``min_per_task`` labels."""
    n_tasks = draw(st.integers(1, max_tasks))
    n_workers = draw(st.integers(min_per_task, max_workers))
    n_labels = draw(st.integers(1, max_labels))
    rows: list[tuple[str, str, str]] = []
    for t in range(n_tasks):
        workers = draw(
            st.lists(
                st.integers(0, n_workers - 1),
                min_size=min_per_task,
                max_size=n_workers,
                unique=True,
            )
        )
        for w in workers:
            rows.append((f"t{t}", f"w{w}", str(draw(st.integers(0, n_labels - 1)))))
    return AnnotationMatrix.from_rows(rows, labels=[str(k) for k in range(n_labels)])


def read_dataset(name: str) -> tuple[AnnotationMatrix, dict[str, str]]:
    """A Zheng et al. dataset as a matrix and its gold (CSV read without pandas)."""
    import csv

    folder = DATA / name
    with (folder / "answer.csv").open(newline="") as fh:
        rows = [(r[0], r[1], r[2]) for r in list(csv.reader(fh))[1:]]
    with (folder / "truth.csv").open(newline="") as fh:
        gold = {r[0]: r[1] for r in list(csv.reader(fh))[1:]}
    return AnnotationMatrix.from_rows(rows), gold


def accuracy(predicted: dict[str, str], gold: dict[str, str]) -> float:
    """Share of gold tasks predicted right."""
    keys = [k for k in gold if k in predicted]
    return float(np.mean([predicted[k] == gold[k] for k in keys]))
