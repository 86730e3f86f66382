"""``ptsdrx user add|disable|list``: staff accounts of the clinic service.

The password is read from a hidden prompt (asked twice) or, when standard input is not a
terminal, from its first line; never from an argument (it would end up in shell history
and the process list).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # SQLAlchemy and settings load only when a command runs (fast --help)
    from ptsdrx.registry import Registry
    from ptsdrx.settings import Settings

user_app = typer.Typer(help="Staff accounts of the clinic service.", no_args_is_help=True)
ROLES = ("admin", "clinician", "nurse", "researcher", "auditor")


def _registry() -> tuple[Registry, Settings]:
    from ptsdrx.registry import Registry, make_engine, upgrade_schema
    from ptsdrx.settings import Settings

    settings = Settings()
    engine = make_engine(settings.resolved_database_url())
    upgrade_schema(engine)  # the first command on a new clinic creates the registry
    return Registry(engine, actor=settings.actor), settings


def _password() -> str:
    if sys.stdin.isatty():
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name (lower case, digits, . _ -).")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")],
) -> None:
    """Create an account; the password comes from a prompt or standard input."""
    from ptsdrx.api._accounts import add_user
    from ptsdrx.api._security import WeakPasswordError
    from ptsdrx.registry import RegistryError

    if role not in ROLES:
        typer.echo(f"error: --role must be one of {', '.join(ROLES)}, got {role!r}", err=True)
        raise typer.Exit(2)
    reg, settings = _registry()
    password = _password()
    try:
        user = add_user(reg, name, role, password, min_length=settings.password_min_length)
    except (WeakPasswordError, RegistryError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"user {user.username} added with role {user.role}")


@user_app.command("disable")
def user_disable(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Disable an account (its refresh tokens are revoked at once)."""
    from ptsdrx.api._accounts import disable_user
    from ptsdrx.registry import RegistryError

    reg, _ = _registry()
    try:
        disable_user(reg, name)
    except RegistryError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"user {name} disabled")


@user_app.command("list")
def user_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every account: name, role, state."""
    import json

    from ptsdrx.api._accounts import list_users

    reg, _ = _registry()
    users = list_users(reg)
    if as_json:
        typer.echo(json.dumps([u.to_dict() for u in users], indent=2))
        return
    for u in users:
        state = "disabled" if u.disabled else ("locked" if u.locked_until else "active")
        typer.echo(f"{u.username:24} {u.role:11} {state}")


def register(app: typer.Typer) -> None:
    """Add ``user`` to the CLI."""
    app.add_typer(user_app, name="user")
