"""Migrations: upgrade from nothing, no drift between models and migrations (alembic check)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from ptsdrx.registry import check_schema, make_engine, schema_head, schema_revision, upgrade_schema
from ptsdrx.registry._migrate import alembic_config
from ptsdrx.registry._models import Base


def test_alembic_check_finds_no_drift(db_url: str) -> None:
    engine = make_engine(db_url)
    assert schema_revision(engine) is None
    upgrade_schema(engine)
    assert schema_revision(engine) == schema_head()
    check_schema(engine)  # raises alembic.util.CommandError on any drift
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    engine.dispose()


def test_downgrade_to_base_and_back(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade_schema(engine)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert not set(Base.metadata.tables) & set(inspect(engine).get_table_names())
    upgrade_schema(engine)
    check_schema(engine)
    engine.dispose()


def test_upgrade_is_idempotent(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade_schema(engine)
    upgrade_schema(engine)
    assert schema_revision(engine) == schema_head()
    engine.dispose()
