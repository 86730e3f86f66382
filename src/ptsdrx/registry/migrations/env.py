"""Alembic environment: runs on a connection handed over by :mod:`ptsdrx.registry._migrate`.

Online mode uses ``config.attributes["connection"]`` when given (so a caller's engine, schema
and transaction are used), else an engine for ``sqlalchemy.url``. Offline mode (``--sql``)
renders the DDL for review, e.g. by a clinic's PostgreSQL administrator.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from ptsdrx.registry._db import make_engine
from ptsdrx.registry._models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    """Entry point alembic calls for both offline and online runs."""
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=target_metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


run_migrations()
