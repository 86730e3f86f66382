"""The clinician web dashboard: server-rendered pages in the same FastAPI process as the API.

Jinja2 templates, HTMX (vendored in ``static/``, see ``static/VENDORED.md``) for partial
updates, no JavaScript build step and nothing from a CDN. Pages use the clinic service's
identities and roles (:func:`ptsdrx.api.deps.require_roles`) through its HttpOnly,
SameSite=strict session cookie, with the CSRF token on every form; every page that shows
patient data reads it through ``principal.registry()``, which writes the same audit entries
as the API.

``ptsdrx.api.create_app`` mounts :data:`router` when this package is importable.
"""

from fastapi import APIRouter

from ptsdrx.web import _admin, _assess, _patients, _sessions, _signin
from ptsdrx.web._auth import PageRoute

#: Every dashboard page; mounted at the root next to ``/api/v1`` by ``ptsdrx.api.create_app``.
router = APIRouter(route_class=PageRoute)
for _module in (_signin, _patients, _assess, _sessions, _admin):
    router.include_router(_module.router)

__all__ = ["router"]
