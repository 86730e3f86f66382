"""Engines for SQLite and PostgreSQL with the same behaviour: foreign keys on, UTC clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite is made to behave like PostgreSQL where it matters.

    On SQLite: foreign keys are enforced, every transaction (DDL included) is a real
    transaction, and it takes the write lock when it begins.

    Examples
    --------
    >>> make_engine("sqlite://").dialect.name
    'sqlite'
    """
    if not url:
        raise ValueError("database url is empty; set PTSDRX_DATABASE_URL or PTSDRX_DATA_DIR")
    engine = create_engine(make_url(url), **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, open transactions: sqlite3 would run DDL
    # (migrations) outside any transaction and begin only before the first write.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # Take the write lock up front (every registry transaction writes at least its audit
    # entry), so two writers serialise instead of both reading, e.g., the same next position.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def utcnow() -> datetime:
    """Now, as naive UTC (how every instant is stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


def split_instant(value: datetime) -> tuple[datetime, int | None]:
    """A datetime as (naive UTC, original offset in minutes); naive stays naive with ``None``."""
    offset = value.utcoffset()
    if offset is None:
        return value, None
    return value.astimezone(UTC).replace(tzinfo=None), int(offset.total_seconds() // 60)


def join_instant(stored: datetime, offset_min: int | None) -> datetime:
    """Inverse of :func:`split_instant`: the datetime exactly as it was given."""
    if offset_min is None:
        return stored
    tz = UTC if offset_min == 0 else timezone(timedelta(minutes=offset_min))
    return stored.replace(tzinfo=UTC).astimezone(tz)
