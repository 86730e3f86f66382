"""Typed settings, read from the environment (prefix ``PTSDRX_``) or a ``.env`` file."""

from __future__ import annotations

import getpass
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where ptsdrx keeps its data and which database it talks to."""

    model_config = SettingsConfigDict(env_prefix="PTSDRX_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path.home() / ".local" / "share" / "ptsdrx",
        description="Directory for the default SQLite database, models and outputs.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is a SQLite file in data_dir.",
    )

    actor: str = Field(
        default_factory=lambda: getpass.getuser(),
        min_length=1,
        description="Who is acting (user name or staff id), as written to the audit log.",
    )
    site_file: Path | None = Field(
        default=None,
        description=(
            "Site settings YAML (e.g. the dosing-session alert thresholds a site has reviewed: "
            "a `session_rules` section); None uses the shipped defaults."
        ),
    )

    def resolved_database_url(self) -> str:
        """The database URL in force: the configured one, else SQLite under ``data_dir``."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'ptsdrx.db'}"
