"""Who is calling, and may they: ``Principal``, ``require_roles(...)``, ``audit(...)``.

One dependency serves the REST clients and the web dashboard. A caller authenticates with
either

* ``Authorization: Bearer <access token>`` (from ``POST /api/v1/auth/token``), or
* the web session cookie ``ptsdrx_session`` (HttpOnly, SameSite=strict, set by
  :func:`start_web_session`); a cookie request that changes state (POST, PUT, PATCH,
  DELETE) must also send the session's CSRF token in the ``X-CSRF-Token`` header (the
  token is returned at login and kept in the readable ``ptsdrx_csrf`` cookie).

Roles are deny-by-default: a route names the roles it admits, e.g.::

    @router.get("/patients/{patient_id}/thing")
    def thing(patient_id: str, who: Principal = Depends(require_roles("clinician"))): ...

Anonymous callers get 401 (with ``WWW-Authenticate: Bearer``), other roles 403; the
refusal is audited (outcome ``denied``, with the path's ``patient_id`` when it has one).
``principal.registry()`` is a :class:`~ptsdrx.registry.Registry` acting as the caller, whose
audit entries carry role, route, client address and request id; :func:`audit` writes an
entry of your own, in your transaction when you pass ``session``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ptsdrx.api import _security
from ptsdrx.api._accounts import active_user
from ptsdrx.api._middleware import route_template
from ptsdrx.api.problems import ProblemError
from ptsdrx.registry import AuditContext, Registry
from ptsdrx.registry._audit import Action, Outcome

Role = Literal["admin", "clinician", "nurse", "researcher", "auditor"]
SESSION_COOKIE = "ptsdrx_session"
CSRF_COOKIE = "ptsdrx_csrf"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

bearer_scheme = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/token")
cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="Web session (with X-CSRF-Token)"
)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    user_id: int
    username: str
    role: str
    auth: Literal["bearer", "cookie"] = "bearer"
    request_id: str | None = None
    client: str | None = None
    route: str | None = None
    engine: Engine | None = field(default=None, repr=False, compare=False)

    def context(self) -> AuditContext:
        """What every audit entry of this request carries besides the actor."""
        return AuditContext(
            role=self.role, route=self.route, client=self.client, request_id=self.request_id
        )

    def registry(self) -> Registry:
        """The registry acting as this caller (its audit entries carry this request)."""
        if self.engine is None:
            raise RuntimeError("principal has no database engine")
        return Registry(self.engine, actor=self.username, context=self.context())


def route_of(request: Request) -> str:
    """The route template (``/api/v1/patients/{patient_id}``), never the filled-in path."""
    return route_template(request.scope)


def client_of(request: Request) -> str | None:
    """The client address as the server saw it (behind a proxy: see ``--forwarded-allow-ips``)."""
    return request.client.host if request.client else None


def request_context(request: Request, role: str | None = None) -> AuditContext:
    """Audit context of a request before anyone is authenticated."""
    return AuditContext(
        role=role,
        route=route_of(request),
        client=client_of(request),
        request_id=getattr(request.state, "request_id", None),
    )


def audit(
    principal: Principal,
    action: Action,
    patient_id: str | None,
    route: str | None,
    outcome: Outcome,
    *,
    session: Session | None = None,
    entity: str | None = None,
    **detail: Any,
) -> None:
    """Write one audit entry for ``principal``.

    In ``session``'s transaction when given, else in a transaction of its own (e.g. for a refusal,
    which must outlive the rollback).

    ``entity`` names what was touched (default: the route); ``detail`` must hold ids and
    codes only, never record contents.
    """
    ctx = principal.context()
    if route is not None:
        ctx = AuditContext(role=ctx.role, route=route, client=ctx.client, request_id=ctx.request_id)
    if principal.engine is None:
        raise RuntimeError("principal has no database engine")
    reg = Registry(principal.engine, actor=principal.username, context=ctx)
    name = entity or (route or "request")[-64:]
    if session is not None:
        reg.audit(session, action, name, patient_id, outcome=outcome, **detail)
        return
    with reg.transaction() as own:
        reg.audit(own, action, name, patient_id, outcome=outcome, **detail)


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(
        401, detail, headers={"WWW-Authenticate": 'Bearer realm="ptsdrx"'}, kind="unauthorized"
    )


def _authenticate(
    request: Request,
    bearer: HTTPAuthorizationCredentials | None,
    cookie: str | None,
) -> Principal:
    state = request.app.state
    cfg: _security.TokenConfig = state.tokens
    if bearer is not None:
        token, kind, via = bearer.credentials, "access", "bearer"
    elif cookie:
        token, kind, via = cookie, "session", "cookie"
    else:
        raise _unauthorized("authentication required: send a Bearer access token")
    try:
        claims = _security.decode_access(cfg, token, kind=kind)
    except _security.TokenError as exc:
        raise _unauthorized(str(exc)) from None
    if via == "cookie" and request.method not in _SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent, _security.csrf_token(cfg.secret, claims.jti)):
            raise ProblemError(403, f"missing or wrong {CSRF_HEADER} header", kind="csrf")
    engine: Engine = state.engine
    with Session(engine) as session:
        user = active_user(session, claims.user_id)
        if user is None or user.role != claims.role or user.username != claims.username:
            raise _unauthorized("account disabled or changed; log in again")
    return Principal(
        user_id=claims.user_id,
        username=claims.username,
        role=claims.role,
        auth="bearer" if via == "bearer" else "cookie",
        request_id=getattr(request.state, "request_id", None),
        client=client_of(request),
        route=route_of(request),
        engine=engine,
    )


def require_roles(*roles: Role) -> Callable[..., Principal]:
    """A dependency admitting only callers whose role is in ``roles`` (401/403 otherwise)."""
    allowed = tuple(dict.fromkeys(roles))
    for r in allowed:
        if r not in _security.ROLES:
            raise ValueError(f"unknown role {r!r}; roles: {', '.join(_security.ROLES)}")

    def dependency(
        request: Request,
        bearer: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
        cookie: str | None = Depends(cookie_scheme),
    ) -> Principal:
        principal = _authenticate(request, bearer, cookie)
        if principal.role not in allowed:
            pid = request.path_params.get("patient_id")
            audit(principal, "read", pid, principal.route, "denied", entity="access_denied")
            raise ProblemError(
                403,
                f"role {principal.role!r} may not use this route; allowed: {', '.join(allowed)}",
                kind="forbidden",
            )
        request.state.principal = principal
        return principal

    dependency.roles = allowed  # type: ignore[attr-defined]  # read by create_app for OpenAPI
    return dependency


@dataclass(frozen=True)
class WebSession:
    """A started web session: the CSRF token the page must echo, and when it ends."""

    csrf_token: str
    expires_in: int
    username: str
    role: str


def start_web_session(request: Request, response: Response, user_id: int) -> WebSession:
    """Set the session and CSRF cookies for ``user_id`` (after a successful login)."""
    state = request.app.state
    cfg: _security.TokenConfig = state.tokens
    with Session(state.engine) as session:
        user = active_user(session, user_id)
        if user is None:
            raise _unauthorized("account disabled")
        username, role = user.username, user.role
    token, claims = _security.issue_access(
        cfg, user_id=user_id, username=username, role=role, kind="session"
    )
    csrf = _security.csrf_token(cfg.secret, claims.jti)
    secure = request.url.scheme == "https" or bool(state.settings.cookie_secure)
    max_age = cfg.minutes * 60
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="strict", secure=secure
    )
    return WebSession(csrf_token=csrf, expires_in=max_age, username=username, role=role)


def end_web_session(response: Response) -> None:
    """Clear the session and CSRF cookies."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    response.delete_cookie(CSRF_COOKIE, path="/", samesite="strict")
