"""Sign in and out, the start page, and the vendored static files.

Sign-in goes through the clinic service's web login (``POST /api/v1/auth/session``'s
function): the same password check, lockout, rate limit and audit, the same cookies. Every
refusal shows the same words, whether the user exists or not.
"""

from __future__ import annotations

from typing import Any, get_args

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import ValidationError
from starlette.routing import Route

from ptsdrx.api.deps import SESSION_COOKIE, Role, end_web_session, require_roles
from ptsdrx.api.problems import ProblemError
from ptsdrx.web._auth import CSP, PageRoute, Principal
from ptsdrx.web._context import HERE, render

router = APIRouter(route_class=PageRoute)

HOME = {"admin": "/admin", "nurse": "/sessions", "auditor": "/signed-in"}
REFUSED = (
    "Sign-in failed. Check the user name and password; after repeated failures an account "
    "is locked for a while."
)
ROLES: tuple[Role, ...] = get_args(Role)
_STATIC = {"htmx.min.js": "text/javascript", "app.css": "text/css"}


def _page(request: Request, status: int = 200, **context: Any) -> Response:
    response: Response = render(request, "login.html.j2", status_code=status, **context)
    response.headers["Content-Security-Policy"] = CSP
    return response


async def login_page(request: Request) -> Response:
    """The sign-in form."""
    return _page(request, signed_out=request.query_params.get("signed_out") == "true")


async def login(request: Request) -> Response:
    """Check the password; on success set the session cookies and open the role's start page."""
    from ptsdrx.api.routes.auth import Login, session_login

    form = await request.form()
    username = str(form.get("username", ""))[:64]
    response = RedirectResponse("/", status_code=303)
    try:
        body = Login(username=username, password=str(form.get("password", "")))
        started = session_login(request, response, body)
    except ValidationError:
        return _page(request, 401, message=REFUSED, username=username)
    except ProblemError as exc:
        wait = " Too many attempts from this computer: wait a minute." if exc.status == 429 else ""
        return _page(request, exc.status, message=REFUSED + wait, username=username)
    response.headers["location"] = HOME.get(started.role, "/patients")
    return response


async def home(request: Request) -> Response:
    """The signed-in role's start page, else sign-in."""
    check = require_roles(*ROLES)
    try:
        who = check(request, None, request.cookies.get(SESSION_COOKIE))
    except ProblemError:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(HOME.get(who.role, "/patients"), status_code=303)


async def static(request: Request) -> Response:
    """The vendored htmx and the stylesheet (nothing else is served from the package)."""
    name = request.path_params["name"]
    if name not in _STATIC:
        return Response(status_code=404)
    return FileResponse(
        HERE / "static" / name,
        media_type=_STATIC[name],
        headers={"Cache-Control": "public, max-age=3600"},
    )


# Public routes (no role): Starlette routes, so the service's check that every API route
# declares its roles does not apply to them; everything else here needs a role.
router.routes.extend(
    [
        Route("/login", login_page, methods=["GET"], include_in_schema=False),
        Route("/login", login, methods=["POST"], include_in_schema=False),
        Route("/", home, methods=["GET"], include_in_schema=False),
        Route("/static/{name}", static, methods=["GET"], include_in_schema=False),
    ]
)


@router.post("/logout", include_in_schema=False)
def logout(principal: Principal = Depends(require_roles(*ROLES))) -> Response:
    """End the session (CSRF-checked, so another site cannot sign a user out)."""
    response = RedirectResponse("/login?signed_out=true", status_code=303)
    end_web_session(response)
    return response


@router.get("/signed-in", include_in_schema=False)
def signed_in(
    request: Request,
    principal: Principal = Depends(require_roles(*ROLES)),
) -> Any:
    """A plain page for roles with no dashboard pages (the auditor uses the audit API)."""
    return render(
        request,
        "error.html.j2",
        heading="Signed in",
        message="This role has no dashboard pages; use the audit API (/api/v1/audit).",
    )
