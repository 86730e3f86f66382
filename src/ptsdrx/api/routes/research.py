"""Researchers: de-identified data only (never a name, contact, date, MRN or free text).

Patients appear only with ``consent.research_use`` true, under a keyed pseudonym (HMAC of
the internal id with the service secret). Dates become days since the patient's first
assessment; ages above 89 are reported as 90 (HIPAA Safe Harbor); every free-text field
(notes, contexts, who administered) is left out, since free text can carry identifiers.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from ptsdrx.api import _security
from ptsdrx.api.deps import Principal, require_roles
from ptsdrx.api.problems import responses
from ptsdrx.records import PatientRecord
from ptsdrx.registry._convert import load_record
from ptsdrx.registry._models import ConsentRow, Patient

router = APIRouter(tags=["research"])


class ScorePoint(BaseModel):
    """One assessment: instrument, day since the first assessment, total."""

    instrument: str
    day: int
    total: float | None


class PriorCourse(BaseModel):
    """A prior treatment course (no dates)."""

    treatment: str
    adequate: bool | None
    response: str | None


class DeidentifiedPatient(BaseModel):
    """One consenting patient, de-identified."""

    pseudonym: str = Field(description="Keyed pseudonym, stable across calls.")
    age: int | None = Field(description="Years; 90 stands for 90 or older.")
    sex: str | None
    conditions: list[str]
    assessments: list[ScorePoint]
    prior_treatments: list[PriorCourse]


class ResearchPage(BaseModel):
    """A page of de-identified patients."""

    items: list[DeidentifiedPatient]
    offset: int
    limit: int


def deidentify(secret: str, record: PatientRecord, patient_id: str) -> DeidentifiedPatient:
    """The researcher's view of one record."""
    demo = record.demographics
    age = None if demo is None or demo.age is None else min(demo.age, 90)
    scored = sorted(record.assessments or [], key=lambda a: a.date)
    first = scored[0].date if scored else None
    return DeidentifiedPatient(
        pseudonym=_security.pseudonym(secret, patient_id),
        age=age,
        sex=None if demo is None or demo.sex is None else str(demo.sex),
        conditions=sorted({str(d.condition) for d in record.diagnoses or []}),
        assessments=[
            ScorePoint(
                instrument=a.instrument,
                day=(a.date - first).days if first else 0,
                total=a.total,
            )
            for a in scored
        ],
        prior_treatments=[
            PriorCourse(
                treatment=str(t.treatment),
                adequate=t.adequate,
                response=None if t.response is None else str(t.response),
            )
            for t in record.prior_treatments or []
        ],
    )


@router.get("/research/patients", response_model=ResearchPage, responses=responses(422))
def research_patients(
    request: Request,
    offset: int = Query(0, ge=0, le=1_000_000),
    limit: int = Query(50, ge=1, le=200),
    who: Principal = Depends(require_roles("researcher")),
) -> ResearchPage:
    """Consenting patients, de-identified, a page at a time (each one's use is audited)."""
    reg = who.registry()
    secret: str = request.app.state.secret
    with reg.transaction() as session:
        patients = session.scalars(
            select(Patient)
            .join(ConsentRow, ConsentRow.patient_id == Patient.patient_id)
            .where(ConsentRow.research_use.is_(True))
            .order_by(Patient.created_at, Patient.patient_id)
            .offset(offset)
            .limit(limit)
        ).all()
        items = [deidentify(secret, load_record(session, p), p.patient_id) for p in patients]
        reg.audit(session, "export", "deidentified", *(p.patient_id for p in patients))
    return ResearchPage(items=items, offset=offset, limit=limit)
