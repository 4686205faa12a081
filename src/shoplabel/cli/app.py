"""The ``shoplabel`` command: one Typer app; each command group lives in its own module."""

from __future__ import annotations

import typer

from shoplabel.cli import aggregate

__all__ = ["app", "main"]

app = typer.Typer(
    name="shoplabel",
    help="ShopLabel: AI-assisted crowdsourcing for e-commerce labels.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("aggregate-file")(aggregate.aggregate_file)


def main() -> None:
    """Console-script entry point."""
    app()
