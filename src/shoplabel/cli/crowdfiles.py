"""Reading crowd answer files (task, worker, label) for the file-based commands."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.progress import DownloadColumn, Progress

from shoplabel.cli.context import console
from shoplabel.dataprep import iter_record_batches
from shoplabel.errors import InvalidInput

__all__ = ["BadAnswerRow", "read_columns"]


class BadAnswerRow(InvalidInput):
    """A row of the answers file cannot be used (reader error or empty cell)."""

    code = "bad_answer_row"


def read_columns(
    path: Path, names: Sequence[str] | None, n: int
) -> tuple[list[list[str]], list[int]]:
    """``n`` columns of a file as strings, plus each kept row's file row number."""
    columns: list[list[str]] = [[] for _ in range(n)]
    rows: list[int] = []
    with Progress(*Progress.get_default_columns(), DownloadColumn(), console=console) as bar:
        task = bar.add_task(f"reading {path.name}", total=None)
        for batch in iter_record_batches(path, columns=names):
            if batch.errors:
                e = batch.errors[0]
                raise BadAnswerRow(
                    f"{path.name} row {e.row}: {e.reason}", details={"row": e.row, "code": e.code}
                )
            for record in batch.records:
                values = list(record.fields.values())
                if len(values) < n:
                    raise BadAnswerRow(
                        f"{path.name} row {record.row}: expected {n} columns",
                        details={"row": record.row},
                    )
                for k in range(n):
                    columns[k].append("" if values[k] is None else str(values[k]))
                rows.append(record.row)
            bar.update(task, completed=batch.bytes_read, total=batch.total_bytes)
    return columns, rows
