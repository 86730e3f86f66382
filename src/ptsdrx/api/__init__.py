"""The clinic service: an authenticated REST API over the registry (FastAPI).

``create_app(settings)`` builds the application; ``ptsdrx serve`` runs it under uvicorn.
Roles and authentication: :mod:`ptsdrx.api.deps` (``Principal``, ``require_roles``,
``audit``). Imported lazily so that ``ptsdrx --help`` never loads FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ptsdrx.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from ptsdrx.api.app import create_app

        return create_app
    raise AttributeError(name)
