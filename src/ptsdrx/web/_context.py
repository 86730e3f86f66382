"""What every page needs: templates, the site's crisis texts and session rules, the registry.

Pages open the registry as the signed-in user (``principal.registry()``), so every read and
write of patient data is audited under their name, role, route and request id, in the same
transaction, exactly as for the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from ptsdrx.api.deps import Principal
from ptsdrx.registry import SessionStore
from ptsdrx.site import CrisisText, SafetyTexts, SiteConfig
from ptsdrx.web._auth import csrf_token

HERE = Path(__file__).parent


@cache
def templates() -> Jinja2Templates:
    """The Jinja2 templates (autoescaped HTML)."""
    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.autoescape = True  # the default keys on .html; ours end in .j2: escape everything
    t.env.globals["csrf_token"] = csrf_token
    t.env.filters["dt"] = lambda v: "" if v is None else f"{v:%Y-%m-%d %H:%M}"
    return t


@dataclass
class Site:
    """The site file in force (``settings.site_file``) and its configuration.

    ``config`` is the typed :class:`~ptsdrx.site.SiteConfig` that ``create_app`` read and
    checked at start-up, shared with the API: crisis texts, screening thresholds and session
    rules come from one file, read once.
    """

    path: Path | None
    config: SiteConfig | None

    @property
    def safety(self) -> SafetyTexts | None:
        """The site's crisis texts, or ``None`` when it configured none."""
        return None if self.config is None else self.config.safety

    def crisis(self, jurisdiction: str | None, language: str | None = None) -> CrisisText | None:
        """The crisis text for a patient's place and language (``None``: not configured)."""
        return None if self.safety is None else self.safety.for_patient(jurisdiction, language)


def site(request: Request) -> Site:
    """The application's :class:`Site` (read once)."""
    state = request.app.state
    if not hasattr(state, "web_site"):
        state.web_site = Site(state.settings.site_file, state.site_config)
    found: Site = state.web_site
    return found


def secret(request: Request) -> str:
    """The service secret (keys the research pseudonyms)."""
    value: str = request.app.state.secret
    return value


def sessions(request: Request, principal: Principal) -> SessionStore:
    """Dosing sessions as the signed-in user, under the site's session rules."""
    return SessionStore(principal.registry(), site=site(request).path)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Any:
    """Render a template with the request, the signed-in principal and the time."""
    context.setdefault("principal", getattr(request.state, "principal", None))
    context.setdefault("now", datetime.now(UTC))
    return templates().TemplateResponse(request, name, context, status_code=status_code)
