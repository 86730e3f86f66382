"""Patient list, new patient, the patient page, the ranked options and the PDF report."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from ptsdrx.instruments import get as instrument
from ptsdrx.records import PatientRecord
from ptsdrx.registry import Identifiers, RegistryError, episodes
from ptsdrx.web import _listing
from ptsdrx.web._auth import PageRoute, Principal, require_roles
from ptsdrx.web._charts import has_trajectory, trajectory_svg
from ptsdrx.web._context import render, secret, sessions, site
from ptsdrx.web._forms import FORM_INSTRUMENTS
from ptsdrx.web._safety import latest_flags

router = APIRouter(route_class=PageRoute)

_MODALITIES = (
    ("demographics", "Demographics"),
    ("trauma", "Trauma history"),
    ("assessments", "Assessments"),
    ("diagnoses", "Diagnoses"),
    ("family_history", "Family history"),
    ("medications", "Medications"),
    ("vitals", "Clinic vitals"),
    ("biomarkers", "Biomarkers"),
    ("genetics", "Genetics"),
    ("imaging", "Imaging"),
    ("prior_treatments", "Prior treatments"),
    ("preferences", "Preferences"),
    ("consent", "Consent"),
)


def _describe(value: Any) -> str | None:
    """A short description of one part of a record; ``None`` when it is missing."""
    if value is None:
        return None
    if isinstance(value, list):
        if not value:
            return "none recorded (an empty list)"
        return f"{len(value)} entr{'y' if len(value) == 1 else 'ies'}"
    known = {k: v for k, v in value.model_dump(exclude_none=True).items() if v not in ({}, [])}
    if not known:
        return "section present, every field unknown"
    return ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in list(known.items())[:6])


@router.get("/patients", include_in_schema=False)
def patient_list(
    request: Request,
    q: str = Query("", max_length=100),
    page: int = Query(1, ge=1, le=100_000),
    principal: Principal = Depends(require_roles("clinician", "researcher", "nurse")),
) -> Any:
    """Search and page through patients (researchers: de-identified)."""
    deid = principal.role == "researcher"
    found = _listing.page(
        principal.registry(),
        q=q,
        number=page,
        deidentified=deid,
        secret=secret(request),
        session_site=site(request).path,
    )
    return render(
        request,
        "patients.html.j2",
        rows=found.rows,
        total=found.total,
        page=found.page,
        pages=found.pages,
        q=q,
        deidentified=deid,
        nurse=principal.role == "nurse",
        can_add=principal.role == "clinician",
    )


@router.get("/patients/new", include_in_schema=False)
def new_patient_form(
    request: Request, principal: Principal = Depends(require_roles("clinician"))
) -> Any:
    """The form to add a patient."""
    return render(request, "patient_new.html.j2", v={}, errors=[])


@router.post("/patients/new", include_in_schema=False)
async def new_patient(
    request: Request, principal: Principal = Depends(require_roles("clinician"))
) -> Any:
    """Add a patient (identifiers stored apart); a refusal names each field."""
    form = {k: str(v).strip() for k, v in (await request.form()).items() if k != "csrf_token"}
    errors: list[str] = []
    demo = {k: form[k] for k in ("age", "sex", "jurisdiction") if form.get(k)}
    ident = {k: form[k] for k in ("name", "mrn", "date_of_birth") if form.get(k)}
    try:
        record = PatientRecord.model_validate(
            {"as_of": date.today().isoformat(), **({"demographics": demo} if demo else {})}
        )
        identifiers = Identifiers.model_validate(ident) if ident else None
    except ValidationError as exc:
        errors = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return render(request, "patient_new.html.j2", status_code=422, v=form, errors=errors)
    try:
        pid = principal.registry().add_patient(record, identifiers)
    except RegistryError as exc:
        return render(request, "patient_new.html.j2", status_code=422, v=form, errors=[str(exc)])
    return RedirectResponse(f"/patients/{pid}", status_code=303)


@router.get("/patients/{patient_id}/chart", include_in_schema=False)
def patient_chart(
    request: Request,
    patient_id: str,
    principal: Principal = Depends(require_roles("clinician")),
) -> Any:
    """The trajectory chart as a fragment (audited read).

    Loaded by the patient page after its text (HTMX ``load``): drawing costs more than the page.
    """
    reg = principal.registry()
    record = reg.record(patient_id)
    svg = trajectory_svg(record, episodes(reg, patient_id))
    return render(request, "_chart.html.j2", svg=svg)


@router.get("/patients/{patient_id}", include_in_schema=False)
def patient_page(
    request: Request,
    patient_id: str,
    principal: Principal = Depends(require_roles("clinician")),
) -> Any:
    """The patient page: record by modality, trajectory, assessments, episodes, options."""
    reg = principal.registry()
    record = reg.record(patient_id)
    ident = reg.identifiers(patient_id)
    eps = episodes(reg, patient_id)
    found_sessions = sessions(request, principal).for_patient(patient_id)
    assessments = []
    for adm in sorted(record.assessments or [], key=lambda a: a.date, reverse=True):
        total, band = adm.total, None
        flags: tuple[str, ...] = ()
        if adm.responses is not None:
            try:
                r = instrument(adm.instrument).score(adm.responses)
                total, band, flags = r.total, r.band, r.flags
            except (KeyError, ValueError):
                pass
        assessments.append(
            {
                "date": adm.date,
                "instrument": adm.instrument,
                "total": total,
                "band": band,
                "flags": flags,
            }
        )
    demo = record.demographics
    return render(
        request,
        "patient.html.j2",
        pid=patient_id,
        ident=ident,
        flags=latest_flags(record),
        crisis=site(request).crisis(
            demo.jurisdiction if demo else None, demo.language if demo else None
        ),
        modalities=[
            {"name": label, "value": _describe(getattr(record, name))}
            for name, label in _MODALITIES
        ],
        chart=has_trajectory(record),
        assessments=assessments,
        episodes=eps,
        sessions=found_sessions,
        form_instruments=FORM_INSTRUMENTS,
        can_assess=True,
        can_session=True,
    )


def _recommendation(request: Request, principal: Principal, patient_id: str) -> Any:
    """The recommendation the API gives: the service's active model (or the evidence prior)."""
    from ptsdrx.api.routes.care import active_model
    from ptsdrx.recommend import recommend

    record = principal.registry().record(patient_id)
    model, remission, card = active_model(request)
    rec = recommend(
        record,
        model=model,
        remission_model=remission,
        model_card=card,
        site=site(request).config,
    )
    return rec, record


