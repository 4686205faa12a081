"""``shoplabel import``, ``export`` and ``aggregate``: long work with Rich progress bars."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import (
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from shoplabel.cli.context import AS_USER, console, handle_errors, operator, platform
from shoplabel.dataprep.formats import detect_format
from shoplabel.dataprep.writers import open_writer
from shoplabel.domain.ids import ProjectId
from shoplabel.services import aggregation, imports, projects
from shoplabel.services.exports import ExportKind, export_rows

__all__ = ["aggregate_project", "export_project", "import_items"]


@handle_errors
def import_items(
    project_id: int,
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    fmt: str | None = typer.Option(None, "--format", help="csv, tsv, jsonl, parquet."),
    mapping: str | None = typer.Option(None, help="e.g. 'external_id=sku,title=name'."),
    strict: bool = typer.Option(False, help="Reject the whole file if any row is bad."),
    rejects: Path | None = typer.Option(
        None, help="Write bad rows here (default: next to the input, as NAME.rejects.csv)."
    ),
    batch_size: int = typer.Option(5000, min=1, max=100_000),
    as_user: str | None = AS_USER,
) -> None:
    """Import items into PROJECT_ID from a CSV / TSV / JSONL / Parquet file."""
    p = platform()
    actor = operator(p, as_user)
    rejects = rejects or path.with_suffix(".rejects.csv")
    opts = imports.ImportOptions(
        fmt=fmt, mapping=mapping, strict=strict, batch_size=batch_size, rejects_path=rejects
    )
    with Progress(*Progress.get_default_columns(), DownloadColumn(), console=console) as bar:
        task = bar.add_task(f"importing {path.name}", total=None)
        report = imports.import_file(
            p.uow,
            path,
            actor=actor,
            project_id=ProjectId(project_id),
            options=opts,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            keys=p.privacy,
        )
    console.print(
        f"rows {report.rows}: inserted [green]{report.inserted}[/], already stored "
        f"{report.skipped_existing}, rejected [red]{report.rejected}[/]"
    )
    for e in report.errors[:20]:
        console.print(
            f"  row {e.row} {e.field or ''}: [red]{e.code}[/] {e.reason}", highlight=False
        )
    if report.rejects_path:
        console.print(f"all rejected rows: {report.rejects_path}")
    p.dispose()


@handle_errors
def export_project(
    project_id: int,
    out: Path = typer.Option(..., help="Output file; format from its suffix."),
    fmt: str | None = typer.Option(None, "--format", help="jsonl, csv or parquet."),
    kind: ExportKind = typer.Option(ExportKind.ITEMS, help="items or annotations."),
    as_user: str | None = AS_USER,
) -> None:
    """Export items with their labels and consensus (or one row per label)."""
    p = platform()
    actor = operator(p, as_user)
    pid = ProjectId(project_id)
    counters = projects.get_project(p.uow(), actor=actor, project_id=pid).counters
    total = counters.n_items if kind is ExportKind.ITEMS else counters.n_annotations
    rows = export_rows(p.uow, actor=actor, project_id=pid, kind=kind)
    cols = (
        *Progress.get_default_columns()[:2],
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with (
        Progress(*cols, console=console) as bar,
        open_writer(out, fmt=detect_format(out, explicit=fmt)) as writer,
    ):
        task = bar.add_task(f"exporting {kind.value}", total=total)
        for row in rows:
            writer.write(row)
            bar.advance(task)
    console.print(f"wrote {writer.rows_written} rows to {out}")
    p.dispose()


@handle_errors
def aggregate_project(
    project_id: int = typer.Option(..., "--project", help="Project id."),
    method: str | None = typer.Option(None, help="Aggregator (default: the project's)."),
    hold_out_gold: bool = typer.Option(
        False, help="Do not clamp gold items; report the accuracy on them instead."
    ),
    as_user: str | None = AS_USER,
) -> None:
    """Run truth inference on a project's labels and store the consensus."""
    p = platform()
    with console.status("aggregating"):
        s = aggregation.aggregate(
            p.uow,
            actor=operator(p, as_user),
            project_id=ProjectId(project_id),
            method=method,
            use_gold=not hold_out_gold,
            trainer=p.trainer,
        )
    table = Table(
        "method",
        "items",
        "labels",
        "workers",
        "iterations",
        "seconds",
        "gold items",
        "accuracy on gold",
    )
    acc = "-" if s.accuracy_on_gold is None else f"{s.accuracy_on_gold:.3f}"
    table.add_row(
        s.method,
        str(s.n_items),
        str(s.n_labels),
        str(s.n_workers),
        str(s.n_iter),
        f"{s.seconds:.2f}",
        str(s.n_gold),
        acc + (" (clamped)" if s.gold_used else ""),
    )
    console.print(table)
    p.dispose()
