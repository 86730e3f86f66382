"""Auditors: the audit log, filtered and paged (reading it is audited too)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from ptsdrx.api.deps import Principal, require_roles
from ptsdrx.api.problems import responses
from ptsdrx.registry._audit import query

router = APIRouter(tags=["audit"])


class AuditEntryOut(BaseModel):
    """One audit entry (maps one-to-one onto a FHIR AuditEvent: see ``fhir``)."""

    id: int
    at: str
    actor: str
    role: str | None
    action: str
    outcome: str
    patient_id: str | None
    entity: str
    route: str | None
    client: str | None
    request_id: str | None
    detail: dict[str, Any] | None
    fhir: dict[str, Any] = Field(description="The same entry as a FHIR R4 AuditEvent.")


class AuditPage(BaseModel):
    """Entries oldest first; pass ``next_after_id`` as ``after_id`` for the next page."""

    items: list[AuditEntryOut]
    next_after_id: int | None


@router.get("/audit", response_model=AuditPage, responses=responses(422))
def audit_log(
    patient_id: str | None = Query(None, max_length=64),
    actor: str | None = Query(None, max_length=128),
    outcome: Literal["success", "failure", "denied"] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_id: int = Query(0, ge=0, le=2**53),
    limit: int = Query(100, ge=1, le=1000),
    who: Principal = Depends(require_roles("auditor")),
) -> AuditPage:
    """Audit entries matching every filter given (times in UTC)."""
    reg = who.registry()

    def naive(t: datetime | None) -> datetime | None:
        if t is None or t.tzinfo is None:
            return t
        from datetime import UTC

        return t.astimezone(UTC).replace(tzinfo=None)

    with reg.transaction() as session:
        found = query(
            session,
            patient_id=patient_id,
            actor=actor,
            outcome=outcome,
            since=naive(since),
            until=naive(until),
            after_id=after_id,
            limit=limit,
        )
        reg.audit(session, "read", "audit_log", patient_id, count=len(found))
    items = [AuditEntryOut(**e.to_dict(), fhir=e.fhir()) for e in found]
    return AuditPage(items=items, next_after_id=found[-1].id if len(found) == limit else None)
