"""Admin: staff accounts and the site's service settings (never the secret)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from ptsdrx.api import _accounts, _security
from ptsdrx.api.deps import Principal, Role, require_roles
from ptsdrx.api.problems import ProblemError, responses
from ptsdrx.registry import RegistryError

router = APIRouter(tags=["admin"])
admin_only = require_roles("admin")


class UserOut(BaseModel):
    """A staff account (never its password hash)."""

    id: int
    username: str
    role: str
    disabled: bool
    locked_until: datetime | None
    created_at: datetime


class NewUser(BaseModel):
    """A new staff account; the password must meet the policy."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=_accounts.USERNAME_PATTERN, max_length=64)
    role: Role
    password: str = Field(min_length=1, max_length=1024)


class SiteSettings(BaseModel):
    """The service settings in force (secrets are never shown)."""

    database: str = Field(description="Dialect only: sqlite or postgresql.")
    development: bool
    access_token_minutes: int
    refresh_token_hours: int
    password_min_length: int
    lockout_attempts: int
    lockout_minutes: int
    login_rate_per_minute: int
    max_body_bytes: int
    cors_origins: list[str]
    active_model: str | None = Field(description="Model directory name, or null: evidence prior.")


def _out(user: _accounts.User) -> UserOut:
    return UserOut(**user.__dict__)


@router.get("/users", response_model=list[UserOut])
def list_users(request: Request, who: Principal = Depends(admin_only)) -> list[UserOut]:
    """Every staff account."""
    return [_out(u) for u in _accounts.list_users(who.registry())]


@router.post(
    "/users", status_code=201, response_model=UserOut, responses=responses(400, 409, 413, 415, 422)
)
def add_user(request: Request, body: NewUser, who: Principal = Depends(admin_only)) -> UserOut:
    """Create an account (audited). The password is checked against the policy."""
    settings = request.app.state.settings
    try:
        user = _accounts.add_user(
            who.registry(),
            body.username,
            body.role,
            body.password,
            min_length=settings.password_min_length,
        )
    except _security.WeakPasswordError as exc:
        raise ProblemError(422, str(exc), kind="weak-password") from None
    except RegistryError as exc:
        raise ProblemError(409, str(exc), kind="conflict") from None
    return _out(user)


@router.post("/users/{username}/disable", response_model=UserOut, responses=responses(404, 422))
def disable_user(
    username: str = Path(max_length=64), who: Principal = Depends(admin_only)
) -> UserOut:
    """Disable an account and revoke its refresh tokens (audited)."""
    try:
        return _out(_accounts.disable_user(who.registry(), username))
    except RegistryError as exc:
        raise ProblemError(404, str(exc), kind="not-found") from None


@router.get("/admin/settings", response_model=SiteSettings)
def site_settings(request: Request, who: Principal = Depends(admin_only)) -> SiteSettings:
    """The service settings in force (no secret, no database address)."""
    s = request.app.state.settings
    return SiteSettings(
        database=request.app.state.engine.dialect.name,
        development=s.development,
        access_token_minutes=s.access_token_minutes,
        refresh_token_hours=s.refresh_token_hours,
        password_min_length=s.password_min_length,
        lockout_attempts=s.lockout_attempts,
        lockout_minutes=s.lockout_minutes,
        login_rate_per_minute=s.login_rate_per_minute,
        max_body_bytes=s.max_body_bytes,
        cors_origins=list(s.cors_origins),
        active_model=None if s.model_dir is None else s.model_dir.name,
    )
