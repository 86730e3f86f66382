"""Clinical work on one patient, as API routes.

Screening, recommendations, episodes, timeline, report, and the safety summary a session nurse sees.
"""

from __future__ import annotations

import io
import threading
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from ptsdrx.api.deps import Principal, require_roles
from ptsdrx.api.problems import FieldError, ProblemError, responses
from ptsdrx.api.routes.patients import PatientId, read_patient
from ptsdrx.registry import SessionStore, end_episode, episodes, start_episode
from ptsdrx.registry._models import DosingSessionRow, RecommendationRow

router = APIRouter(tags=["care"])
clinician = require_roles("clinician")
NOT_FOUND = responses(404, 422)
_model_lock = threading.Lock()
_REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


class ScreeningOut(BaseModel):
    """Screening of every treatment: safety flags first, then per-treatment status."""

    safety_flags: list[dict[str, Any]]
    statuses: dict[str, str] = Field(description="Treatment id -> screening status.")
    result: dict[str, Any] = Field(description="The full screening result (every rule).")


RuleId = Field(min_length=1, max_length=96, pattern=r"^[a-z0-9_]+$")


class Override(BaseModel):
    """A relative exclusion set aside by the signed-in clinician, with the reason."""

    model_config = ConfigDict(extra="forbid")

    rule: str = RuleId
    reason: str = Field(min_length=3, max_length=500, description="Why it is set aside.")


class RecommendationIn(BaseModel):
    """What the clinician has weighed before ranking (both optional).

    ``acknowledged``: major cautions the clinician has weighed (the option may then rank
    first). ``overrides``: relative or protocol exclusions set aside with a reason. The
    clinician recorded is the signed-in user; contraindications and holds cannot be set aside.
    """

    model_config = ConfigDict(extra="forbid")

    acknowledged: list[str] = Field(default_factory=list, max_length=50)
    overrides: list[Override] = Field(default_factory=list, max_length=50)


class RecommendationOut(BaseModel):
    """A stored recommendation.

    ``source`` says whether a trained model or the published evidence prior produced the
    predictions.
    """

    id: int
    issued_at: str
    issued_by: str
    model_version: str
    source: str = Field(description="model, evidence_prior, mixed or none.")
    result: dict[str, Any]


class EpisodeIn(BaseModel):
    """Start a treatment course."""

    model_config = ConfigDict(extra="forbid")

    treatment: str = Field(min_length=1, max_length=64)
    started_on: date
    note: str | None = Field(None, max_length=2000)


class EpisodeEnd(BaseModel):
    """End a course."""

    model_config = ConfigDict(extra="forbid")

    ended_on: date
    status: Literal["completed", "stopped"]
    note: str | None = Field(None, max_length=2000)


class EpisodeOut(BaseModel):
    """A treatment course."""

    id: int
    patient_id: str
    treatment: str
    started_on: date
    ended_on: date | None
    status: str
    note: str | None


class TimelineOut(BaseModel):
    """The trajectory on one instrument, with follow-up suggestions."""

    trajectory: dict[str, Any]
    suggestions: list[dict[str, Any]]


class SafetySummary(BaseModel):
    """What a session nurse needs, and no more: no identifiers, no history narrative."""

    patient_id: str
    age: int | None
    weight_kg: float | None
    pregnant: bool | None
    safety_flags: list[str] = Field(description="Flags from the latest assessment per instrument.")
    current_medications: list[dict[str, Any]]
    open_sessions: list[int]


def _site(request: Request) -> Any:
    """The site configuration checked at start-up (``None``: the shipped defaults)."""
    return request.app.state.site_config


