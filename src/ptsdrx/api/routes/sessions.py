"""Dosing sessions: start, doses, vitals, adverse events, close; alerts in every answer.

Closing as complete is refused (409, each missing reading named) while the site's rules
say a required reading is missing, as on the command line; the refusal is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ptsdrx.api.deps import Principal, require_roles
from ptsdrx.api.problems import ProblemError, responses
from ptsdrx.api.routes.patients import PatientId
from ptsdrx.monitoring import (
    Dose,
    DosingSession,
    Phase,
    SessionAdverseEvent,
    SessionReview,
    SessionVitals,
)
from ptsdrx.registry import SessionStore
from ptsdrx.registry._models import DosingSessionRow

router = APIRouter(tags=["sessions"])
staff = require_roles("clinician", "nurse")
SessionId = Annotated[int, Path(ge=1, le=2**53, description="Dosing session id.")]
BODY = responses(400, 404, 409, 413, 415, 422)


class SessionStart(BaseModel):
    """A session to open (readings may follow in later calls)."""

    model_config = ConfigDict(extra="forbid")

    phase: Phase
    treatment: str = Field(min_length=1, max_length=64)
    start: datetime
    staff: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        default_factory=list, max_length=20
    )
    note: str | None = Field(None, max_length=4000)
    doses: list[Dose] = Field(default_factory=list, max_length=50)
    vitals: list[SessionVitals] = Field(default_factory=list, max_length=500)
    adverse_events: list[SessionAdverseEvent] = Field(default_factory=list, max_length=100)


class SessionClose(BaseModel):
    """Close as complete, or as aborted when ``aborted_note`` says why."""

    model_config = ConfigDict(extra="forbid")

    end: datetime
    aborted_note: str | None = Field(None, min_length=1, max_length=4000)


class Review(BaseModel):
    """The session as stored, every alert it raises, and the readings still missing."""

    session_id: int
    patient_id: str
    status: str
    alerts: list[dict[str, Any]]
    missing: list[dict[str, Any]]
    session: dict[str, Any]


def _review(review: SessionReview) -> Review:
    data = review.to_dict()
    return Review(
        session_id=int(review.session.session_id or 0),
        patient_id=str(review.session.patient_id),
        status=review.session.status,
        alerts=data["alerts"],
        missing=data["missing"],
        session=data["session"],
    )


def _store(request: Request, who: Principal) -> SessionStore:
    return SessionStore(who.registry(), site=request.app.state.settings.site_file)


def _existing(who: Principal, session_id: int) -> str:
    """The patient of a session; 404 when there is no such session."""
    reg = who.registry()
    with reg.transaction() as session:
        row = session.get(DosingSessionRow, session_id)
        if row is None:
            raise ProblemError(404, f"no dosing session with id {session_id}", kind="not-found")
        return row.patient_id


@router.post(
    "/patients/{patient_id}/sessions", status_code=201, response_model=Review, responses=BODY
)
def start_session(
    request: Request,
    patient_id: PatientId,
    body: SessionStart,
    episode_id: int | None = Query(None, ge=1, le=2**53),
    who: Principal = Depends(staff),
) -> Review:
    """Open a dosing, preparation or integration session (audited)."""
    session = DosingSession(patient_id=patient_id, **body.model_dump())
    return _review(_store(request, who).start(patient_id, session, episode_id=episode_id))


@router.get(
    "/patients/{patient_id}/sessions",
    response_model=list[dict[str, Any]],
    responses=responses(404, 422),
)
def list_sessions(
    request: Request, patient_id: PatientId, who: Principal = Depends(staff)
) -> list[dict[str, Any]]:
    """The patient's sessions, oldest first (audited read)."""
    return [s.model_dump(mode="json") for s in _store(request, who).for_patient(patient_id)]


@router.get("/sessions/{session_id}", response_model=Review, responses=responses(404, 422))
def get_session(request: Request, session_id: SessionId, who: Principal = Depends(staff)) -> Review:
    """The session with its alerts and missing readings (audited read)."""
    _existing(who, session_id)
    return _review(_store(request, who).review(session_id))


@router.post("/sessions/{session_id}/vitals", response_model=Review, responses=BODY)
def add_vitals(
    request: Request, session_id: SessionId, body: SessionVitals, who: Principal = Depends(staff)
) -> Review:
    """Record a set of readings; the answer carries every alert now raised (audited)."""
    _existing(who, session_id)
    return _review(_store(request, who).add_vitals(session_id, body))


@router.post("/sessions/{session_id}/doses", response_model=Review, responses=BODY)
def add_dose(
    request: Request, session_id: SessionId, body: Dose, who: Principal = Depends(staff)
) -> Review:
    """Record a dose given (audited)."""
    _existing(who, session_id)
    return _review(_store(request, who).add_doses(session_id, body))


@router.post("/sessions/{session_id}/adverse-events", response_model=Review, responses=BODY)
def add_adverse_event(
    request: Request,
    session_id: SessionId,
    body: SessionAdverseEvent,
    who: Principal = Depends(staff),
) -> Review:
    """Record an adverse event (audited)."""
    _existing(who, session_id)
    return _review(_store(request, who).add_adverse_events(session_id, body))


@router.post("/sessions/{session_id}/close", response_model=Review, responses=BODY)
def close(
    request: Request, session_id: SessionId, body: SessionClose, who: Principal = Depends(staff)
) -> Review:
    """Close the session.

    As complete it is refused (409, missing readings named) until every required reading is there;
    with ``aborted_note`` it closes as aborted.
    """
    _existing(who, session_id)
    return _review(_store(request, who).close(session_id, body.end, aborted_note=body.aborted_note))


@router.get(
    "/sessions/{session_id}/alerts",
    response_model=list[dict[str, Any]],
    responses=responses(404, 422),
)
def alerts(
    request: Request, session_id: SessionId, who: Principal = Depends(staff)
) -> list[dict[str, Any]]:
    """Every alert raised for the session, as shown to staff, oldest first (audited)."""
    _existing(who, session_id)
    return _store(request, who).alerts(session_id)
