"""Adding the dashboard to a FastAPI application: routers, static files, error pages."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ptsdrx.registry import PatientNotFoundError, RegistryError
from ptsdrx.web import _admin, _assess, _patients, _sessions, _signin
from ptsdrx.web._auth import CsrfRefused, Forbidden, LoginRequired
from ptsdrx.web._context import _HERE, WebState, render

_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def install(app: FastAPI, web: WebState) -> None:
    """Add the dashboard's pages, static files and error pages to ``app``."""
    app.state.web = web
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="web-static")
    for module in (_signin, _patients, _assess, _sessions, _admin):
        app.include_router(module.router)

    @app.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        if not request.url.path.startswith("/api/"):
            for k, v in _SECURITY_HEADERS.items():
                response.headers.setdefault(k, v)
        return response

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Any:
        if "hx-request" in request.headers:
            return render(
                request,
                "error.html.j2",
                status_code=401,
                heading="Signed out",
                message="Your session has ended: sign in again.",
            )
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Any:
        return render(
            request,
            "error.html.j2",
            status_code=403,
            heading="Not allowed",
            message=f"The {exc.principal.role} role may not open this page.",
        )

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> Any:
        return render(
            request,
            "error.html.j2",
            status_code=403,
            heading="Form refused",
            message="The form was refused: its security token is missing or out of "
            "date. Reload the page and try again.",
        )

    @app.exception_handler(PatientNotFoundError)
    async def _no_patient(request: Request, exc: PatientNotFoundError) -> Any:
        return render(
            request,
            "error.html.j2",
            status_code=404,
            heading="Not found",
            message="There is no such patient.",
        )

    @app.exception_handler(RegistryError)
    async def _registry(request: Request, exc: RegistryError) -> Any:
        return render(
            request, "error.html.j2", status_code=422, heading="Not possible", message=str(exc)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Any:
        if request.url.path.startswith("/api/"):
            from fastapi.exception_handlers import http_exception_handler

            return await http_exception_handler(request, exc)
        return render(
            request,
            "error.html.j2",
            status_code=exc.status_code,
            heading="Not found" if exc.status_code == 404 else "Error",
            message="This page does not exist."
            if exc.status_code == 404
            else "The request could not be handled.",
        )


def create_app(web: WebState) -> FastAPI:
    """An application serving the dashboard alone (the clinic service mounts it with the API)."""
    app = FastAPI(title="ptsdrx dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    install(app, web)
    return app