@router.post("/patients/{patient_id}/options", include_in_schema=False)
def options(
    request: Request,
    patient_id: str,
    principal: Principal = Depends(require_roles("clinician")),
) -> Any:
    """Screen and rank the options (an HTMX fragment; excluded options stay visible)."""
    from ptsdrx.recommend import baseline_pcl5
    from ptsdrx.reports import outcome_figure

    rec, record = _recommendation(request, principal, patient_id)
    rules = [(o, r) for o in rec.options for r in o.rules if r.outcome != "not_fired" or r.missing]
    labels = {
        "model": "the fitted response model",
        "evidence_prior": "the evidence prior from published trials (no clinic model is active)",
        "mixed": "the model and the evidence prior",
        "none": "nothing (no prediction could be made)",
    }
    svg = outcome_figure(rec, baseline_pcl5(record))
    return render(
        request,
        "_options.html.j2",
        rec=rec,
        rules=rules,
        source_label=labels[rec.prediction_source],
        outcome_svg=None if svg is None else base64.b64encode(svg.encode()).decode(),
    )


@router.get("/patients/{patient_id}/report.pdf", include_in_schema=False)
def report_pdf(
    request: Request,
    patient_id: str,
    principal: Principal = Depends(require_roles("clinician")),
) -> Response:
    """The patient report as PDF (the same renderer as the CLI and the API)."""
    from ptsdrx.reports import render_html, render_pdf

    rec, record = _recommendation(request, principal, patient_id)
    pdf = render_pdf(render_html(rec, record))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="ptsdrx-{patient_id}.pdf"'},
    )
