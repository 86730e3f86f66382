"""``create_app(settings)``: the clinic service as one FastAPI application.

Mounting other routers (the web dashboard)
-----------------------------------------
``create_app`` includes ``ptsdrx.web.router`` (an ``APIRouter``) when the package
``ptsdrx.web`` exists and exports ``router``; its routes use
:func:`ptsdrx.api.deps.require_roles` like every API route, so they get the same 401/403,
audit and role documentation. Another package can be mounted explicitly with
``create_app(settings, routers=[my_router])``. Every route must depend on
``require_roles`` except those listed in :data:`PUBLIC_ROUTES` (checked here at start-up).
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ptsdrx.api import _security
from ptsdrx.api._middleware import RequestGuard, configure_logging
from ptsdrx.api.deps import audit
from ptsdrx.api.problems import PROBLEM_JSON, FieldError, ProblemError, problem_body, responses
from ptsdrx.monitoring import SessionIncompleteError
from ptsdrx.registry import (
    ImportRejectedError,
    PatientNotFoundError,
    RecordFieldError,
    RegistryError,
    StaleVersionError,
    make_engine,
    schema_head,
    schema_revision,
    upgrade_schema,
)
from ptsdrx.registry._audit import Action
from ptsdrx.settings import Settings

API_PREFIX = "/api/v1"
PUBLIC_ROUTES = frozenset(
    {
        f"{API_PREFIX}/health",
        f"{API_PREFIX}/auth/token",
        f"{API_PREFIX}/auth/refresh",
        f"{API_PREFIX}/auth/logout",
        f"{API_PREFIX}/auth/session",
        "/openapi.json",
        "/docs",
        "/docs/oauth2-redirect",
        "/redoc",
    }
)
"""Routes anyone may call (health, login and token exchange, the API description)."""

log = structlog.get_logger("ptsdrx.api")


def _problem(
    request: Request,
    status: int,
    detail: str,
    *,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    kind: str | None = None,
) -> JSONResponse:
    body = problem_body(
        status,
        detail,
        request_id=getattr(request.state, "request_id", None),
        errors=errors,
        kind=kind,
    )
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _audit_failure(request: Request, status: int) -> None:
    """An authenticated request that failed after admission leaves a ``failure`` entry."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return
    action: Action = "read" if request.method in ("GET", "HEAD") else "update"
    if request.method == "POST":
        action = "create"
    try:
        audit(
            principal,
            action,
            request.path_params.get("patient_id"),
            principal.route,
            "failure",
            entity="request_failed",
            status=status,
        )
    except Exception:  # the refusal itself stands even if its audit entry cannot be written
        log.error("audit_write_failed", request_id=principal.request_id)


def _allowed(ctx: Any) -> str | None:
    if not isinstance(ctx, dict):
        return None
    if "expected" in ctx:
        return str(ctx["expected"])
    bounds = [
        f"{name} {ctx[key]}"
        for key, name in (
            ("ge", ">="),
            ("gt", ">"),
            ("le", "<="),
            ("lt", "<"),
            ("min_length", "min length"),
            ("max_length", "max length"),
            ("pattern", "pattern"),
        )
        if key in ctx
    ]
    return ", ".join(bounds) or None


def field_errors(errors: Sequence[Any], prefix: Sequence[str] = ()) -> list[FieldError]:
    """Pydantic errors as problem ``errors`` (path, message, type, allowed); no input echoed."""
    out = []
    for err in errors:
        loc = [*prefix, *(str(p) for p in err.get("loc", ()))]
        out.append(
            FieldError(
                field=".".join(loc) or "(body)",
                message=str(err.get("msg", "invalid")),
                type=str(err.get("type", "invalid")),
                allowed=_allowed(err.get("ctx")),
            )
        )
    return out


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _on_problem(request: Request, exc: ProblemError) -> JSONResponse:
        if exc.status >= 400 and exc.status not in (401, 403):
            _audit_failure(request, exc.status)
        return _problem(
            request, exc.status, exc.detail, errors=exc.errors, headers=exc.headers, kind=exc.kind
        )

    @app.exception_handler(RequestValidationError)
    async def _on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errs = list(exc.errors())
        if any(str(e.get("type", "")).startswith("json_") for e in errs):
            _audit_failure(request, 400)
            return _problem(
                request,
                400,
                "request body is not valid JSON",
                errors=field_errors(errs),
                kind="malformed-json",
            )
        _audit_failure(request, 422)
        return _problem(
            request, 422, "invalid input", errors=field_errors(errs), kind="invalid-input"
        )

    @app.exception_handler(ValidationError)
    async def _on_model_invalid(request: Request, exc: ValidationError) -> JSONResponse:
        _audit_failure(request, 422)
        return _problem(
            request,
            422,
            "invalid input",
            errors=field_errors(exc.errors(), ("body",)),
            kind="invalid-input",
        )

    @app.exception_handler(StarletteHTTPException)
    async def _on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        return _problem(request, exc.status_code, detail, headers=dict(exc.headers or {}))

    @app.exception_handler(RegistryError)
    async def _on_registry(request: Request, exc: RegistryError) -> JSONResponse:
        if isinstance(exc, PatientNotFoundError):
            status, kind, errors = 404, "not-found", None
        elif isinstance(exc, StaleVersionError):
            status, kind, errors = 412, "stale-version", None
        elif isinstance(exc, ImportRejectedError):
            status, kind = 422, "import-rejected"
            errors = [
                FieldError(
                    field=f"{p.where()}: {f.field}",
                    message=f.message,
                    type="record",
                )
                for p in exc.problems
                for f in p.problems
            ]
        elif isinstance(exc, RecordFieldError):
            status, kind = 422, "invalid-record"
            errors = [FieldError(field=exc.field, message=exc.message, type="registry")]
        else:
            status, kind, errors = 409, "conflict", None
        _audit_failure(request, status)
        detail = str(exc).split("\n")[0] if isinstance(exc, ImportRejectedError) else str(exc)
        return _problem(request, status, detail, errors=errors, kind=kind)

    @app.exception_handler(SessionIncompleteError)
    async def _on_incomplete(request: Request, exc: SessionIncompleteError) -> JSONResponse:
        errors = [
            FieldError(field=m.rule_id, message=str(m), type="missing_reading") for m in exc.missing
        ]
        return _problem(request, 409, str(exc).split("\n")[0], errors=errors, kind="incomplete")

    @app.exception_handler(DataError)
    async def _on_data_error(request: Request, exc: DataError) -> JSONResponse:
        # A value the database cannot store (out of its range or encoding): never the SQL.
        _audit_failure(request, 422)
        return _problem(request, 422, "a value is outside what the registry can store")

    @app.exception_handler(UnicodeError)
    async def _on_unicode(request: Request, exc: UnicodeError) -> JSONResponse:
        _audit_failure(request, 422)
        return _problem(request, 422, "text with characters that cannot be encoded")

    @app.exception_handler(Exception)
    async def _on_error(request: Request, exc: Exception) -> JSONResponse:
        # Only the exception's type is logged: its message may quote record contents.
        log.error(
            "unhandled_error",
            error=type(exc).__name__,
            request_id=getattr(request.state, "request_id", None),
        )
        _audit_failure(request, 500)
        return _problem(request, 500, "internal error; quote the request id to the administrator")


