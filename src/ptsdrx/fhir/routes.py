"""The FHIR routes of the clinic service (mounted under ``/api/v1`` by ``ptsdrx.api``).

* ``POST /api/v1/fhir``: a Bundle (transaction, collection, searchset or batch); every
  patient stored in one transaction, the unmapped elements listed by path and reason.
* ``GET /api/v1/fhir/Patient/{patient_id}/$everything``: the patient as a Bundle.

Clinicians only; every store and export is audited by the registry acting as the caller.
An invalid Bundle is a 422 problem whose ``errors`` name each invalid path.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ptsdrx.api.deps import Principal, require_roles
from ptsdrx.api.problems import FieldError, ProblemError, responses
from ptsdrx.fhir._report import BundleInvalidError
from ptsdrx.fhir._store import export_patient, import_bundle

router = APIRouter(tags=["fhir"])
clinician = require_roles("clinician")
FHIR_JSON = "application/fhir+json"
MAX_BYTES = 50 * 1024 * 1024
PatientId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$", max_length=64)]


class UnmappedOut(BaseModel):
    """One element not mapped: where it is in the Bundle and why."""

    path: str
    reason: str


class FhirImported(BaseModel):
    """What a Bundle import stored and what it could not map."""

    imported: list[str]
    unmapped: list[UnmappedOut]


_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {FHIR_JSON: {"schema": {"type": "object"}}, "application/json": {}},
    }
}


@router.post(
    "/fhir",
    response_model=FhirImported,
    openapi_extra=_BODY,
    responses=responses(400, 413, 415, 422),
)
async def post_bundle(
    request: Request,
    strict: bool = Query(False, description="Refuse the Bundle if any element is not mapped."),
    who: Principal = Depends(clinician),
) -> FhirImported:
    """Import a FHIR Bundle: nothing is stored unless the whole Bundle is accepted."""
    from starlette.concurrency import run_in_threadpool

    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind not in (FHIR_JSON, "application/json"):
        raise ProblemError(415, f"send {FHIR_JSON} or application/json", kind="media-type")
    raw = await request.body()
    if len(raw) > MAX_BYTES:
        raise ProblemError(413, f"Bundle larger than {MAX_BYTES} bytes", kind="too-large")
    try:
        ids, result = await run_in_threadpool(import_bundle, who.registry(), raw, strict=strict)
    except BundleInvalidError as exc:
        errors = [
            FieldError(field=e.split(":", 1)[0], message=e.split(":", 1)[-1].strip(), type="fhir")
            for e in exc.errors
        ]
        raise ProblemError(
            422, "not a Bundle ptsdrx accepts", errors=errors, kind="invalid-bundle"
        ) from None
    return FhirImported(
        imported=list(ids),
        unmapped=[UnmappedOut(path=u.path, reason=u.reason) for u in result.unmapped],
    )


@router.get(
    "/fhir/Patient/{patient_id}/$everything",
    responses={200: {"content": {FHIR_JSON: {}}}, **responses(404, 422)},
)
async def patient_everything(
    patient_id: PatientId, who: Principal = Depends(clinician)
) -> JSONResponse:
    """The patient's record, scores, dosing-session vitals and screening as a Bundle."""
    from starlette.concurrency import run_in_threadpool

    bundle = await run_in_threadpool(export_patient, who.registry(), patient_id)
    return JSONResponse(bundle, media_type=FHIR_JSON)
