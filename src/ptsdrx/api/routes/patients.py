"""Patients: create, list (paging, search), get, update (If-Match), import, assessments."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ptsdrx.api.deps import Principal, require_roles
from ptsdrx.api.problems import ProblemError, responses
from ptsdrx.records import Administration, PatientRecord
from ptsdrx.registry import FieldProblem, Identifiers, ImportProblem, import_items, read_text
from ptsdrx.registry._convert import load_record
from ptsdrx.registry._models import PatientIdentifiers

router = APIRouter(tags=["patients"])
clinician = require_roles("clinician")

PATIENT_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
PatientId = Annotated[
    str, Field(pattern=PATIENT_ID, max_length=64, description="Internal patient id.")
]
BODY = responses(400, 413, 415, 422)
NOT_FOUND = responses(404, 422)


class NewPatient(BaseModel):
    """A patient to register: the clinical record and, apart, the direct identifiers."""

    model_config = ConfigDict(extra="forbid")

    record: PatientRecord
    identifiers: Identifiers | None = None

    @field_validator("record")
    @classmethod
    def _addressable(cls, record: PatientRecord) -> PatientRecord:
        check_patient_id(record.patient_id)
        return record


def check_patient_id(pid: str | None) -> None:
    """Refuse a ``patient_id`` the API could never address (the path pattern)."""
    if pid is not None and not re.fullmatch(PATIENT_ID, pid):
        raise ValueError(
            "patient_id must be 1-64 characters: letters, digits, '.', '_', ':' or '-', "
            "starting with a letter or digit"
        )


class PatientOut(BaseModel):
    """A patient's full record with identifiers; ``version`` is also the ``ETag``."""

    patient_id: str
    version: int
    record: PatientRecord
    identifiers: Identifiers | None


class PatientListItem(BaseModel):
    """One line of the patient list (no identifiers)."""

    patient_id: str
    as_of: date | None
    created_at: str
    assessments: int


class PatientPage(BaseModel):
    """A page of patients, oldest first."""

    items: list[PatientListItem]
    total: int
    offset: int
    limit: int


class ImportProblemOut(BaseModel):
    """A record of the batch that was skipped, and why."""

    source: str
    line: int | None
    patient_id: str | None
    problems: list[dict[str, str]]


class ImportResult(BaseModel):
    """Ids imported (in batch order) and records skipped."""

    imported: list[str]
    skipped: list[ImportProblemOut]


class AssessmentStored(BaseModel):
    """An assessment stored: its safety flags first, then the instrument result."""

    safety_flags: list[str] = Field(description="Flags the instrument raised (shown first).")
    instrument: str
    total: float | None
    band: str | None
    result: dict[str, Any] | None = Field(description="The instrument's full result.")
    version: int = Field(description="The record's new version (ETag).")


def etag(version: int) -> str:
    """The ETag of a record version."""
    return f'"{version}"'


def _if_match(value: str | None) -> int:
    if value is None:
        raise ProblemError(
            428,
            "If-Match header required: send the ETag of the version you read",
            kind="precondition-required",
        )
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 9:
        raise ProblemError(
            412, "If-Match must be an ETag given by this service", kind="stale-version"
        )
    return int(text)


def read_patient(
    who: Principal, patient_id: str, entity: str = "record"
) -> tuple[PatientRecord, int]:
    """The record and version (audited read, as ``entity``)."""
    reg = who.registry()
    with reg.transaction() as session:
        patient = reg.require_patient(session, patient_id, share=True)
        record = load_record(session, patient)
        reg.audit(session, "read", entity, patient_id)
        return record, patient.version


@router.post(
    "/patients", status_code=201, response_model=PatientOut, responses=responses(400, 413, 415, 422)
)
def create_patient(
    body: NewPatient, response: Response, who: Principal = Depends(clinician)
) -> PatientOut:
    """Register a patient (audited). The id is the record's ``patient_id`` or a new one."""
    reg = who.registry()
    with reg.transaction() as session:
        pid = reg.insert_record(session, body.record, body.identifiers)
        record = load_record(session, reg.require_patient(session, pid))
    response.headers["ETag"] = etag(1)
    response.headers["Location"] = f"/api/v1/patients/{quote(pid)}"
    return PatientOut(patient_id=pid, version=1, record=record, identifiers=body.identifiers)


@router.get("/patients", response_model=PatientPage, responses=responses(422))
def list_patients(
    q: str | None = Query(
        None, min_length=1, max_length=128, description="Id, MRN or part of the name."
    ),
    offset: int = Query(0, ge=0, le=1_000_000),
    limit: int = Query(50, ge=1, le=200),
    who: Principal = Depends(clinician),
) -> PatientPage:
    """Patients, oldest first, a page at a time (each listed patient's read is audited)."""
    found, total = who.registry().search(q, offset=offset, limit=limit)
    return PatientPage(
        items=[PatientListItem(**s.to_dict()) for s in found],
        total=total,
        offset=offset,
        limit=limit,
    )