def load_active_model(state: Any) -> tuple[Any, Any, Any]:
    """The active model of the service ``state`` (loaded and warmed once), or three Nones.

    Served through :class:`ptsdrx.batch.FastScorer`: the same answers as the fitted models
    (within ``ptsdrx.batch.TOLERANCE``) in one native pass per patient. The service loads it
    at start-up, so the first patient does not wait for the loading and the tables.
    """
    model_dir = state.settings.model_dir
    if model_dir is None:
        return None, None, None
    with _model_lock:
        if not hasattr(state, "active_model"):
            from ptsdrx.batch import FastScorer
            from ptsdrx.recommend import ModelCard
            from ptsdrx.response import load_model

            card_file = model_dir / "model_card.json"
            state.active_model = (
                FastScorer(load_model(model_dir / "outcome")).warm(),
                FastScorer(load_model(model_dir / "remission")).warm()
                if (model_dir / "remission").exists()
                else None,
                ModelCard.model_validate_json(card_file.read_text("utf-8"))
                if card_file.exists()
                else None,
            )
    found: tuple[Any, Any, Any] = state.active_model
    return found


def active_model(request: Request) -> tuple[Any, Any, Any]:
    """The active model, or (None, None, None): the evidence prior (:func:`load_active_model`)."""
    return load_active_model(request.app.state)


@router.get("/patients/{patient_id}/screening", response_model=ScreeningOut, responses=NOT_FOUND)
def screening(
    request: Request, patient_id: PatientId, who: Principal = Depends(clinician)
) -> ScreeningOut:
    """Screen every treatment against the contraindication rules (audited read)."""
    from ptsdrx.screening import screen

    record, _ = read_patient(who, patient_id, "screening")
    result = screen(record, site=_site(request))
    data = result.to_dict()
    flags = [f if isinstance(f, dict) else {"text": str(f)} for f in data.get("safety_flags", [])]
    statuses = (
        {t: str(s.status) for t, s in result.per_treatment.items()}
        if hasattr(result, "per_treatment")
        else {}
    )
    return ScreeningOut(safety_flags=flags, statuses=statuses, result=data)


def _recommendation(row: RecommendationRow) -> RecommendationOut:
    return RecommendationOut(
        id=row.id,
        issued_at=row.issued_at.isoformat() + "Z",
        issued_by=row.issued_by,
        model_version=row.model_version,
        source=str(row.result.get("prediction_source", "none")),
        result=row.result,
    )


@router.post(
    "/patients/{patient_id}/recommendations",
    status_code=201,
    response_model=RecommendationOut,
    responses=NOT_FOUND,
)
def new_recommendation(
    request: Request,
    patient_id: PatientId,
    body: RecommendationIn | None = None,
    who: Principal = Depends(clinician),
) -> RecommendationOut:
    """Rank every treatment, store the result and return it (audited).

    With the active model or, without one, the evidence prior, labelled ``evidence_prior``.
    Acknowledged cautions and overrides (the body, optional) are stored with the result and
    their rule ids written to the audit log, under the signed-in clinician's name.
    """
    from ptsdrx.recommend import recommend

    weighed = body or RecommendationIn()
    record, _ = read_patient(who, patient_id, "recommendation_input")
    model, remission, card = active_model(request)
    try:
        rec = recommend(
            record,
            model=model,
            remission_model=remission,
            site=_site(request),
            model_card=card,
            acknowledged=weighed.acknowledged,
            overrides=[(o.rule, o.reason) for o in weighed.overrides],
            clinician=who.username if weighed.acknowledged or weighed.overrides else None,
        )
    except ValueError as exc:  # a rule that is not a major caution / cannot be set aside
        text = str(exc)
        field = text.split(":", 1)[0]
        if field not in ("acknowledged", "overrides"):
            raise
        raise ProblemError(
            422,
            text,
            errors=[FieldError(field=f"body.{field}", message=text, type="rule")],
            kind="invalid-input",
        ) from None
    version = "evidence-prior" if model is None else str(getattr(card, "version", None) or "model")
    reg = who.registry()
    rid = reg.issue_recommendation(patient_id, model_version=version, result=rec.to_dict())
    with reg.transaction() as session:
        row = session.get(RecommendationRow, rid)
        assert row is not None
        return _recommendation(row)


