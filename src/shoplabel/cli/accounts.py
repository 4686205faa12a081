"""``shoplabel init``, ``user add`` and ``token create``."""

from __future__ import annotations

import os

import typer

from shoplabel.cli.context import console, handle_errors, platform
from shoplabel.domain.users import Role
from shoplabel.services import auth

__all__ = ["init", "token_app", "user_app"]

user_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)


def _password(given: str | None) -> str:
    if given:
        return given
    env = os.environ.get("SHOPLABEL_PASSWORD")
    if env:
        return env
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@handle_errors
def init(
    admin: str | None = typer.Option(None, help="Also create this admin account."),
    password: str | None = typer.Option(
        None, help="Admin password (else $SHOPLABEL_PASSWORD, else a prompt)."
    ),
) -> None:
    """Create the data directory and database schema (idempotent); optionally an admin."""
    p = platform()
    console.print(f"database ready in [bold]{p.settings.data_dir}[/]")
    if admin:
        user = auth.create_user(
            p.uow(), actor=None, username=admin, password=_password(password), role=Role.ADMIN
        )
        console.print(f"admin [bold]{user.username}[/] created (id {user.id})")
    p.dispose()


@user_app.command("add")
@handle_errors
def user_add(
    username: str,
    role: Role = typer.Option(Role.WORKER, help="admin, requester, reviewer or worker."),
    password: str | None = typer.Option(None, help="Else $SHOPLABEL_PASSWORD, else a prompt."),
    display_name: str = typer.Option("", help="Name shown in the UI."),
) -> None:
    """Create an account."""
    p = platform()
    user = auth.create_user(
        p.uow(),
        actor=None,
        username=username,
        password=_password(password),
        role=role,
        display_name=display_name,
    )
    console.print(f"created {user.role.value} [bold]{user.username}[/] (id {user.id})")
    p.dispose()


@token_app.command("create")
@handle_errors
def token_create(
    username: str,
    name: str = typer.Option("cli", help="A label to recognise the token by."),
    days: int | None = typer.Option(None, help="Lifetime in days (default: no expiry)."),
) -> None:
    """Issue an API token for USERNAME; the secret is printed once and never stored."""
    p = platform()
    issued = auth.create_token(p.uow(), actor=None, username=username, name=name, days=days)
    console.print(f"token {issued.token.id} for {username} (prefix {issued.token.prefix}):")
    typer.echo(issued.secret)
    p.dispose()
