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

Action = Literal["create", "read", "update", "export"]
ACTIONS: tuple[Action, ...] = ("create", "read", "update", "export")


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
        }

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
) -> None:
    """Append one entry per patient touched (inside the caller's transaction)."""
    if action not in ACTIONS:
        raise ValueError(f"audit action must be one of {', '.join(ACTIONS)}, got {action!r}")
    now = utcnow()
    values = [
        {
            "at": now,
            "actor": actor,
            "action": action,
            "patient_id": pid,
            "entity": entity,
            "detail": dict(detail) if detail is not None else None,
        }
        for pid in patient_ids
    ]
    if values:
        session.execute(insert(AuditRow), values)


def entries(session: Session, patient_id: str) -> tuple[AuditEntry, ...]:
    """The entries about one patient, oldest first."""
    rows = session.scalars(
        select(AuditRow).where(AuditRow.patient_id == patient_id).order_by(AuditRow.id)
    )
    return tuple(
        AuditEntry(
            id=r.id,
            at=r.at,
            actor=r.actor,
            action=r.action,
            patient_id=r.patient_id,
            entity=r.entity,
            detail=r.detail,
        )
        for r in rows
    )
