"""Treatment episodes: a course of one catalog treatment at this clinic, start to end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import select

from ptsdrx.registry._db import utcnow
from ptsdrx.registry._errors import RecordFieldError, RegistryError
from ptsdrx.registry._models import TreatmentEpisodeRow
from ptsdrx.registry._registry import Registry
from ptsdrx.treatments import TREATMENT_IDS

EndStatus = Literal["completed", "stopped"]


@dataclass(frozen=True)
class Episode:
    """One treatment course: ``active`` until ended as ``completed`` or ``stopped``."""

    id: int
    patient_id: str
    treatment: str
    started_on: date
    ended_on: date | None
    status: str
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        out = dict(self.__dict__)
        out["started_on"] = self.started_on.isoformat()
        out["ended_on"] = None if self.ended_on is None else self.ended_on.isoformat()
        return out

    def summary(self) -> str:
        """One line."""
        end = "" if self.ended_on is None else f" to {self.ended_on}"
        return f"episode {self.id}: {self.treatment} from {self.started_on}{end} ({self.status})"


def _episode(row: TreatmentEpisodeRow) -> Episode:
    return Episode(
        id=row.id,
        patient_id=row.patient_id,
        treatment=row.treatment,
        started_on=row.started_on,
        ended_on=row.ended_on,
        status=row.status,
        note=row.note,
    )


def start_episode(
    registry: Registry, patient_id: str, treatment: str, started_on: date, note: str | None = None
) -> Episode:
    """Open an episode of a catalog treatment (audited write)."""
    if treatment not in TREATMENT_IDS:
        allowed = ", ".join(TREATMENT_IDS)
        raise RecordFieldError("treatment", f"unknown treatment {treatment!r}; allowed: {allowed}")
    with registry.transaction() as session:
        registry.require_patient(session, patient_id)
        row = TreatmentEpisodeRow(
            patient_id=patient_id,
            treatment=treatment,
            started_on=started_on,
            status="active",
            note=note,
            created_at=utcnow(),
            created_by=registry.actor,
        )
        session.add(row)
        session.flush()
        registry.audit(session, "create", "episode", patient_id, episode_id=row.id)
        return _episode(row)


def end_episode(
    registry: Registry, episode_id: int, ended_on: date, status: EndStatus, note: str | None = None
) -> Episode:
    """End an active episode as completed or stopped (audited write)."""
    if status not in ("completed", "stopped"):
        raise RecordFieldError("status", f"must be 'completed' or 'stopped', got {status!r}")
    with registry.transaction() as session:
        row = session.get(TreatmentEpisodeRow, episode_id)
        if row is None:
            raise RegistryError(f"no treatment episode with id {episode_id}")
        if row.status != "active":
            raise RegistryError(f"episode {episode_id} is already {row.status}")
        if ended_on < row.started_on:
            raise RecordFieldError(
                "ended_on", f"{ended_on} is before the episode's start ({row.started_on})"
            )
        row.ended_on, row.status = ended_on, status
        if note is not None:
            row.note = note
        registry.audit(
            session, "update", "episode", row.patient_id, episode_id=row.id, status=status
        )
        return _episode(row)


def episodes(registry: Registry, patient_id: str) -> tuple[Episode, ...]:
    """A patient's episodes, oldest first (audited read)."""
    with registry.transaction() as session:
        registry.require_patient(session, patient_id)
        rows = session.scalars(
            select(TreatmentEpisodeRow)
            .where(TreatmentEpisodeRow.patient_id == patient_id)
            .order_by(TreatmentEpisodeRow.started_on, TreatmentEpisodeRow.id)
        ).all()
        registry.audit(session, "read", "episodes", patient_id)
        return tuple(_episode(r) for r in rows)
