"""Alembic, configured from the package (no ``alembic.ini`` needed): upgrade, check, current.

The migration scripts ship inside the package (``ptsdrx.registry:migrations``), so an
installed ptsdrx can create or upgrade a clinic's database with ``ptsdrx db upgrade``.
"""

from __future__ import annotations

from typing import TextIO

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

SCRIPT_LOCATION = "ptsdrx.registry:migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic ``Config`` for the packaged migrations (optionally with a URL)."""
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the newest), in one transaction."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def upgrade_sql(url: str, out: TextIO, revision: str = "head") -> None:
    """Write the DDL an upgrade would run (offline mode), for a DBA to review first."""
    cfg = Config(output_buffer=out)
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, revision, sql=True)


def check(engine: Engine) -> None:
    """Raise ``alembic.util.CommandError`` when the models and the migrations disagree."""
    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.check(cfg)


def current(engine: Engine) -> str | None:
    """The revision the database is at (``None`` for a database never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head() -> str:
    """The newest revision shipped with this version of ptsdrx."""
    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if found is None:
        raise RuntimeError("no migrations found in ptsdrx.registry:migrations")
    return found
