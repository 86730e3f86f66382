"""Registry fixtures: every test runs on SQLite, and on PostgreSQL when a server is given.

PostgreSQL runs when ``PTSDRX_TEST_DATABASE_URL`` is set (CI sets it). Each test gets a
fresh schema of its own (``search_path`` in the URL), dropped afterwards, so parallel
runs never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select, text

from ptsdrx.registry import Registry, make_engine, upgrade_schema
from ptsdrx.registry._models import Base

PG_ENV = "PTSDRX_TEST_DATABASE_URL"


def _pg_url(schema: str) -> str:
    base = os.environ[PG_ENV]
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database (a SQLite file, or a fresh PostgreSQL schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    if not os.environ.get(PG_ENV):
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+psycopg://.../test)")
    admin = make_engine(os.environ[PG_ENV])
    schema = f"ptsdrx_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per test session, copied for each test (fast setup)."""
    path = tmp_path_factory.mktemp("template") / "registry.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    engine.dispose()
    return path


@pytest.fixture
def registry(db_url: str, sqlite_template: Path) -> Iterator[Registry]:
    """A migrated registry acting as ``dr.test`` (SQLite: a copy of the migrated template)."""
    if db_url.startswith("sqlite:///"):
        shutil.copyfile(sqlite_template, db_url.removeprefix("sqlite:///"))
    reg = Registry.connect(db_url, actor="dr.test")
    if not db_url.startswith("sqlite:///"):
        reg.upgrade()
    yield reg
    reg.engine.dispose()


def row_counts(reg: Registry) -> dict[str, int]:
    """Rows in every registry table (to show a refused operation changed nothing)."""
    with reg.engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


@pytest.fixture
def counts(registry: Registry) -> Callable[[], dict[str, int]]:
    """A function giving the row count of every registry table right now."""
    return lambda: row_counts(registry)
