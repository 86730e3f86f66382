"""What every page needs: the registry engine, the site's settings, templates, the signer.

One :class:`WebState` is kept on ``app.state.web``. Pages open a :class:`Registry` as the
signed-in user, so every read and write of patient data is audited under their name, in the
same transaction, exactly as the registry does for the API and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from fastapi import Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from ptsdrx.registry import Registry, SessionStore
from ptsdrx.site import CrisisText, SafetyTexts
from ptsdrx.web._auth import Authenticator, Principal, SessionSigner, csrf_token

_HERE = Path(__file__).parent


def _templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(_HERE / "templates"))
    t.env.globals["csrf_token"] = csrf_token
    t.env.filters["dt"] = lambda v: "" if v is None else f"{v:%Y-%m-%d %H:%M}"
    return t


@dataclass
class WebState:
    """The dashboard's configuration for one application."""

    engine: Engine
    authenticator: Authenticator
    signer: SessionSigner
    site_file: Path | None = None
    secure_cookie: bool = False
    model_card: dict[str, Any] | None = None

    @cached_property
    def templates(self) -> Jinja2Templates:
        """The Jinja2 templates (autoescaped)."""
        return _templates()

    @cached_property
    def site(self) -> dict[str, Any]:
        """The site file as a mapping ({} without one)."""
        if self.site_file is None:
            return {}
        loaded = yaml.safe_load(self.site_file.read_text(encoding="utf-8")) or {}
        return loaded if isinstance(loaded, dict) else {}

    @cached_property
    def safety(self) -> SafetyTexts | None:
        """The site's crisis texts, or ``None`` when the site configured none."""
        section = self.site.get("safety")
        return None if not section else SafetyTexts.model_validate(section)

    def crisis(self, jurisdiction: str | None, language: str | None = None) -> CrisisText | None:
        """The crisis text for a patient's place and language (``None``: not configured)."""
        return None if self.safety is None else self.safety.for_patient(jurisdiction, language)

    def registry(self, principal: Principal) -> Registry:
        """The registry acting as the signed-in user (every access audited as them)."""
        return Registry(self.engine, actor=principal.username)

    def sessions(self, principal: Principal) -> SessionStore:
        """Dosing sessions under the site's session rules."""
        return SessionStore(self.registry(principal), site=self.site_file)


def state(request: Request) -> WebState:
    """The :class:`WebState` of the request's application."""
    web: WebState = request.app.state.web
    return web


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Any:
    """Render a template with the request, the principal and the time."""
    from ptsdrx.web._auth import session_of

    found = session_of(request)
    context.setdefault("principal", None if found is None else found[0])
    context.setdefault("now", datetime.now(UTC))
    return state(request).templates.TemplateResponse(
        request, name, context, status_code=status_code
    )