def _roles_of(route: APIRoute) -> tuple[str, ...] | None:
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        roles = getattr(dep.call, "roles", None)
        if roles is not None:
            return tuple(roles)
        stack.extend(dep.dependencies)
    return None


def _document_roles(router: APIRouter, prefix: str, templates: dict[Any, str]) -> None:
    """Every route declares its roles (``x-roles``, 401, 403), or is public; else refuse."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        templates[route.endpoint] = prefix + route.path
        roles = _roles_of(route)
        if roles is None:
            if prefix + route.path not in PUBLIC_ROUTES:
                raise RuntimeError(f"route {route.path} has no require_roles(...) dependency")
            continue
        if "x-roles" in (route.openapi_extra or {}):  # documented by an earlier create_app
            continue
        route.openapi_extra = {**(route.openapi_extra or {}), "x-roles": list(roles)}
        extra = responses(401, 403)
        route.responses = {**extra, **route.responses}
        note = f"Roles: {', '.join(roles)}."
        route.description = f"{route.description}\n\n{note}" if route.description else note


def _web_routers() -> list[APIRouter]:
    try:
        web = importlib.import_module("ptsdrx.web")
    except ModuleNotFoundError as exc:
        if exc.name != "ptsdrx.web":  # a broken dashboard fails loudly, never vanishes
            raise
        return []
    router = getattr(web, "router", None)
    return [router] if isinstance(router, APIRouter) else []


def create_app(
    settings: Settings | None = None,
    *,
    routers: Iterable[APIRouter] | None = None,
    migrate: bool = True,
) -> FastAPI:
    """The service for ``settings`` (from the environment when omitted).

    Refuses a missing, default or short signing secret unless ``settings.development``, and
    a site file that does not pass its checks.
    With ``migrate`` (the default) the database is created or migrated at start-up (the
    first start of an embedded SQLite registry creates it); otherwise it must be current.
    ``routers`` are mounted next to the API (default: ``ptsdrx.web.router`` if present).
    """
    from ptsdrx.api.routes import ROUTERS

    settings = settings or Settings()
    secret = _security.check_secret(settings.secret_key, development=settings.development)
    site_config = None
    if settings.site_file is not None:  # a broken site file stops the start, not a request
        from ptsdrx.screening import RuleFileError, load_site

        try:
            site_config = load_site(settings.site_file)
        except (RuleFileError, OSError) as exc:
            raise RuntimeError(f"site file {settings.site_file}: {exc}") from exc
    engine = make_engine(
        settings.resolved_database_url(),
        **({} if settings.resolved_database_url().startswith("sqlite") else {"pool_size": 10}),
    )
    if migrate:
        upgrade_schema(engine)
    elif schema_revision(engine) != schema_head():
        raise RuntimeError("database schema is not current; run `ptsdrx db upgrade` first")
    configure_logging()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from starlette.concurrency import run_in_threadpool

        from ptsdrx.api.routes.care import load_active_model

        await run_in_threadpool(load_active_model, app.state)  # before the first patient
        yield
        engine.dispose()

    app = FastAPI(
        title="ptsdrx clinic service",
        version="1",
        description=(
            "Patients, assessments, screening, recommendations, dosing sessions and the audit "
            "log of a PTSD clinic. Every route names its roles; every access to patient data "
            "is audited. Errors are RFC 9457 problem details."
        ),
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        responses=responses(500),
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.tokens = _security.TokenConfig(
        secret=secret,
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        minutes=settings.access_token_minutes,
    )
    app.state.secret = secret
    app.state.site_config = site_config  # read and checked once, shared by API and dashboard
    app.state.route_templates = {}
    for router in ROUTERS:
        _document_roles(router, API_PREFIX, app.state.route_templates)
        app.include_router(router, prefix=API_PREFIX)
    for router in _web_routers() if routers is None else routers:
        _document_roles(router, "", app.state.route_templates)
        app.include_router(router)
    _install_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=False,
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "X-Request-ID"],
            expose_headers=["ETag", "X-Request-ID"],
        )
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)
    return app
