"""``ptsdrx db``: create, migrate and check the registry database.

The database is ``PTSDRX_DATABASE_URL`` (PostgreSQL in production), else a SQLite file under
``PTSDRX_DATA_DIR``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ptsdrx.commands._common import fail, settings

db_app = typer.Typer(help="Create, migrate and check the registry database.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(
    sql: Annotated[
        bool, typer.Option("--sql", help="Print the DDL for review instead of applying it.")
    ] = False,
) -> None:
    """Create the schema or migrate it to the newest revision."""
    from ptsdrx.registry import make_engine, schema_revision, upgrade_schema
    from ptsdrx.registry._migrate import upgrade_sql

    url = settings().resolved_database_url()
    if sql:
        upgrade_sql(url, sys.stdout)
        return
    engine = make_engine(url)
    upgrade_schema(engine)
    typer.echo(f"database at revision {schema_revision(engine)} ({engine.url.render_as_string()})")


@db_app.command("check")
def db_check() -> None:
    """Check the database is at the newest revision and matches the models (alembic check)."""
    from ptsdrx.registry import check_schema, make_engine, schema_head, schema_revision

    engine = make_engine(settings().resolved_database_url())
    at = schema_revision(engine)
    if at != schema_head():
        raise fail(f"database at {at or 'nothing'}, newest is {schema_head()}: run db upgrade")
    try:
        check_schema(engine)
    except Exception as exc:  # alembic's CommandError names the drift
        raise fail(f"schema drift: {exc}") from exc
    typer.echo(f"database at {at}; models and migrations agree")


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.add_typer(db_app, name="db")