@router.get(
    "/patients/{patient_id}/recommendations",
    response_model=list[RecommendationOut],
    responses=NOT_FOUND,
)
def list_recommendations(
    patient_id: PatientId, who: Principal = Depends(clinician)
) -> list[RecommendationOut]:
    """Recommendations issued for the patient, oldest first (audited read)."""
    reg = who.registry()
    with reg.transaction() as session:
        reg.require_patient(session, patient_id)
        rows = session.scalars(
            select(RecommendationRow)
            .where(RecommendationRow.patient_id == patient_id)
            .order_by(RecommendationRow.id)
        ).all()
        reg.audit(session, "read", "recommendations", patient_id)
        return [_recommendation(r) for r in rows]


@router.post(
    "/patients/{patient_id}/episodes",
    status_code=201,
    response_model=EpisodeOut,
    responses=responses(400, 404, 413, 415, 422),
)
def new_episode(
    patient_id: PatientId, body: EpisodeIn, who: Principal = Depends(clinician)
) -> EpisodeOut:
    """Start a course of a catalog treatment (audited)."""
    ep = start_episode(who.registry(), patient_id, body.treatment, body.started_on, body.note)
    return EpisodeOut(**ep.__dict__)


@router.get("/patients/{patient_id}/episodes", response_model=list[EpisodeOut], responses=NOT_FOUND)
def list_episodes(patient_id: PatientId, who: Principal = Depends(clinician)) -> list[EpisodeOut]:
    """The patient's treatment courses, oldest first (audited read)."""
    return [EpisodeOut(**e.__dict__) for e in episodes(who.registry(), patient_id)]


@router.post(
    "/episodes/{episode_id}/end",
    response_model=EpisodeOut,
    responses=responses(400, 404, 409, 413, 415, 422),
)
def finish_episode(
    episode_id: int, body: EpisodeEnd, who: Principal = Depends(clinician)
) -> EpisodeOut:
    """End an active course as completed or stopped (audited)."""
    from ptsdrx.registry._models import TreatmentEpisodeRow

    if not 0 < episode_id < 2**62:
        raise ProblemError(404, f"no treatment episode with id {episode_id}", kind="not-found")
    reg = who.registry()
    with reg.transaction() as session:
        if session.get(TreatmentEpisodeRow, episode_id) is None:
            raise ProblemError(404, f"no treatment episode with id {episode_id}", kind="not-found")
    ep = end_episode(reg, episode_id, body.ended_on, body.status, body.note)
    return EpisodeOut(**ep.__dict__)


def _timeline(
    request: Request, who: Principal, patient_id: str, instrument: str
) -> tuple[Any, Any, Any]:
    from ptsdrx.instruments import InstrumentError, get, instruments
    from ptsdrx.monitoring import ConfigError, suggest, trajectory

    try:
        get(instrument)
    except (KeyError, InstrumentError):
        raise ProblemError(
            422,
            f"unknown instrument {instrument!r}; allowed: {', '.join(instruments())}",
            kind="invalid-input",
        ) from None

    record, _ = read_patient(who, patient_id, "timeline")
    found = SessionStore(who.registry(), site=request.app.state.settings.site_file).for_patient(
        patient_id
    )
    dosed = sorted(s.start.date() for s in found if s.phase == "dosing" and s.status == "complete")
    rules = request.app.state.settings.site_file
    try:
        traj = trajectory(record, instrument, since=dosed[0] if dosed else None, site=rules)
        plan = suggest(record, found, instrument=instrument, site=rules)
    except (InstrumentError, ConfigError, KeyError, ValueError) as exc:
        raise ProblemError(422, str(exc).split("\n")[0], kind="invalid-input") from None
    return traj, plan, found


Instrument = Query("pcl5", pattern=r"^[a-z0-9_]{1,32}$", description="Instrument to follow.")


@router.get("/patients/{patient_id}/timeline", response_model=TimelineOut, responses=NOT_FOUND)
def timeline(
    request: Request,
    patient_id: PatientId,
    instrument: str = Instrument,
    who: Principal = Depends(clinician),
) -> TimelineOut:
    """The trajectory (response, remission, relapse) and follow-up suggestions (audited)."""
    traj, plan, _ = _timeline(request, who, patient_id, instrument)
    return TimelineOut(trajectory=traj.to_dict(), suggestions=plan.to_dict()["suggestions"])


