"""Sign in and sign out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from ptsdrx.web._auth import COOKIE, LoginRefused, check_csrf, session_of
from ptsdrx.web._context import render, state

router = APIRouter()

_HOME = {"admin": "/admin", "nurse": "/sessions", "auditor": "/signed-in"}


@router.get("/login", include_in_schema=False)
def login_page(request: Request, signed_out: bool = False) -> Any:
    """The sign-in form."""
    return render(request, "login.html.j2", signed_out=signed_out)


@router.post("/login", include_in_schema=False)
def login(request: Request, username: str = Form(""), password: str = Form("")) -> Any:
    """Check the password; on success set the session cookie and go to the role's start page.

    Every refusal gives the same words (unknown user, wrong password, locked account).
    """
    web = state(request)
    result = web.authenticator.authenticate(username.strip()[:128], password)
    if isinstance(result, LoginRefused):
        return render(
            request, "login.html.j2", status_code=401, message=result.message, username=username
        )
    response = RedirectResponse(_HOME.get(result.role, "/patients"), status_code=303)
    response.set_cookie(
        COOKIE,
        web.signer.issue(result),
        max_age=web.signer.max_age_seconds,
        httponly=True,
        samesite="strict",
        secure=web.secure_cookie,
        path="/",
    )
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request) -> Any:
    """End the session (CSRF-checked so another site cannot sign a user out)."""
    if session_of(request) is not None:
        await check_csrf(request)
    response = RedirectResponse("/login?signed_out=true", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/", include_in_schema=False)
def home(request: Request) -> Any:
    """The start page of the signed-in role, else sign-in."""
    found = session_of(request)
    if found is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(_HOME.get(found[0].role, "/patients"), status_code=303)


@router.get("/signed-in", include_in_schema=False)
def signed_in(request: Request) -> Any:
    """A plain page for roles with no dashboard pages (the auditor uses the audit API)."""
    if session_of(request) is None:
        return RedirectResponse("/login", status_code=303)
    return render(
        request,
        "error.html.j2",
        heading="Signed in",
        message="This role has no dashboard pages; use the audit API.",
    )
