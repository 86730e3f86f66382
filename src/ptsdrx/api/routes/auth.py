"""Health, login (token and web session), token refresh and logout, and who am I."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ptsdrx.api import _accounts, _security
from ptsdrx.api.deps import (
    Principal,
    Role,
    end_web_session,
    request_context,
    require_roles,
    start_web_session,
)
from ptsdrx.api.problems import ProblemError, responses
from ptsdrx.registry import Registry, schema_revision

router = APIRouter(tags=["auth"])
ALL_ROLES: tuple[Role, ...] = ("admin", "clinician", "nurse", "researcher", "auditor")


class Health(BaseModel):
    """The service is up and its database answers."""

    status: Literal["ok"]
    schema_revision: str | None


class Login(BaseModel):
    """User name and password."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class RefreshRequest(BaseModel):
    """A refresh token (used once: the answer carries its successor)."""

    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=256)


class Tokens(BaseModel):
    """A short-lived access token and a rotating refresh token."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds the access token is valid.")
    refresh_token: str
    refresh_expires_in: int
    role: str


class SessionStarted(BaseModel):
    """A web session: send ``csrf_token`` as ``X-CSRF-Token`` on every state change."""

    csrf_token: str
    expires_in: int
    username: str
    role: str


class Me(BaseModel):
    """The authenticated caller."""

    user_id: int
    username: str
    role: str
    auth: Literal["bearer", "cookie"]


class LoginLimiter:
    """At most ``per_minute`` login attempts per client address in any 60 s window."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, client: str) -> int | None:
        """None when admitted, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            if len(self._hits) > 10_000:  # bounded memory under a flood of addresses
                self._hits.clear()
            hits = self._hits.setdefault(client, deque())
            while hits and now - hits[0] > 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return max(1, int(60 - (now - hits[0])) + 1)
            hits.append(now)
            return None


def _limiter(request: Request) -> LoginLimiter:
    state = request.app.state
    if not hasattr(state, "login_limiter"):
        state.login_limiter = LoginLimiter(state.settings.login_rate_per_minute)
    limiter: LoginLimiter = state.login_limiter
    return limiter


def _registry(request: Request, actor: str) -> Registry:
    return Registry(
        request.app.state.engine, actor=actor[:128] or "anonymous", context=request_context(request)
    )


def _login(request: Request, body: Login) -> _accounts.User:
    client = request.client.host if request.client else "unknown"
    wait = _limiter(request).admit(client)
    settings = request.app.state.settings
    reg = _registry(request, body.username)
    if wait is not None:
        with reg.transaction() as session:
            reg.audit(session, "execute", "login", None, outcome="denied", reason="rate limited")
        raise ProblemError(
            429,
            "too many login attempts; wait and try again",
            headers={"Retry-After": str(wait)},
            kind="rate-limited",
        )
    try:
        return _accounts.authenticate(
            reg,
            body.username,
            body.password,
            attempts=settings.lockout_attempts,
            lock_minutes=settings.lockout_minutes,
        )
    except _accounts.LoginError as exc:
        raise ProblemError(
            401,
            str(exc),
            headers={"WWW-Authenticate": 'Bearer realm="ptsdrx"'},
            kind="login-failed",
        ) from None


@router.get("/health", response_model=Health, responses=responses(503))
def health(request: Request) -> Health:
    """Liveness and database check (no authentication, no patient data)."""
    try:
        revision = schema_revision(request.app.state.engine)
    except Exception as exc:
        raise ProblemError(503, "database unavailable", kind="unavailable") from exc
    return Health(status="ok", schema_revision=revision)


@router.post(
    "/auth/token",
    response_model=Tokens,
    responses=responses(400, 401, 413, 415, 422, 429),
)
def login(request: Request, body: Login) -> Tokens:
    """Log in: an access token (Bearer) and a refresh token.

    Failures are audited; repeated failures lock the account; attempts per client address are rate
    limited.
    """
    user = _login(request, body)
    settings = request.app.state.settings
    access, _ = _security.issue_access(
        request.app.state.tokens, user_id=user.id, username=user.username, role=user.role
    )
    reg = _registry(request, user.username)
    with reg.transaction() as session:
        refresh, seconds = _accounts.issue_refresh(
            session, user.id, hours=settings.refresh_token_hours
        )
    return Tokens(
        access_token=access,
        expires_in=settings.access_token_minutes * 60,
        refresh_token=refresh,
        refresh_expires_in=seconds,
        role=user.role,
    )


@router.post(
    "/auth/refresh",
    response_model=Tokens,
    responses=responses(400, 401, 413, 415, 422),
)
def refresh(request: Request, body: RefreshRequest) -> Tokens:
    """Exchange a refresh token for a new pair.

    A token is good once: presenting a used one again revokes every token of that login (it is taken
    as stolen).
    """
    settings = request.app.state.settings
    reg = _registry(request, "refresh")
    try:
        user, token, seconds = _accounts.rotate_refresh(
            reg, body.refresh_token, hours=settings.refresh_token_hours
        )
    except _accounts.LoginError as exc:
        raise ProblemError(401, str(exc), kind="refresh-refused") from None
    access, _ = _security.issue_access(
        request.app.state.tokens, user_id=user.id, username=user.username, role=user.role
    )
    return Tokens(
        access_token=access,
        expires_in=settings.access_token_minutes * 60,
        refresh_token=token,
        refresh_expires_in=seconds,
        role=user.role,
    )


@router.post(
    "/auth/logout",
    status_code=204,
    response_class=Response,
    responses=responses(400, 401, 413, 415, 422),
)
def logout(request: Request, body: RefreshRequest) -> Response:
    """Revoke the refresh token and every token rotated from the same login."""
    if not _accounts.revoke_family(_registry(request, "logout"), body.refresh_token):
        raise ProblemError(401, "unknown refresh token", kind="refresh-refused")
    return Response(status_code=204)


@router.post(
    "/auth/session",
    response_model=SessionStarted,
    responses=responses(400, 401, 413, 415, 422, 429),
)
def session_login(request: Request, response: Response, body: Login) -> SessionStarted:
    """Web login: sets the HttpOnly, SameSite=strict session cookie and the CSRF cookie."""
    user = _login(request, body)
    web = start_web_session(request, response, user.id)
    return SessionStarted(
        csrf_token=web.csrf_token, expires_in=web.expires_in, username=web.username, role=web.role
    )


@router.delete("/auth/session", status_code=204, response_class=Response)
def session_logout() -> Response:
    """Web logout: clears the session cookies."""
    out = Response(status_code=204)
    end_web_session(out)
    return out


@router.get("/auth/me", response_model=Me)
def me(who: Principal = Depends(require_roles(*ALL_ROLES))) -> Me:
    """The caller's identity and role."""
    return Me(user_id=who.user_id, username=who.username, role=who.role, auth=who.auth)
