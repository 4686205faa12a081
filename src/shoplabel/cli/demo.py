"""``shoplabel demo``: a fresh demo database with real data, then (unless --no-serve) serve."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer
from rich.progress import MofNCompleteColumn, Progress
from rich.table import Table

from shoplabel.cli.context import console, handle_errors, platform
from shoplabel.cli.serve import serve_settings
from shoplabel.config import Settings
from shoplabel.services.demo import DEMO_ACCOUNTS, seed_demo

__all__ = ["demo"]


@handle_errors
def demo(
    data_dir: Path = typer.Option(
        Path("shoplabel-demo"), help="Demo data directory (recreated on every run)."
    ),
    no_serve: bool = typer.Option(False, "--no-serve", help="Seed and report, do not serve."),
    port: int = typer.Option(8000, help="Port to serve on."),
) -> None:
    """Seed a demo from bundled real data (Abt-Buy pairs + their real MTurk answers)."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    settings = Settings(data_dir=data_dir, database_url=None, port=port)
    p = platform(settings)
    table = Table("username", "password", "role", title="Demo accounts (demo only!)")
    for username, password, role in DEMO_ACCOUNTS:
        table.add_row(username, password, role.value)
    console.print(table)
    with Progress(*Progress.get_default_columns(), MofNCompleteColumn(), console=console) as bar:
        task = bar.add_task("replaying the real MTurk crowd", total=None)
        summary = seed_demo(
            p.uow, progress=lambda _s, n, total: bar.update(task, completed=n, total=total)
        )
    console.print(
        f"project {summary.project_id}: {summary.items} product pairs, "
        f"{summary.answers_replayed} real answers from {summary.workers} workers"
    )
    runs = Table(
        "aggregator",
        "items",
        "labels",
        "accuracy on gold (held out)",
        title="Truth inference on the replayed crowd",
    )
    for r in summary.runs:
        acc = "-" if r.accuracy_on_gold is None else f"{r.accuracy_on_gold:.3f}"
        runs.add_row(r.method, str(r.n_items), str(r.n_labels), acc)
    console.print(runs)
    p.dispose()
    if not no_serve:
        serve_settings(settings, workers=1)
