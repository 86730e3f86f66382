"""Admin pages: users and roles, the active model and its card, the site settings in force."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from ptsdrx.api._accounts import list_users
from ptsdrx.monitoring import load_session_rules
from ptsdrx.web._auth import PageRoute, Principal, require_roles
from ptsdrx.web._context import render, site

router = APIRouter(route_class=PageRoute)


def _model_card(request: Request) -> dict[str, Any] | None:
    """The active model's card (its directory's ``model_card.json``), or ``None``."""
    from ptsdrx.recommend import ModelCard

    model_dir = request.app.state.settings.model_dir
    if model_dir is None:
        return None
    card = model_dir / "model_card.json"
    if not card.exists():
        return {"model directory": str(model_dir), "model card": "missing (model_card.json)"}
    found: dict[str, Any] = ModelCard.model_validate_json(card.read_text("utf-8")).model_dump()
    return found


@router.get("/admin", include_in_schema=False)
def admin(request: Request, principal: Principal = Depends(require_roles("admin"))) -> Any:
    """Users, model card and site settings (no patient data on this page)."""
    here = site(request)
    return render(
        request,
        "admin.html.j2",
        users=list_users(principal.registry()),
        model=_model_card(request),
        site_file=here.path,
        crisis=() if here.safety is None else here.safety.crisis,
        session_rules=[r for r in load_session_rules(here.path).rules if r.enabled],
    )
