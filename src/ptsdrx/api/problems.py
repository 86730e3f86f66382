"""RFC 9457 problem details: every error the service gives is ``application/problem+json``.

Each problem names what is wrong and, for invalid input, every field with what is allowed.
Nothing from an exception's traceback, the database or a stored record ever reaches it.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    """One invalid field: its path, what is wrong, and (when known) what is allowed."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="Dotted path of the field, e.g. `body.record.demographics.age`.")
    message: str
    type: str = Field(description="Machine-readable error type (pydantic's, or `registry`).")
    allowed: str | None = Field(None, description="What the field accepts, when stated.")


class Problem(BaseModel):
    """RFC 9457 problem details, with ``errors`` for invalid input."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field("about:blank", description="A URI naming the kind of problem.")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str | None = None
    instance: str | None = Field(None, description="The request id (also in `X-Request-ID`).")
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """Raised by routes to answer with a problem (``status`` 4xx/5xx)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        kind: str | None = None,
    ) -> None:
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.kind = kind
        super().__init__(detail)


def problem_body(
    status: int,
    detail: str | None,
    *,
    request_id: str | None = None,
    errors: list[FieldError] | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    """The JSON body of a problem."""
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return Problem(
        type=f"https://ptsdrx.org/problems/{kind}" if kind else "about:blank",
        title=title,
        status=status,
        detail=detail,
        instance=None if request_id is None else f"urn:request:{request_id}",
        errors=errors,
    ).model_dump(exclude_none=True)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries declaring problem bodies for ``statuses``."""
    return {
        s: {
            "model": Problem,
            "description": HTTPStatus(s).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in statuses
    }