@router.get("/patients/{patient_id}", response_model=PatientOut, responses=NOT_FOUND)
def get_patient(
    patient_id: PatientId, response: Response, who: Principal = Depends(clinician)
) -> PatientOut:
    """The full record and identifiers (audited); the ``ETag`` is its version."""
    reg = who.registry()
    with reg.transaction() as session:
        patient = reg.require_patient(session, patient_id, share=True)
        record = load_record(session, patient)
        row = session.get(PatientIdentifiers, patient_id)
        reg.audit(session, "read", "record", patient_id, identifiers=row is not None)
        version = patient.version
    ids = None if row is None else Identifiers.of_row(row)
    response.headers["ETag"] = etag(version)
    return PatientOut(patient_id=patient_id, version=version, record=record, identifiers=ids)


@router.put(
    "/patients/{patient_id}",
    response_model=PatientOut,
    responses=responses(400, 404, 412, 413, 415, 422, 428),
)
def update_patient(
    patient_id: PatientId,
    body: NewPatient,
    response: Response,
    if_match: str | None = Header(None, max_length=64, description="ETag of the version read."),
    who: Principal = Depends(clinician),
) -> PatientOut:
    """Replace the record (and identifiers when given).

    ``If-Match`` must carry the ETag that was read: a record changed meanwhile answers 412 and
    nothing is overwritten.
    """
    expected = _if_match(if_match)
    version = who.registry().update_record(
        patient_id, body.record, body.identifiers, expected_version=expected
    )
    record, _ = read_patient(who, patient_id)
    response.headers["ETag"] = etag(version)
    return PatientOut(
        patient_id=patient_id, version=version, record=record, identifiers=body.identifiers
    )


_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/PatientRecord"}},
            "application/x-ndjson": {
                "schema": {"type": "string", "description": "One PatientRecord JSON per line."}
            },
        },
    }
}


@router.post(
    "/patients/import",
    response_model=ImportResult,
    openapi_extra=_IMPORT_BODY,
    responses=responses(400, 413, 415, 422),
)
async def import_records(
    request: Request,
    skip_invalid: bool = Query(False, description="Keep the good records, list the bad."),
    who: Principal = Depends(clinician),
) -> ImportResult:
    """Import one ``PatientRecord`` (JSON) or a batch (JSON lines) in one transaction.

    By default one bad record keeps nothing, and every problem is named (file line, field).
    """
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProblemError(400, "request body is not UTF-8 text", kind="malformed-json") from None
    if not text.strip():
        raise ProblemError(
            422, "request body is empty: send a record or JSON lines", kind="invalid-input"
        )
    jsonl = request.headers.get("content-type", "").split(";")[0].strip() != "application/json"
    items = [_addressable(item) for item in read_text(text, "body", jsonl=jsonl)]
    report = await _run_sync(import_items, who.registry(), items, skip_invalid=skip_invalid)
    data = report.to_dict()
    return ImportResult(imported=data["imported"], skipped=data["skipped"])


def _addressable(item: Any) -> Any:
    """An import item whose ``patient_id`` the API could not address becomes a problem."""
    pid = None if item.record is None else item.record.patient_id
    try:
        check_patient_id(pid)
    except ValueError as exc:
        problem = ImportProblem(
            item.source, item.line, None, (FieldProblem("patient_id", str(exc)),)
        )
        return dataclasses.replace(item, record=None, problem=problem)
    return item


async def _run_sync(func: Any, *args: Any, **kwargs: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(func, *args, **kwargs)


@router.post(
    "/patients/{patient_id}/assessments",
    status_code=201,
    response_model=AssessmentStored,
    responses=responses(400, 404, 413, 415, 422),
)
def add_assessment(
    patient_id: PatientId,
    body: Administration,
    response: Response,
    who: Principal = Depends(clinician),
) -> AssessmentStored:
    """Score and store an administration (audited); the answer leads with its safety flags."""
    reg = who.registry()
    scores = reg.add_assessment(patient_id, body)
    with reg.transaction() as session:
        version = reg.version(session, patient_id)
    response.headers["ETag"] = etag(version)
    return AssessmentStored(
        safety_flags=list(scores.get("score_flags") or []),
        instrument=body.instrument,
        total=scores.get("score_total", body.total),
        band=scores.get("score_band"),
        result=scores.get("score_result"),
        version=version,
    )
