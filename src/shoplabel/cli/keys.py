"""``shoplabel keys generate|status|rotate``: the data keys sealing masked originals."""

from __future__ import annotations

import typer
from rich.progress import MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from shoplabel.cli.context import console, handle_errors, platform
from shoplabel.dataprep.pii.sealing import generate_key
from shoplabel.domain.ids import ProjectId
from shoplabel.services import key_rotation

__all__ = ["keys_app"]

keys_app = typer.Typer(
    help="Data keys that encrypt the originals of masked fields.", no_args_is_help=True
)


@keys_app.command("generate")
def generate(key_id: str = typer.Argument(..., help="Id of the new key, e.g. 2026-11.")) -> None:
    """Print a new random key as `KEY_ID:BASE64` for SHOPLABEL_DATA_KEYS (stdout only)."""
    typer.echo(f"{key_id}:{generate_key()}")


@keys_app.command("status")
@handle_errors
def status(project: int | None = typer.Option(None, help="Only this project.")) -> None:
    """Sealed items per key id, and the active key."""
    p = platform()
    st = key_rotation.key_status(
        p.uow(), p.privacy, project_id=None if project is None else ProjectId(project)
    )
    table = Table("key id", "sealed items", "configured", "active")
    for key_id in sorted(set(st.counts) | set(p.privacy.keyring.ids)):
        table.add_row(
            key_id,
            str(st.counts.get(key_id, 0)),
            "yes" if key_id in p.privacy.keyring.ids else "[red]no[/]",
            "yes" if key_id == st.active else "",
        )
    console.print(table)
    console.print(f"items still on older keys: {st.pending}")
    p.dispose()


@keys_app.command("rotate")
@handle_errors
def rotate(
    project: int | None = typer.Option(None, help="Only this project."),
    batch_size: int = typer.Option(500, min=1, max=100_000, help="Rows per transaction."),
) -> None:
    """Re-encrypt every sealed item that is not on the active key (SHOPLABEL_DATA_KEY_ID).

    Batched and restartable: stop it at any time and run it again to carry on.
    """
    p = platform()
    columns = (*Progress.get_default_columns(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("re-sealing", total=None)
        report = key_rotation.rotate(
            p.uow,
            p.privacy,
            project_id=None if project is None else ProjectId(project),
            batch_size=batch_size,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    console.print(f"re-sealed [green]{report.rekeyed}[/] items with key {report.active!r}")
    p.dispose()
