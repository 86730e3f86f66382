"""Assessment entry: every item, live scoring (an HTMX fragment), crisis text at once."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from ptsdrx.instruments import InstrumentError
from ptsdrx.records import Administration
from ptsdrx.registry import RegistryError
from ptsdrx.web._auth import PageRoute, Principal, require_roles
from ptsdrx.web._context import render, site
from ptsdrx.web._forms import FORM_INSTRUMENTS, form, responses, score

router = APIRouter(route_class=PageRoute)

#: Instruments whose total needs every item (C-SSRS skips Q3-Q5 when Q2 is "no").
_ALL_ITEMS = frozenset({"pcl5", "phq9", "gad7", "cadss"})
_JURISDICTION = r"^([A-Z]{2}(-[A-Z0-9]{1,3})?)?$"


def _form_or_404(instrument: str) -> Any:
    if instrument not in FORM_INSTRUMENTS:
        raise HTTPException(404)
    return form(instrument)


def _context(request: Request, instrument: str, data: dict[str, Any]) -> dict[str, Any]:
    f = _form_or_404(instrument)
    answers, problems = responses(instrument, data)
    jurisdiction = str(data.get("jurisdiction") or "")[:8] or None
    result = None
    if any(a is not None for a in answers):
        try:
            result = score(instrument, answers)
        except InstrumentError as exc:  # e.g. C-SSRS answers that leave the risk open
            problems.append(str(exc).split(": ", 1)[-1])
    return {
        "form": f,
        "answers": answers,
        "answered": sum(a is not None for a in answers),
        "result": result,
        "problems": problems,
        "crisis": site(request).crisis(jurisdiction),
        "required": instrument in _ALL_ITEMS,
    }


@router.get("/patients/{patient_id}/assess/{instrument}", include_in_schema=False)
def assess_form(
    request: Request,
    patient_id: str,
    instrument: str,
    principal: Principal = Depends(require_roles("clinician")),
) -> Any:
    """The entry form (the patient's jurisdiction picks the crisis text)."""
    _form_or_404(instrument)
    record = principal.registry().record(patient_id)
    demo = record.demographics
    jurisdiction = demo.jurisdiction if demo else None
    return render(
        request,
        "assess.html.j2",
        pid=patient_id,
        jurisdiction=jurisdiction,
        date=date.today().isoformat(),
        errors=[],
        **_context(request, instrument, {"jurisdiction": jurisdiction}),
    )


@router.post("/patients/{patient_id}/assess/{instrument}/score", include_in_schema=False)
async def assess_score(
    request: Request,
    patient_id: str,
    instrument: str,
    principal: Principal = Depends(require_roles("clinician")),
) -> Any:
    """Score the items answered so far (reads no patient data: only the posted items)."""
    data = dict(await request.form())
    return render(request, "_score.html.j2", **_context(request, instrument, data))


@router.post("/patients/{patient_id}/assess/{instrument}", include_in_schema=False)
async def assess_save(
    request: Request,
    patient_id: str,
    instrument: str,
    principal: Principal = Depends(require_roles("clinician")),
) -> Any:
    """Validate and store the administration; a refusal re-shows the form with every reason."""
    data = dict(await request.form())
    ctx = _context(request, instrument, data)
    errors = list(ctx["problems"])
    if instrument in _ALL_ITEMS:
        unanswered = [
            i.number for i, a in zip(ctx["form"].items, ctx["answers"], strict=True) if a is None
        ]
        if unanswered:
            errors.append(f"items not answered: {', '.join(map(str, unanswered))}")
    adm = None
    try:
        adm = Administration.model_validate(
            {
                "instrument": instrument,
                "date": str(data.get("date", "")),
                "responses": ctx["answers"],
                "administered_by": principal.username,
            }
        )
    except ValidationError as exc:
        errors += [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    if ctx["result"] is None and not errors:
        errors.append("no item answered")
    if not errors and adm is not None:
        try:
            principal.registry().add_assessment(patient_id, adm)
        except RegistryError as exc:
            errors.append(str(exc))
    if errors:
        return render(
            request,
            "assess.html.j2",
            status_code=422,
            pid=patient_id,
            jurisdiction=data.get("jurisdiction"),
            date=str(data.get("date", "")),
            errors=errors,
            **ctx,
        )
    return RedirectResponse(f"/patients/{patient_id}", status_code=303)
