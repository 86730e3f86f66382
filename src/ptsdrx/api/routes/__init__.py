"""The API's routers, mounted under ``/api/v1`` by :func:`ptsdrx.api.create_app`."""

from ptsdrx.api.routes.admin import router as admin
from ptsdrx.api.routes.audit import router as audit
from ptsdrx.api.routes.auth import router as auth
from ptsdrx.api.routes.care import router as care
from ptsdrx.api.routes.patients import router as patients
from ptsdrx.api.routes.research import router as research
from ptsdrx.api.routes.sessions import router as sessions

ROUTERS = (auth, admin, patients, care, sessions, research, audit)

__all__ = ["ROUTERS"]
