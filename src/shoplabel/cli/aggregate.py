"""``shoplabel aggregate-file``: truth inference on any crowd file, without a database."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import typer

from shoplabel.cli.context import console, handle_errors
from shoplabel.cli.crowdfiles import BadAnswerRow, read_columns
from shoplabel.dataprep import open_writer
from shoplabel.inference import (
    DEFAULT_METHOD,
    AggregationResult,
    AnnotationMatrix,
    InferenceError,
    make_aggregator,
    vote_counts,
)

__all__ = ["aggregate_file"]


def _matrix(path: Path, names: Sequence[str] | None) -> AnnotationMatrix:
    (tasks, workers, labels), rows = read_columns(path, names, 3)
    try:
        return AnnotationMatrix.from_columns(tasks, workers, labels)
    except InferenceError as e:
        index = e.details.get("row")
        if isinstance(index, int) and index < len(rows):
            raise type(e)(
                f"{path.name} row {rows[index]}: {e.details.get('field')} is empty or invalid",
                details={**e.details, "row": rows[index]},
            ) from e
        raise


def _write_labels(out: Path, result: AggregationResult, *, probas: bool) -> None:
    columns = ["task", "label", "confidence"]
    if probas:
        columns += [f"p_{label}" for label in result.labels]
    confidence = result.confidence
    with open_writer(out, columns=columns) as writer:
        writer.write_many(
            {
                "task": task,
                "label": label,
                "confidence": round(float(confidence[j]), 6),
                **(
                    {
                        f"p_{k}": round(float(p), 6)
                        for k, p in zip(result.labels, result.probas[j], strict=True)
                    }
                    if probas
                    else {}
                ),
            }
            for j, (task, label) in enumerate(zip(result.task_ids, result.predicted, strict=True))
        )


def _write_workers(out: Path, m: AnnotationMatrix, result: AggregationResult) -> None:
    n_answers = np.bincount(m.worker_idx, minlength=m.n_workers)
    with open_writer(out, columns=["worker", "skill", "n_answers"]) as writer:
        writer.write_many(
            {"worker": w, "skill": round(float(s), 6), "n_answers": int(n)}
            for w, s, n in zip(result.worker_ids, result.worker_skill, n_answers, strict=True)
        )


@handle_errors
def aggregate_file(
    answers: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    out: Path = typer.Option(..., "--out", help="Output file (.csv, .tsv or .parquet)."),
    method: str = typer.Option(DEFAULT_METHOD, help="Aggregation method (docs/algorithms.md)."),
    gold: Path | None = typer.Option(
        None, "--gold", exists=True, dir_okay=False, help="Known labels: task, label columns."
    ),
    workers_out: Path | None = typer.Option(None, "--workers-out", help="Write worker skills."),
    columns: str | None = typer.Option(
        None,
        help="Task, worker and label column names, e.g. 'question,worker,answer' "
        "(default: the first three columns).",
    ),
    probas: bool = typer.Option(False, "--probas", help="Add one probability column per label."),
) -> None:
    """Infer each task's label from a CSV / TSV / Parquet file of (task, worker, label) rows.

    Writes task,label,confidence (plus p_<label> columns with --probas). Duplicate
    (task, worker) rows keep the last one. Gold labels, if given, are clamped.
    """
    aggregator = make_aggregator(method)
    names = None if columns is None else [c.strip() for c in columns.split(",")]
    if names is not None and len(names) != 3:
        raise BadAnswerRow("--columns needs three names: task,worker,label")
    m = _matrix(answers, names)
    known = None
    if gold is not None:
        (g_tasks, g_labels), _ = read_columns(gold, None, 2)
        known = m.encode_gold(dict(zip(g_tasks, g_labels, strict=True)))
    with console.status(f"{method}: {m.n_annotations} labels, {m.n_tasks} tasks"):
        result = aggregator.fit(m, gold=known)
    _write_labels(out, result, probas=probas)
    if workers_out is not None:
        _write_workers(workers_out, m, result)
    agree = float(np.mean(vote_counts(m).argmax(axis=1) == result.label_idx))
    console.print(
        f"{method}: {m.n_tasks} tasks, {m.n_workers} workers, {m.n_annotations} labels, "
        f"{result.n_iter} iterations{'' if result.converged else ' (not converged)'}; "
        f"agrees with majority vote on {agree:.1%}; wrote {out}",
        highlight=False,
    )
