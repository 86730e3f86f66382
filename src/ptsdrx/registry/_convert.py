"""``PatientRecord`` ⇄ registry rows, exactly.

Each part's table has columns named after the part's fields, so the copy is generic:
enums are stored by value, datetimes as naive UTC plus their UTC offset (column
``<field>_offset_min``), list sections keep their ``position``, and a list section that is
known but empty is kept by a :class:`~ptsdrx.registry._models.RecordSection` marker. Reading
the rows back gives a record equal to the one stored, field for field and in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptsdrx.records import (
    Administration,
    Biomarker,
    Consent,
    Demographics,
    Diagnosis,
    FamilyHistory,
    Genetics,
    ImagingMeasure,
    Medication,
    OrganFunction,
    PatientRecord,
    Preferences,
    PriorTreatment,
    TraumaHistory,
    VitalSigns,
)
from ptsdrx.registry._db import join_instant, split_instant
from ptsdrx.registry._errors import RecordFieldError
from ptsdrx.registry._models import (
    AssessmentRow,
    Base,
    BiomarkerRow,
    ConsentRow,
    DemographicsRow,
    DiagnosisRow,
    FamilyHistoryRow,
    GenotypeRow,
    ImagingRow,
    MedicationRow,
    MetabolizerRow,
    OrganFunctionRow,
    Patient,
    PreferencesRow,
    PriorTreatmentRow,
    RecordSection,
    TraumaRow,
    VitalSignsRow,
)

OFFSET = "_offset_min"

ONE_PARTS: dict[str, tuple[type[BaseModel], type[Base]]] = {
    "demographics": (Demographics, DemographicsRow),
    "trauma": (TraumaHistory, TraumaRow),
    "family_history": (FamilyHistory, FamilyHistoryRow),
    "preferences": (Preferences, PreferencesRow),
    "consent": (Consent, ConsentRow),
    "organ_function": (OrganFunction, OrganFunctionRow),
}
LIST_PARTS: dict[str, tuple[type[BaseModel], type[Base]]] = {
    "assessments": (Administration, AssessmentRow),
    "diagnoses": (Diagnosis, DiagnosisRow),
    "medications": (Medication, MedicationRow),
    "vitals": (VitalSigns, VitalSignsRow),
    "biomarkers": (Biomarker, BiomarkerRow),
    "imaging": (ImagingMeasure, ImagingRow),
    "prior_treatments": (PriorTreatment, PriorTreatmentRow),
}
# genetics.<field> -> (row class, key column, value column)
GENETIC_PARTS: dict[str, tuple[type[GenotypeRow] | type[MetabolizerRow], str, str]] = {
    "genotypes": (GenotypeRow, "rsid", "genotype"),
    "metabolizers": (MetabolizerRow, "gene", "phenotype"),
}
SCALARS = (
    "schema_version",
    "patient_id",
    "as_of",
    "diagnoses_complete",
    "psychiatric_history_complete",
    "medical_history_complete",
)

# Extra columns an assessment row carries beyond the Administration fields.
AssessmentExtras = dict[str, Any]
Scorer = Callable[[Administration], AssessmentExtras]


def columns(part: BaseModel) -> dict[str, Any]:
    """A part's fields as column values.

    Enums by value, datetimes split into UTC + offset, nested lists of parts (family
    history's relative/condition pairs) as JSON objects.
    """
    out: dict[str, Any] = {}
    for name in type(part).model_fields:
        value = getattr(part, name)
        if isinstance(value, Enum):
            value = value.value
        if isinstance(value, datetime):
            out[name], out[name + OFFSET] = split_instant(value)
            continue
        if isinstance(value, list) and any(isinstance(v, BaseModel) for v in value):
            value = [v.model_dump(mode="json") for v in value]
        out[name] = value
    return out


def fitted(row_cls: type[Base], values: dict[str, Any], path: str) -> dict[str, Any]:
    """``values`` unchanged if every text fits its column, else :class:`RecordFieldError`.

    PostgreSQL refuses over-long text and SQLite silently keeps it; checking here gives the
    same clear, field-named refusal on both.
    """
    table = row_cls.__table__
    for name, value in values.items():
        length = getattr(table.c[name].type, "length", None)
        if isinstance(value, str) and length is not None and len(value) > length:
            field = f"{path}.{name}" if path else name
            raise RecordFieldError(field, f"at most {length} characters, got {len(value)}")
    return values


def fields(model: type[BaseModel], row: Base) -> dict[str, Any]:
    """Inverse of :func:`columns`: the field values of ``model`` read from ``row``."""
    out: dict[str, Any] = {}
    for name in model.model_fields:
        value = getattr(row, name)
        if isinstance(value, datetime):
            value = join_instant(value, getattr(row, name + OFFSET))
        out[name] = value
    return out


def record_rows(
    record: PatientRecord, patient_id: str, *, actor: str, now: datetime, scorer: Scorer
) -> list[Base]:
    """Every row that stores ``record`` under ``patient_id`` (the patient row first).

    Raises :class:`RecordFieldError` naming ``assessments.<i>`` when a scored instrument
    refuses an administration's items.
    """
    rows: list[Base] = [
        Patient(
            patient_id=patient_id,
            schema_version=record.schema_version,
            as_of=record.as_of,
            diagnoses_complete=record.diagnoses_complete,
            psychiatric_history_complete=record.psychiatric_history_complete,
            medical_history_complete=record.medical_history_complete,
            created_at=now,
            created_by=actor,
        )
    ]
    for name, (_, row_cls) in ONE_PARTS.items():
        part = getattr(record, name)
        if part is not None:
            rows.append(row_cls(patient_id=patient_id, **fitted(row_cls, columns(part), name)))
    for name, (_, row_cls) in LIST_PARTS.items():
        items: list[BaseModel] | None = getattr(record, name)
        if items is None:
            continue
        rows.append(RecordSection(patient_id=patient_id, section=name))
        for position, item in enumerate(items):
            extra: dict[str, Any] = {}
            if isinstance(item, Administration):
                try:
                    scores = scorer(item)
                except ValueError as exc:
                    raise RecordFieldError(f"assessments.{position}", str(exc)) from exc
                extra = {"recorded_at": now, "recorded_by": actor, **scores}
            values = fitted(row_cls, columns(item), f"{name}.{position}")
            rows.append(row_cls(patient_id=patient_id, position=position, **values, **extra))
    if record.genetics is not None:
        rows.append(RecordSection(patient_id=patient_id, section="genetics"))
        for name, (gen_cls, key, val) in GENETIC_PARTS.items():
            mapping: dict[str, str] | None = getattr(record.genetics, name)
            if mapping is None:
                continue
            rows.append(RecordSection(patient_id=patient_id, section=f"genetics.{name}"))
            rows.extend(
                gen_cls(
                    patient_id=patient_id,
                    position=i,
                    **fitted(gen_cls, {key: k, val: v}, f"genetics.{name}"),
                )
                for i, (k, v) in enumerate(mapping.items())
            )
    return rows


def _ordered(session: Session, row_cls: type[Any], patient_id: str) -> Sequence[Any]:
    stmt = select(row_cls).where(row_cls.patient_id == patient_id).order_by(row_cls.position)
    return session.scalars(stmt).all()


def load_record(session: Session, patient: Patient) -> PatientRecord:
    """Rebuild the ``PatientRecord`` stored for ``patient``."""
    pid = patient.patient_id
    sections = set(
        session.scalars(select(RecordSection.section).where(RecordSection.patient_id == pid))
    )
    data: dict[str, Any] = {name: getattr(patient, name) for name in SCALARS}
    for name, (model, row_cls) in ONE_PARTS.items():
        row = session.get(row_cls, pid)
        data[name] = None if row is None else model.model_validate(fields(model, row))
    for name, (model, row_cls) in LIST_PARTS.items():
        if name in sections:
            rows = _ordered(session, row_cls, pid)
            data[name] = [model.model_validate(fields(model, r)) for r in rows]
    if "genetics" in sections:
        genetics: dict[str, Any] = {}
        for name, (gen_cls, key, val) in GENETIC_PARTS.items():
            if f"genetics.{name}" in sections:
                rows = _ordered(session, gen_cls, pid)
                genetics[name] = {getattr(r, key): getattr(r, val) for r in rows}
        data["genetics"] = Genetics.model_validate(genetics)
    return PatientRecord.model_validate(data)
