"""Typed settings, read from the environment (prefix ``PTSDRX_``) or a ``.env`` file."""

from __future__ import annotations

import getpass
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "Settings",
]


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
            "The site file (YAML, `ptsdrx.site.SiteConfig`): screening thresholds and rules, "
            "dosing-session alert thresholds, follow-up rules and crisis texts; read by the CLI, "
            "the API and the dashboard alike. None uses the shipped defaults."
        ),
    )

    # ----------------------------------------------------------- clinic service (api)
    secret_key: str | None = Field(
        default=None,
        repr=False,
        description=(
            "Secret that signs access tokens and session cookies (PTSDRX_SECRET_KEY, at least "
            "32 characters, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
            " The service refuses to start without one unless `development` is on."
        ),
    )
    development: bool = Field(
        default=False,
        description="Development mode: allows a missing or short secret (never in a clinic).",
    )
    token_issuer: str = Field(default="ptsdrx", min_length=1, description="JWT `iss`.")
    token_audience: str = Field(default="ptsdrx-api", min_length=1, description="JWT `aud`.")
    access_token_minutes: int = Field(
        default=15, ge=1, le=120, description="Lifetime of an access token (and web session)."
    )
    refresh_token_hours: int = Field(
        default=12, ge=1, le=24 * 30, description="Lifetime of a refresh token (one shift)."
    )
    password_min_length: int = Field(default=12, ge=8, le=128)
    lockout_attempts: int = Field(
        default=5, ge=1, le=100, description="Failed logins in a row that lock an account."
    )
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    login_rate_per_minute: int = Field(
        default=20, ge=1, le=10_000, description="Login attempts per client address per minute."
    )
    max_body_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1024, description="Largest request body accepted (413 above)."
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Browser origins allowed by CORS; empty = CORS off."
    )
    cookie_secure: bool = Field(
        default=False,
        description="Mark web cookies Secure even when the request looked like plain HTTP "
        "(behind a TLS proxy that does not send X-Forwarded-Proto).",
    )
    model_dir: Path | None = Field(
        default=None,
        description="The active treatment-response model (a directory saved by `ptsdrx demo`);"
        " None: recommendations use the evidence prior, labelled so.",
    )

    def resolved_database_url(self) -> str:
        """The database URL in force: the configured one, else SQLite under ``data_dir``."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'ptsdrx.db'}"
