"""The nurse's dosing-session page: start, doses, vitals, adverse events, alerts, close.

Each reading is posted by HTMX and the session panel comes back with the alerts the
monitoring rules raise for it, so an alert appears the moment a reading crosses a threshold.
Closing goes through the registry's hard stop: while a required reading is missing the
session stays open and the panel lists what is missing.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any, get_args

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select

from ptsdrx.monitoring import (
    Dose,
    DoseRoute,
    DosingSession,
    Phase,
    SessionAdverseEvent,
    SessionIncompleteError,
    SessionReview,
    SessionVitals,
)
from ptsdrx.registry import RegistryError
from ptsdrx.registry._convert import load_record
from ptsdrx.registry._models import DosingSessionRow, SessionAlertRow
from ptsdrx.treatments import TREATMENT_IDS
from ptsdrx.web._auth import PageRoute, Principal, require_roles
from ptsdrx.web._context import render, sessions
from ptsdrx.web._safety import latest_flags

router = APIRouter(route_class=PageRoute)
staff = require_roles("nurse", "clinician")


def _now() -> str:
    return datetime.now().replace(second=0, microsecond=0).isoformat(timespec="minutes")


def _problems(exc: ValidationError) -> list[str]:
    return [
        f"{'.'.join(map(str, e['loc'])) or 'reading'}: {e['msg'].removeprefix('Value error, ')}"
        for e in exc.errors()
    ]


def _panel(
    request: Request,
    review: SessionReview,
    *,
    errors: list[str] | None = None,
    notice: str | None = None,
    template: str = "_session.html.j2",
    **extra: Any,
) -> Any:
    default_time = _now()
    if review.session.vitals:
        default_time = max(v.taken_at for v in review.session.vitals).isoformat(timespec="minutes")
    return render(
        request,
        template,
        status_code=422 if errors and "hx-request" not in request.headers else 200,
        review=review,
        vitals=review.session.ordered_vitals(),
        errors=errors or [],
        notice=notice,
        routes=get_args(DoseRoute),
        default_time=default_time[:16],
        can_edit=True,
        **extra,
    )


@router.get("/sessions", include_in_schema=False)
def open_sessions(request: Request, principal: Principal = Depends(staff)) -> Any:
    """Open sessions with their alert counts (audited as a read of each patient's session)."""
    reg = principal.registry()
    alerts = (
        select(SessionAlertRow.session_id, func.count().label("n"))
        .group_by(SessionAlertRow.session_id)
        .subquery()
    )
    with reg.transaction() as s:
        found = s.execute(
            select(DosingSessionRow, func.coalesce(alerts.c.n, 0))
            .outerjoin(alerts, alerts.c.session_id == DosingSessionRow.id)
            .where(DosingSessionRow.status == "open")
            .order_by(DosingSessionRow.start)
            .limit(200)
        ).all()
        rows = [
            {
                "id": r.id,
                "patient_id": r.patient_id,
                "treatment": r.treatment,
                "phase": r.phase,
                "start": r.start,
                "alerts": int(n),
            }
            for r, n in found
        ]
        reg.audit(s, "read", "dosing_session_list", *{r["patient_id"] for r in rows})
    return render(request, "sessions.html.j2", rows=rows)


@router.get("/patients/{patient_id}/sessions/new", include_in_schema=False)
def new_session_form(
    request: Request, patient_id: str, principal: Principal = Depends(staff)
) -> Any:
    """The form to start a session."""
    return render(
        request,
        "session_new.html.j2",
        pid=patient_id,
        treatments=TREATMENT_IDS,
        phases=[p.value for p in Phase],
        start=_now(),
        errors=[],
    )


@router.post("/patients/{patient_id}/sessions/new", include_in_schema=False)
async def start_session(
    request: Request, patient_id: str, principal: Principal = Depends(staff)
) -> Any:
    """Start an open session and go to its page."""
    data = await request.form()
    errors: list[str] = []
    try:
        session = DosingSession.model_validate(
            {
                "phase": data.get("phase"),
                "treatment": data.get("treatment"),
                "start": data.get("start"),
                "staff": [principal.username],
                "patient_id": patient_id,
            }
        )
        review = sessions(request, principal).start(patient_id, session)
    except ValidationError as exc:
        errors = _problems(exc)
    except RegistryError as exc:
        errors = [str(exc)]
    if errors:
        return render(
            request,
            "session_new.html.j2",
            status_code=422,
            pid=patient_id,
            treatments=TREATMENT_IDS,
            phases=[p.value for p in Phase],
            start=_now(),
            errors=errors,
        )
    return RedirectResponse(f"/sessions/{review.session.session_id}", status_code=303)


@router.get("/sessions/{session_id}", include_in_schema=False)
def session_page(request: Request, session_id: int, principal: Principal = Depends(staff)) -> Any:
    """The session page with the patient's safety summary (not the full record)."""
    review = sessions(request, principal).review(session_id)
    pid = review.session.patient_id or ""
    reg = principal.registry()
    with reg.transaction() as s:
        record = load_record(s, reg.require_patient(s, pid))
        reg.audit(s, "read", "safety_summary", pid, session_id=session_id)
    return _panel(request, review, template="session.html.j2", safety=latest_flags(record) or [])


def _clean(data: dict[str, Any], numbers: tuple[str, ...]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k != "csrf_token" and v not in ("", None)}
    for k in numbers:
        if k in out:
            with contextlib.suppress(ValueError):
                out[k] = float(out[k])
    return out


async def _append(
    request: Request,
    session_id: int,
    principal: Principal,
    model: type[BaseModel],
    numbers: tuple[str, ...],
    add: str,
) -> Any:
    store = sessions(request, principal)
    data = _clean(dict(await request.form()), numbers)
    if model is SessionAdverseEvent:
        data["serious"] = "serious" in data
    try:
        item = model.model_validate(data)
        review = getattr(store, add)(session_id, item)
    except ValidationError as exc:
        return _panel(request, store.review(session_id), errors=_problems(exc))
    except RegistryError as exc:
        return _panel(request, store.review(session_id), errors=[str(exc)])
    return _panel(request, review, notice="Saved.")


@router.post("/sessions/{session_id}/vitals", include_in_schema=False)
async def add_vitals(
    request: Request, session_id: int, principal: Principal = Depends(staff)
) -> Any:
    """Append a vitals reading; the panel returns with any alert it raised."""
    numbers = ("systolic", "diastolic", "heart_rate", "spo2", "temperature_c", "cadss")
    return await _append(request, session_id, principal, SessionVitals, numbers, "add_vitals")


@router.post("/sessions/{session_id}/doses", include_in_schema=False)
async def add_dose(request: Request, session_id: int, principal: Principal = Depends(staff)) -> Any:
    """Append a dose."""
    return await _append(
        request, session_id, principal, Dose, ("amount_mg", "mg_per_kg"), "add_doses"
    )


@router.post("/sessions/{session_id}/adverse-events", include_in_schema=False)
async def add_adverse_event(
    request: Request, session_id: int, principal: Principal = Depends(staff)
) -> Any:
    """Append an adverse event."""
    return await _append(
        request, session_id, principal, SessionAdverseEvent, (), "add_adverse_events"
    )


@router.post("/sessions/{session_id}/close", include_in_schema=False)
async def close(request: Request, session_id: int, principal: Principal = Depends(staff)) -> Any:
    """Close as complete; refused (and audited) while a required reading is missing."""
    store = sessions(request, principal)
    data = await request.form()
    try:
        end = datetime.fromisoformat(str(data.get("end", "")))
    except ValueError:
        return _panel(request, store.review(session_id), errors=["end: a date and time is needed"])
    try:
        review = store.close(session_id, end)
    except SessionIncompleteError as exc:
        missing = "; ".join(f"{m.description} ({m.detail})" for m in exc.missing)
        return _panel(
            request,
            store.review(session_id),
            errors=[f"Not closed: required readings are missing: {missing}"],
        )
    except RegistryError as exc:
        return _panel(request, store.review(session_id), errors=[str(exc)])
    return _panel(request, review, notice="Session closed as complete.")
