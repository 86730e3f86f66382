"""Dosing sessions in the registry: doses, vitals with CADSS, adverse events, alerts, closing.

The session objects are :mod:`ptsdrx.monitoring.sessions` models; the alert engine and the
REMS-style hard stop are :mod:`ptsdrx.monitoring.alerts` (site-configurable rules, each with
its source). This module stores what happened, asks the engine after every new reading, keeps
every alert it raised, and refuses to close a session as complete while the engine says a
required reading is missing (the refusal itself is audited).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptsdrx.monitoring import (
    Dose,
    DosingSession,
    Phase,
    SessionIncompleteError,
    SessionReview,
    SessionRules,
    SessionVitals,
    close_session,
    review_session,
)
from ptsdrx.monitoring import (
    SessionAdverseEvent as AdverseEvent,
)
from ptsdrx.registry._convert import columns, fields, fitted
from ptsdrx.registry._db import join_instant, split_instant, utcnow
from ptsdrx.registry._errors import RecordFieldError, RegistryError, SafetyHoldError
from ptsdrx.registry._models import (
    AdverseEventRow,
    DosingSessionRow,
    SessionAlertRow,
    SessionDoseRow,
    SessionVitalsRow,
    TreatmentEpisodeRow,
)
from ptsdrx.registry._registry import Registry

_SERIES: dict[str, tuple[type[BaseModel], type[Any]]] = {
    "doses": (Dose, SessionDoseRow),
    "vitals": (SessionVitals, SessionVitalsRow),
    "adverse_events": (AdverseEvent, AdverseEventRow),
}


# The site's session rules: loaded rules, a mapping, a YAML file, or None for the defaults.
Site = SessionRules | Mapping[str, Any] | str | Path | None


def _session_id(value: str | int) -> int:
    try:
        return int(value)
    except ValueError:
        raise RegistryError(f"session id must be a whole number, got {value!r}") from None


class SessionStore:
    """Dosing sessions of a registry, evaluated under a site's session rules."""

    def __init__(self, registry: Registry, *, site: Site = None) -> None:
        self.registry = registry
        self.site = site

    # ------------------------------------------------------------- internals

    def _refuse_on_hold(self, patient_id: str) -> None:
        """``SafetyHoldError`` when the record raises a flag the policy holds treatment for.

        The flags are the screening's (latest C-SSRS, PHQ-9 item 9, ...) and the held ones
        the recommendation policy's ``hold_recommendation_flags``: the same hold under which
        ``recommend`` lists every option as "hold". Reading the record is audited.
        """
        from ptsdrx.recommend import default_policy
        from ptsdrx.screening import load_site, screen

        record = self.registry.record(patient_id)
        config = load_site(self.site) if isinstance(self.site, str | Path) else None
        held = default_policy().hold_flags
        flags = sorted({f.id for f in screen(record, site=config).safety_flags if f.id in held})
        if flags:
            raise SafetyHoldError(patient_id, flags)

    def _row(
        self, session: Session, session_id: str | int, *, lock: bool = False
    ) -> DosingSessionRow:
        row = session.get(DosingSessionRow, _session_id(session_id), with_for_update=lock)
        if row is None:
            raise RegistryError(f"no dosing session with id {session_id!r}")
        return row

    def _load(self, session: Session, row: DosingSessionRow) -> DosingSession:
        data: dict[str, Any] = {
            "session_id": str(row.id),
            "patient_id": row.patient_id,
            "phase": row.phase,
            "treatment": row.treatment,
            "start": join_instant(row.start, row.start_offset_min),
            "end": None if row.end is None else join_instant(row.end, row.end_offset_min),
            "staff": tuple(row.staff),
            "status": row.status,
            "note": row.note,
        }
        for name, (model, row_cls) in _SERIES.items():
            items: Sequence[Any] = session.scalars(
                select(row_cls).where(row_cls.session_id == row.id).order_by(row_cls.position)
            ).all()
            data[name] = tuple(model.model_validate(fields(model, r)) for r in items)
        return DosingSession.model_validate(data)

    def _add_series(
        self, session: Session, session_id: int, name: str, items: Sequence[BaseModel]
    ) -> None:
        _, row_cls = _SERIES[name]
        last = session.scalar(
            select(func.max(row_cls.position)).where(row_cls.session_id == session_id)
        )
        start = 0 if last is None else last + 1
        now = utcnow()
        session.add_all(
            row_cls(
                session_id=session_id,
                position=start + i,
                recorded_at=now,
                recorded_by=self.registry.actor,
                **fitted(row_cls, columns(item), f"{name}.{start + i}"),
            )
            for i, item in enumerate(items)
        )

    def _store_new_alerts(
        self, session: Session, before: SessionReview | None, after: SessionReview
    ) -> None:
        seen = {(a.rule_id, a.reading) for a in before.alerts} if before is not None else set()
        now = utcnow()
        session.add_all(
            SessionAlertRow(
                session_id=_session_id(after.session.session_id or ""),
                raised_at=now,
                rule_id=a.rule_id,
                severity=a.severity,
                reading=a.reading,
                alert=a.to_dict(),
            )
            for a in after.alerts
            if (a.rule_id, a.reading) not in seen
        )

    def _append(
        self, session_id: str | int, name: str, items: Sequence[BaseModel]
    ) -> SessionReview:
        reg = self.registry
        with reg.transaction() as session:
            row = self._row(session, session_id, lock=True)
            current = self._load(session, row)
            if current.status != "open":
                raise RegistryError(f"session {row.id} is {current.status}; nothing can be added")
            data = current.model_dump()
            data[name] = [*data[name], *(i.model_dump() for i in items)]
            updated = DosingSession.model_validate(data)  # checks the items fit the session
            self._add_series(session, row.id, name, items)
            after = review_session(updated, self.site)
            self._store_new_alerts(session, review_session(current, self.site), after)
            session.flush()
            reg.audit(
                session,
                "create",
                f"session_{name}",
                row.patient_id,
                session_id=row.id,
                count=len(items),
                alerts=[a.rule_id for a in after.alerts],
            )
        return after

    def _check_episode(
        self, session: Session, episode_id: int, patient_id: str, treatment: str
    ) -> None:
        episode = session.get(TreatmentEpisodeRow, episode_id)
        if episode is None or episode.patient_id != patient_id:
            raise RecordFieldError("episode_id", f"no episode {episode_id} for {patient_id!r}")
        if episode.treatment != treatment or episode.status != "active":
            raise RecordFieldError(
                "episode_id",
                f"episode {episode_id} is {episode.status} {episode.treatment}, "
                f"not an active {treatment} episode",
            )

    # ------------------------------------------------------------------- API

    def start(
        self, patient_id: str, dosing_session: DosingSession, *, episode_id: int | None = None
    ) -> SessionReview:
        """Store a new open session (with any doses, vitals and AEs it already has).

        ``episode_id`` links it to the patient's active episode of the same treatment.
        """
        if dosing_session.status != "open":
            raise RegistryError(
                f"a session is started open, not {dosing_session.status}; close it afterwards"
            )
        if dosing_session.phase is Phase.dosing:
            self._refuse_on_hold(patient_id)
        reg = self.registry
        with reg.transaction() as session:
            reg.require_patient(session, patient_id)
            if episode_id is not None:
                self._check_episode(session, episode_id, patient_id, dosing_session.treatment)
            start, start_off = split_instant(dosing_session.start)
            row = DosingSessionRow(
                patient_id=patient_id,
                episode_id=episode_id,
                phase=dosing_session.phase.value,
                treatment=dosing_session.treatment,
                start=start,
                start_offset_min=start_off,
                staff=list(dosing_session.staff),
                status="open",
                note=dosing_session.note,
                created_by=reg.actor,
            )
            session.add(row)
            session.flush()
            for name in _SERIES:
                self._add_series(session, row.id, name, getattr(dosing_session, name))
            session.flush()
            review = review_session(self._load(session, row), self.site)
            self._store_new_alerts(session, None, review)
            reg.audit(
                session,
                "create",
                "dosing_session",
                patient_id,
                session_id=row.id,
                treatment=dosing_session.treatment,
                phase=dosing_session.phase.value,
            )
        return review

    def add_vitals(self, session_id: str | int, *readings: SessionVitals) -> SessionReview:
        """Append vitals readings; returns the review (alerts, missing readings)."""
        return self._append(session_id, "vitals", readings)

    def add_doses(self, session_id: str | int, *doses: Dose) -> SessionReview:
        """Append doses (dosing sessions only)."""
        return self._append(session_id, "doses", doses)

    def add_adverse_events(self, session_id: str | int, *events: AdverseEvent) -> SessionReview:
        """Append adverse events."""
        return self._append(session_id, "adverse_events", events)

    def review(self, session_id: str | int) -> SessionReview:
        """The session with its alerts and missing readings (audited read)."""
        reg = self.registry
        with reg.transaction() as session:
            row = self._row(session, session_id)
            result = review_session(self._load(session, row), self.site)
            reg.audit(session, "read", "dosing_session", row.patient_id, session_id=row.id)
        return result

    def for_patient(self, patient_id: str) -> tuple[DosingSession, ...]:
        """A patient's sessions, oldest first (audited read)."""
        reg = self.registry
        with reg.transaction() as session:
            reg.require_patient(session, patient_id)
            rows = session.scalars(
                select(DosingSessionRow)
                .where(DosingSessionRow.patient_id == patient_id)
                .order_by(DosingSessionRow.start, DosingSessionRow.id)
            ).all()
            found = tuple(self._load(session, r) for r in rows)
            reg.audit(session, "read", "dosing_sessions", patient_id, count=len(found))
        return found

    def close(
        self, session_id: str | int, end: datetime, *, aborted_note: str | None = None
    ) -> SessionReview:
        """Close a session as complete, or as aborted when ``aborted_note`` says why.

        Closing as complete goes through the monitoring hard stop: while a required reading
        is missing, :class:`~ptsdrx.monitoring.alerts.SessionIncompleteError` is raised,
        listing each one; the session stays open and the refused attempt is audited.
        """
        reg = self.registry
        refused: SessionIncompleteError | None = None
        with reg.transaction() as session:
            row = self._row(session, session_id, lock=True)
            current = self._load(session, row)
            if current.status != "open":
                raise RegistryError(f"session {row.id} is already {current.status}")
            if aborted_note is not None:
                data = current.model_dump()
                data.update(end=end, status="aborted", note=aborted_note)
                closed = DosingSession.model_validate(data)
            else:
                try:
                    closed = close_session(current, end, self.site)
                except SessionIncompleteError as exc:
                    refused = exc
            if refused is not None:
                reg.audit(
                    session,
                    "read",
                    "dosing_session_close_refused",
                    row.patient_id,
                    outcome="failure",
                    session_id=row.id,
                    missing=[m.rule_id for m in refused.missing],
                )
            else:
                row.end, row.end_offset_min = split_instant(end)
                row.status = closed.status
                row.note = closed.note
                row.closed_by = reg.actor
                after = review_session(closed, self.site)
                self._store_new_alerts(session, review_session(current, self.site), after)
                reg.audit(
                    session,
                    "update",
                    "dosing_session",
                    row.patient_id,
                    session_id=row.id,
                    status=closed.status,
                )
        if refused is not None:
            raise refused
        return after

    def alerts(self, session_id: str | int) -> list[dict[str, Any]]:
        """Every alert raised for a session, as shown to staff, oldest first (audited read)."""
        reg = self.registry
        with reg.transaction() as session:
            row = self._row(session, session_id)
            found = session.scalars(
                select(SessionAlertRow)
                .where(SessionAlertRow.session_id == row.id)
                .order_by(SessionAlertRow.id)
            ).all()
            reg.audit(session, "read", "session_alerts", row.patient_id, session_id=row.id)
            return [{"raised_at": a.raised_at.isoformat() + "Z", **a.alert} for a in found]
