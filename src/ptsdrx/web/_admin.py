"""Admin pages: users and roles, the active model and its card, the site settings in force."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from ptsdrx.monitoring import load_session_rules
from ptsdrx.web._auth import Principal, page_roles
from ptsdrx.web._context import render, state

router = APIRouter()


@router.get("/admin", include_in_schema=False)
def admin(request: Request, principal: Principal = Depends(page_roles("admin"))) -> Any:
    """Users, model card and site settings (no patient data on this page)."""
    web = state(request)
    return render(
        request,
        "admin.html.j2",
        users=web.authenticator.users(),
        model=web.model_card,
        site_file=web.site_file,
        crisis=() if web.safety is None else web.safety.crisis,
        session_rules=[r for r in load_session_rules(web.site_file).rules if r.enabled],
    )
