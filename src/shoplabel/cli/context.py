"""What every command shares: settings, the platform, acting users, and error output."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress, TimeElapsedColumn

from shoplabel.bootstrap import Platform, build
from shoplabel.config import Settings
from shoplabel.domain.users import Actor
from shoplabel.errors import ModelUnavailable, ShoplabelError
from shoplabel.services import auth
from shoplabel.services.ai_toolkit import AiToolkit

__all__ = [
    "AS_USER",
    "ai_toolkit",
    "console",
    "err_console",
    "handle_errors",
    "operator",
    "platform",
    "with_progress",
]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)

#: ``--as`` option shared by commands that act inside a project.
AS_USER = typer.Option(
    None, "--as", help="Act as this user (default: $SHOPLABEL_CLI_USER, else 'admin')."
)


def platform(settings: Settings | None = None) -> Platform:
    """Build the platform from the environment (``SHOPLABEL_*``)."""
    return build(settings or Settings())


def operator(p: Platform, username: str | None) -> Actor:
    """The user a local operator acts as: CLI access to the database is trusted like root."""
    name = username or os.environ.get("SHOPLABEL_CLI_USER") or "admin"
    return auth.actor_for(p.uow(), username=name)


def ai_toolkit(p: Platform) -> AiToolkit:
    """The platform's AI toolkit (embedders, heads, trainers), else ``model_unavailable``."""
    if p.ai is None:
        raise ModelUnavailable("this installation has no AI toolkit")
    return p.ai


def with_progress(label: str, run: Callable[[Callable[[int, int], None]], T]) -> T:
    """Call ``run(progress)`` under a Rich progress bar fed by its ``(done, total)`` calls."""
    columns = (*Progress.get_default_columns(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(label, total=None)
        return run(lambda done, total: bar.update(task, completed=done, total=total))


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Print domain errors as ``code: message`` on stderr and exit with status 2."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except ShoplabelError as e:
            err_console.print(f"[bold red]{e.code}[/]: {e.message}", highlight=False)
            for key, value in e.details.items():
                if key != "errors":
                    err_console.print(f"  {key}: {value}", highlight=False)
            sys.exit(2)

    return wrapper