@router.get(
    "/patients/{patient_id}/timeline.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "PNG"}, **NOT_FOUND},
)
def timeline_png(
    request: Request,
    patient_id: PatientId,
    instrument: str = Instrument,
    who: Principal = Depends(clinician),
) -> Response:
    """The trajectory as a PNG picture, with sessions marked (audited)."""
    from ptsdrx.monitoring import plot_timeline

    traj, _, found = _timeline(request, who, patient_id, instrument)
    buf = io.BytesIO()
    plot_timeline(traj, found).savefig(buf, format="png", dpi=100)
    return Response(buf.getvalue(), media_type="image/png")


def _report_html(request: Request, who: Principal, patient_id: str) -> str:
    from ptsdrx.recommend import recommend
    from ptsdrx.reports import render_html

    record, _ = read_patient(who, patient_id, "report")
    model, remission, card = active_model(request)
    rec = recommend(
        record, model=model, remission_model=remission, site=_site(request), model_card=card
    )
    return render_html(rec, record)


@router.get(
    "/patients/{patient_id}/report.html",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "HTML report"}, **NOT_FOUND},
)
def report_html(
    request: Request, patient_id: PatientId, who: Principal = Depends(clinician)
) -> Response:
    """The patient report as one self-contained HTML page (audited)."""
    html = _report_html(request, who, patient_id)
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": _REPORT_CSP},
    )


@router.get(
    "/patients/{patient_id}/report.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "PDF report"}, **NOT_FOUND},
)
def report_pdf(
    request: Request, patient_id: PatientId, who: Principal = Depends(clinician)
) -> Response:
    """The patient report as PDF (audited)."""
    from ptsdrx.reports import render_pdf

    return Response(
        render_pdf(_report_html(request, who, patient_id)), media_type="application/pdf"
    )


@router.get(
    "/patients/{patient_id}/safety-summary", response_model=SafetySummary, responses=NOT_FOUND
)
def safety_summary(
    patient_id: PatientId, who: Principal = Depends(require_roles("clinician", "nurse"))
) -> SafetySummary:
    """Age, weight, pregnancy, current safety flags and medications.

    A nurse sees it only for a patient with an open dosing session (the session patient).
    """
    reg = who.registry()
    with reg.transaction() as session:
        reg.require_patient(session, patient_id)
        open_ids = list(
            session.scalars(
                select(DosingSessionRow.id).where(
                    DosingSessionRow.patient_id == patient_id, DosingSessionRow.status == "open"
                )
            )
        )
        if who.role == "nurse" and not open_ids:
            reg.audit(session, "read", "safety_summary", patient_id, outcome="denied")
            denied = True
        else:
            denied = False
    if denied:
        raise ProblemError(
            403,
            "a nurse sees the safety summary of a patient in an open session only",
            kind="forbidden",
        )
    record, _ = read_patient(who, patient_id, "safety_summary")
    flags: list[str] = []
    from ptsdrx.registry._models import AssessmentRow

    with reg.transaction() as session:
        rows = session.scalars(
            select(AssessmentRow)
            .where(AssessmentRow.patient_id == patient_id)
            .order_by(AssessmentRow.position)
        ).all()
        newest: dict[str, AssessmentRow] = {}
        for r in rows:
            if r.instrument not in newest or r.date >= newest[r.instrument].date:
                newest[r.instrument] = r
        for r in newest.values():
            flags.extend(r.score_flags or [])
    today = date.today()
    meds = [
        {"name": m.name, "dose_mg": m.dose_mg, "frequency": m.frequency, "route": m.route}
        for m in record.medications or []
        if m.stop is None or m.stop >= today
    ]
    demo = record.demographics
    return SafetySummary(
        patient_id=patient_id,
        age=None if demo is None else demo.age,
        weight_kg=None if demo is None else demo.weight_kg,
        pregnant=None if demo is None else demo.pregnant,
        safety_flags=flags,
        current_medications=meds,
        open_sessions=open_ids,
    )
