"""The clinician web dashboard: server-rendered pages in the same FastAPI process as the API.

Jinja2 templates, HTMX (vendored in ``static/``) for partial updates, no JavaScript build
step and nothing from a CDN. Pages use the same identities and roles as the API through an
HttpOnly, SameSite cookie session with a CSRF token on every form; every page showing
patient data reads it through the registry, which audits the access under the user's name.

Use :func:`install` to add the pages to an application, or :func:`create_app` for an
application with the dashboard alone.
"""

from ptsdrx.web._app import create_app, install
from ptsdrx.web._auth import (
    ROLES,
    Authenticator,
    LoginRefused,
    MemoryUsers,
    Principal,
    SessionSigner,
)
from ptsdrx.web._context import WebState

__all__ = [
    "ROLES",
    "Authenticator",
    "LoginRefused",
    "MemoryUsers",
    "Principal",
    "SessionSigner",
    "WebState",
    "create_app",
    "install",
]
