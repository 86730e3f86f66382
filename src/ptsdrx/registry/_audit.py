"""The append-only audit log: every read and write of patient data leaves an entry.

Entries are only ever inserted, in the same transaction as the change they describe (so a
rolled-back write leaves no entry, and a committed one always has one). There is no update
or delete path here, and the migration makes the database itself refuse both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ptsdrx.registry._db import utcnow
from ptsdrx.registry._models import AuditRow

Action = Literal["create", "read", "update", "delete", "export", "execute"]
ACTIONS: tuple[Action, ...] = ("create", "read", "update", "delete", "export", "execute")
Outcome = Literal["success", "failure", "denied"]
OUTCOMES: tuple[Outcome, ...] = ("success", "failure", "denied")

# FHIR R4 AuditEvent.action (C R U D E) and AuditEvent.outcome (0 success, 4 minor failure,
# 8 serious failure): a refused access is a minor failure, a failed operation a serious one.
FHIR_ACTION: dict[str, str] = {
    "create": "C",
    "read": "R",
    "update": "U",
    "delete": "D",
    "export": "R",
    "execute": "E",
}
FHIR_OUTCOME: dict[str, str] = {"success": "0", "denied": "4", "failure": "8"}


@dataclass(frozen=True)
class AuditContext:
    """Where an action came from (the service fills it per request; the CLI leaves it empty)."""

    role: str | None = None
    route: str | None = None
    client: str | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One audit entry: who did what to which patient's data, and when (UTC)."""

    id: int
    at: datetime
    actor: str
    action: str
    patient_id: str | None
    entity: str
    detail: Mapping[str, Any] | None
    role: str | None = None
    outcome: str = "success"
    route: str | None = None
    client: str | None = None
    request_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id,
            "at": self.at.isoformat() + "Z",
            "actor": self.actor,
            "action": self.action,
            "patient_id": self.patient_id,
            "entity": self.entity,
            "detail": dict(self.detail) if self.detail is not None else None,
            "role": self.role,
            "outcome": self.outcome,
            "route": self.route,
            "client": self.client,
            "request_id": self.request_id,
        }

    def fhir(self) -> dict[str, Any]:
        """The entry as the fields of a FHIR R4 ``AuditEvent`` (one field per column)."""
        agent: dict[str, Any] = {"who": {"display": self.actor}, "requestor": True}
        if self.role is not None:
            agent["role"] = [{"text": self.role}]
        if self.client is not None:
            agent["network"] = {"address": self.client, "type": "2"}
        event: dict[str, Any] = {
            "resourceType": "AuditEvent",
            "type": {
                "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
                "code": "rest",
            },
            "subtype": [{"display": self.entity}],
            "action": FHIR_ACTION.get(self.action, "E"),
            "recorded": self.at.isoformat() + "Z",
            "outcome": FHIR_OUTCOME.get(self.outcome, "8"),
            "agent": [agent],
            "source": {"observer": {"display": "ptsdrx"}},
        }
        if self.route is not None:
            event["source"]["site"] = self.route
        if self.request_id is not None:
            event["id"] = f"audit-{self.id}"
            event["extension"] = [{"url": "request-id", "valueString": self.request_id}]
        if self.patient_id is not None:
            event["entity"] = [{"what": {"reference": f"Patient/{self.patient_id}"}}]
        return event

    def summary(self) -> str:
        """One line: time, actor, action, entity, patient, detail."""
        detail = "" if not self.detail else " " + json.dumps(dict(self.detail), sort_keys=True)
        who = self.patient_id or "-"
        return (
            f"{self.at:%Y-%m-%d %H:%M:%S}Z {self.actor} {self.action} {self.entity} {who}{detail}"
        )


def record(
    session: Session,
    *,
    actor: str,
    action: Action,
    entity: str,
    patient_ids: Iterable[str | None],
    detail: Mapping[str, Any] | None = None,
    outcome: Outcome = "success",
    context: AuditContext | None = None,
) -> None:
    """Append one entry per patient touched (inside the caller's transaction)."""
    if action not in ACTIONS:
        raise ValueError(f"audit action must be one of {', '.join(ACTIONS)}, got {action!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"audit outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
    ctx = context or AuditContext()
    now = utcnow()
    values = [
        {
            "at": now,
            "actor": actor,
            "action": action,
            "patient_id": pid,
            "entity": entity,
            "detail": dict(detail) if detail is not None else None,
            "outcome": outcome,
            "role": ctx.role,
            "route": ctx.route,
            "client": ctx.client,
            "request_id": ctx.request_id,
        }
        for pid in patient_ids
    ]
    if values:
        session.execute(insert(AuditRow), values)


def entry(r: AuditRow) -> AuditEntry:
    """The entry a stored row holds."""
    return AuditEntry(
        id=r.id,
        at=r.at,
        actor=r.actor,
        action=r.action,
        patient_id=r.patient_id,
        entity=r.entity,
        detail=r.detail,
        role=r.role,
        outcome=r.outcome,
        route=r.route,
        client=r.client,
        request_id=r.request_id,
    )


def entries(session: Session, patient_id: str) -> tuple[AuditEntry, ...]:
    """The entries about one patient, oldest first."""
    rows = session.scalars(
        select(AuditRow).where(AuditRow.patient_id == patient_id).order_by(AuditRow.id)
    )
    return tuple(entry(r) for r in rows)


def query(
    session: Session,
    *,
    patient_id: str | None = None,
    actor: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> tuple[AuditEntry, ...]:
    """Entries matching every given filter, oldest first, from ``after_id`` (keyset paging)."""
    stmt = select(AuditRow).where(AuditRow.id > after_id)
    if patient_id is not None:
        stmt = stmt.where(AuditRow.patient_id == patient_id)
    if actor is not None:
        stmt = stmt.where(AuditRow.actor == actor)
    if outcome is not None:
        stmt = stmt.where(AuditRow.outcome == outcome)
    if since is not None:
        stmt = stmt.where(AuditRow.at >= since)
    if until is not None:
        stmt = stmt.where(AuditRow.at < until)
    rows = session.scalars(stmt.order_by(AuditRow.id).limit(limit))
    return tuple(entry(r) for r in rows)
