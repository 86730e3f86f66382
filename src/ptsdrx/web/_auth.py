"""The dashboard's side of authentication, on the clinic service's identities.

Pages depend on :func:`ptsdrx.api.deps.require_roles` like every API route (same users,
roles, deny-by-default, audited refusals); the session is the service's HttpOnly,
SameSite=strict cookie and every state change carries its CSRF token. HTML forms send the
token as the hidden field ``csrf_token``; :class:`PageRoute` moves it into the
``X-CSRF-Token`` header the service checks (HTMX sends the header itself), and turns the
service's refusals into pages: not signed in goes to the sign-in page, a wrong role or a
missing token gets a 403 page, never a JSON problem or a stack trace.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from ptsdrx.api.deps import CSRF_COOKIE, CSRF_HEADER, Principal, require_roles
from ptsdrx.api.problems import ProblemError
from ptsdrx.registry import PatientNotFoundError, RegistryError

__all__ = ["CSP", "CSRF_FIELD", "PageRoute", "Principal", "csrf_token", "require_roles"]

CSRF_FIELD = "csrf_token"
#: The pages' Content-Security-Policy: scripts and styles from this origin only (htmx is
#: vendored), inline SVG and data: images for the figures, no framing, forms to self.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
_SAFE = {"GET", "HEAD", "OPTIONS"}
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def csrf_token(request: Request) -> str:
    """The CSRF token of the request's web session ('' when not signed in)."""
    return request.cookies.get(CSRF_COOKIE, "")


async def _form_token_to_header(request: Request) -> None:
    if request.method in _SAFE or CSRF_HEADER.lower() in request.headers:
        return
    if not request.headers.get("content-type", "").startswith(_FORM_TYPES):
        return
    token = (await request.form()).get(CSRF_FIELD)
    if isinstance(token, str) and token:
        request.scope["headers"] = [
            *request.scope["headers"],
            (CSRF_HEADER.lower().encode(), token.encode("latin-1", "replace")),
        ]
        request.__dict__.pop("_headers", None)  # Starlette caches the parsed headers


def _page(request: Request, status: int, heading: str, message: str) -> Response:
    from ptsdrx.web._context import render

    response: Response = render(
        request, "error.html.j2", status_code=status, heading=heading, message=message
    )
    return response


def _refusal(request: Request, exc: ProblemError) -> Response:
    if exc.status == 401:
        if "hx-request" in request.headers:
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)
    if exc.status == 403 and exc.kind == "csrf":
        return _page(
            request,
            403,
            "Form refused",
            "The form was refused: its security token is missing or out of date. "
            "Reload the page and try again.",
        )
    if exc.status == 403:
        return _page(request, 403, "Not allowed", "Your role may not open this page.")
    if exc.status == 404:
        return _page(request, 404, "Not found", "This page does not exist.")
    return _page(request, exc.status, "Not possible", exc.detail)


class PageRoute(APIRoute):
    """A dashboard page: form CSRF tokens accepted, refusals and errors rendered as pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            await _form_token_to_header(request)
            try:
                response = await inner(request)
            except ProblemError as exc:
                response = _refusal(request, exc)
            except RequestValidationError:
                response = _page(request, 422, "Not possible", "The address or form is not valid.")
            except StarletteHTTPException as exc:
                response = _refusal(request, ProblemError(exc.status_code, "request refused"))
            except PatientNotFoundError:
                response = _page(request, 404, "Not found", "There is no such patient.")
            except RegistryError as exc:
                response = _page(request, 409, "Not possible", str(exc))
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return handler
