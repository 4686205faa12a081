"""Typer command-line interface: parse arguments, bootstrap, call one service."""

__all__: list[str] = []
