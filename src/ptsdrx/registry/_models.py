"""The registry's tables as SQLAlchemy 2 typed mappings.

Identifiers (name, date of birth, MRN, contact, postal code) live in ``patient_identifiers``,
apart from clinical data; every clinical table refers to a patient by the internal
pseudonymous id.
Each ``PatientRecord`` part has a table whose column names equal the part's field names, so
the conversion in :mod:`ptsdrx.registry._convert` is a plain field-by-field copy. List
sections keep their ``position`` (the exact order of the record). Instants are stored as naive
UTC plus, for user-given times, the original UTC offset in minutes, so that a record
round-trips exactly on SQLite (which has no time zones) and PostgreSQL alike.

The ``audit_log`` table is append-only: the migration installs triggers that reject UPDATE
and DELETE (and TRUNCATE on PostgreSQL), and no code path issues either.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON whose Python ``None`` is SQL NULL (unknown), not the JSON literal ``null``.
Json = JSON(none_as_null=True)
# A 64-bit key on PostgreSQL; SQLite only autoincrements an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable migrations)."""

    metadata = MetaData(naming_convention=NAMING)


class _PatientOwned:
    """Mixin: a row with its own id that belongs to one patient."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("patients.patient_id", ondelete="RESTRICT"), index=True
    )


# --------------------------------------------------------------------------- patients


class Patient(Base):
    """One registered person: the record's scalar fields and when it was registered."""

    __tablename__ = "patients"

    patient_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    schema_version: Mapped[str] = mapped_column(String(8))
    as_of: Mapped[date | None] = mapped_column(Date)
    diagnoses_complete: Mapped[bool | None] = mapped_column(Boolean)
    psychiatric_history_complete: Mapped[bool | None] = mapped_column(Boolean)
    medical_history_complete: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """Bumped by every change of the record (the API's ETag: a stale write gets 412)."""


class PatientIdentifiers(Base):
    """Direct identifiers, kept apart from clinical data (one row per patient)."""

    __tablename__ = "patient_identifiers"

    patient_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("patients.patient_id", ondelete="RESTRICT"), primary_key=True
    )
    name: Mapped[str | None] = mapped_column(String(256))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    mrn: Mapped[str | None] = mapped_column(String(64), unique=True)
    contact: Mapped[str | None] = mapped_column(String(512))
    postal_code: Mapped[str | None] = mapped_column(String(16))


class RecordSection(Base):
    """Marks a list section as *known* (present, possibly empty) for a patient.

    A list section without a marker is unknown (``None``); with a marker and no rows it is
    known to be empty (``[]``). ``genetics.genotypes`` and ``genetics.metabolizers`` use the
    same markers.
    """

    __tablename__ = "record_sections"

    patient_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("patients.patient_id", ondelete="RESTRICT"), primary_key=True
    )
    section: Mapped[str] = mapped_column(String(32), primary_key=True)


# ------------------------------------------------------------------ one-row record parts


class _OnePart:
    """Mixin: a record part stored as at most one row per patient."""

    patient_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("patients.patient_id", ondelete="RESTRICT"), primary_key=True
    )


class DemographicsRow(_OnePart, Base):
    """``PatientRecord.demographics``."""

    __tablename__ = "demographics"

    age: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(16))
    weight_kg: Mapped[float | None] = mapped_column(Float)
    pregnant: Mapped[bool | None] = mapped_column(Boolean)
    gestational_weeks: Mapped[float | None] = mapped_column(Float)
    lactating: Mapped[bool | None] = mapped_column(Boolean)
    jurisdiction: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))


class TraumaRow(_OnePart, Base):
    """``PatientRecord.trauma``."""

    __tablename__ = "trauma_histories"

    index_trauma_type: Mapped[str | None] = mapped_column(String(32))
    childhood_trauma: Mapped[bool | None] = mapped_column(Boolean)
    years_since_trauma: Mapped[float | None] = mapped_column(Float)
    military: Mapped[bool | None] = mapped_column(Boolean)
    first_responder: Mapped[bool | None] = mapped_column(Boolean)
    multiple_traumas: Mapped[bool | None] = mapped_column(Boolean)


class FamilyHistoryRow(_OnePart, Base):
    """``PatientRecord.family_history``."""

    __tablename__ = "family_histories"

    psychosis: Mapped[bool | None] = mapped_column(Boolean)
    bipolar: Mapped[bool | None] = mapped_column(Boolean)
    conditions: Mapped[list[dict[str, str]] | None] = mapped_column(Json)
    """(relative, condition) pairs as JSON objects, in record order."""


class PreferencesRow(_OnePart, Base):
    """``PatientRecord.preferences``."""

    __tablename__ = "preferences"

    refused_treatments: Mapped[list[str] | None] = mapped_column(Json)
    preferred_treatments: Mapped[list[str] | None] = mapped_column(Json)
    max_session_hours: Mapped[float | None] = mapped_column(Float)
    max_visits: Mapped[int | None] = mapped_column(Integer)
    willing_psychotherapy: Mapped[bool | None] = mapped_column(Boolean)
    willing_psychedelic: Mapped[bool | None] = mapped_column(Boolean)
    max_travel_km: Mapped[float | None] = mapped_column(Float)
    willing_to_travel_jurisdiction: Mapped[bool | None] = mapped_column(Boolean)


class ConsentRow(_OnePart, Base):
    """``PatientRecord.consent``."""

    __tablename__ = "consents"

    treatment_decision_support: Mapped[bool | None] = mapped_column(Boolean)
    research_use: Mapped[bool | None] = mapped_column(Boolean)
    contact_for_trials: Mapped[bool | None] = mapped_column(Boolean)


class OrganFunctionRow(_OnePart, Base):
    """``PatientRecord.organ_function``."""

    __tablename__ = "organ_functions"

    egfr: Mapped[float | None] = mapped_column(Float)
    child_pugh: Mapped[str | None] = mapped_column(String(1))
    assessed: Mapped[date | None] = mapped_column(Date)


# --------------------------------------------------------------------- list record parts


class _ListPart(_PatientOwned):
    """Mixin: one item of a list section, in record order."""

    position: Mapped[int] = mapped_column(Integer)


class AssessmentRow(_ListPart, Base):
    """One instrument administration: items as given, and the scores ptsdrx computed."""

    __tablename__ = "assessments"

    instrument: Mapped[str] = mapped_column(String(32))
    date: Mapped[date] = mapped_column(Date)
    responses: Mapped[list[int | None] | None] = mapped_column(Json)
    total: Mapped[float | None] = mapped_column(Float)
    frequency: Mapped[list[int | None] | None] = mapped_column(Json)
    intensity: Mapped[list[int | None] | None] = mapped_column(Json)
    criteria: Mapped[dict[str, bool] | None] = mapped_column(Json)
    administered_by: Mapped[str | None] = mapped_column(String(128))
    context: Mapped[str | None] = mapped_column(Text)
    score_total: Mapped[float | None] = mapped_column(Float)
    score_band: Mapped[str | None] = mapped_column(String(64))
    score_flags: Mapped[list[str] | None] = mapped_column(Json)
    flagged: Mapped[bool | None] = mapped_column(Boolean, index=True)
    """Whether scoring raised a safety flag (None: not scored); indexed for the patient list."""
    score_result: Mapped[dict[str, Any] | None] = mapped_column(Json)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    recorded_by: Mapped[str] = mapped_column(String(128))


class DiagnosisRow(_ListPart, Base):
    """``PatientRecord.diagnoses`` item."""

    __tablename__ = "diagnoses"

    condition: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    icd10: Mapped[str | None] = mapped_column(String(16))
    snomed: Mapped[str | None] = mapped_column(String(18))
    onset: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)


class MedicationRow(_ListPart, Base):
    """``PatientRecord.medications`` item (with start and stop dates)."""

    __tablename__ = "medications"

    name: Mapped[str] = mapped_column(String(128))
    rxnorm: Mapped[str | None] = mapped_column(String(8))
    dose_mg: Mapped[float | None] = mapped_column(Float)
    frequency: Mapped[str | None] = mapped_column(String(64))
    route: Mapped[str | None] = mapped_column(String(16))
    start: Mapped[date | None] = mapped_column(Date)
    stop: Mapped[date | None] = mapped_column(Date)


class VitalSignsRow(_ListPart, Base):
    """``PatientRecord.vitals`` item; ``taken_at`` as naive UTC plus the original offset."""

    __tablename__ = "vital_signs"

    taken_at: Mapped[datetime] = mapped_column(DateTime)
    taken_at_offset_min: Mapped[int | None] = mapped_column(Integer)
    systolic: Mapped[float | None] = mapped_column(Float)
    diastolic: Mapped[float | None] = mapped_column(Float)
    heart_rate: Mapped[float | None] = mapped_column(Float)
    spo2: Mapped[float | None] = mapped_column(Float)
    temperature_c: Mapped[float | None] = mapped_column(Float)
    posture: Mapped[str | None] = mapped_column(String(16))
    qtc_ms: Mapped[float | None] = mapped_column(Float)


class BiomarkerRow(_ListPart, Base):
    """``PatientRecord.biomarkers`` item."""

    __tablename__ = "biomarkers"

    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32))
    loinc: Mapped[str | None] = mapped_column(String(16))
    collected: Mapped[date | None] = mapped_column(Date)


class GenotypeRow(_ListPart, Base):
    """``PatientRecord.genetics.genotypes`` entry (rsID → unphased genotype)."""

    __tablename__ = "genotypes"

    rsid: Mapped[str] = mapped_column(String(32))
    genotype: Mapped[str] = mapped_column(String(32))


class MetabolizerRow(_ListPart, Base):
    """``PatientRecord.genetics.metabolizers`` entry (gene → phenotype)."""

    __tablename__ = "metabolizer_phenotypes"

    gene: Mapped[str] = mapped_column(String(16))
    phenotype: Mapped[str] = mapped_column(String(16))


class ImagingRow(_ListPart, Base):
    """``PatientRecord.imaging`` item."""

    __tablename__ = "imaging_measures"

    measure: Mapped[str] = mapped_column(String(128))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(256))
    acquired: Mapped[date | None] = mapped_column(Date)


class PriorTreatmentRow(_ListPart, Base):
    """``PatientRecord.prior_treatments`` item."""

    __tablename__ = "prior_treatments"

    treatment: Mapped[str] = mapped_column(String(64))
    start: Mapped[date | None] = mapped_column(Date)
    stop: Mapped[date | None] = mapped_column(Date)
    adequate: Mapped[bool | None] = mapped_column(Boolean)
    response: Mapped[str | None] = mapped_column(String(16))
    stopped_for_adverse_effects: Mapped[bool | None] = mapped_column(Boolean)


# ------------------------------------------------------------ care given in this clinic


class TreatmentEpisodeRow(_PatientOwned, Base):
    """A course of one treatment at this clinic (its dosing sessions point to it)."""

    __tablename__ = "treatment_episodes"

    treatment: Mapped[str] = mapped_column(String(64))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(128))


class DosingSessionRow(_PatientOwned, Base):
    """A preparation, dosing or integration session (``ptsdrx.monitoring.DosingSession``)."""

    __tablename__ = "dosing_sessions"

    episode_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("treatment_episodes.id", ondelete="RESTRICT"), index=True
    )
    phase: Mapped[str] = mapped_column(String(16))
    treatment: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column(DateTime)
    start_offset_min: Mapped[int | None] = mapped_column(Integer)
    end: Mapped[datetime | None] = mapped_column(DateTime)
    end_offset_min: Mapped[int | None] = mapped_column(Integer)
    staff: Mapped[list[str]] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    closed_by: Mapped[str | None] = mapped_column(String(128))


class _SessionPart:
    """Mixin: one item of a session's series, in the order it was recorded."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("dosing_sessions.id", ondelete="RESTRICT"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    recorded_by: Mapped[str] = mapped_column(String(128))


class SessionDoseRow(_SessionPart, Base):
    """A dose given in a session (``ptsdrx.monitoring.sessions.Dose``)."""

    __tablename__ = "session_doses"

    given_at: Mapped[datetime] = mapped_column(DateTime)
    given_at_offset_min: Mapped[int | None] = mapped_column(Integer)
    amount_mg: Mapped[float | None] = mapped_column(Float)
    mg_per_kg: Mapped[float | None] = mapped_column(Float)
    route: Mapped[str] = mapped_column(String(16))
    supplemental: Mapped[bool] = mapped_column(Boolean)


class SessionVitalsRow(_SessionPart, Base):
    """One timed set of in-session readings, with the CADSS total when rated."""

    __tablename__ = "session_vitals"

    taken_at: Mapped[datetime] = mapped_column(DateTime)
    taken_at_offset_min: Mapped[int | None] = mapped_column(Integer)
    systolic: Mapped[float | None] = mapped_column(Float)
    diastolic: Mapped[float | None] = mapped_column(Float)
    heart_rate: Mapped[float | None] = mapped_column(Float)
    spo2: Mapped[float | None] = mapped_column(Float)
    temperature_c: Mapped[float | None] = mapped_column(Float)
    cadss: Mapped[float | None] = mapped_column(Float)
    taken_by: Mapped[str | None] = mapped_column(String(128))


class AdverseEventRow(_SessionPart, Base):
    """An adverse event during or after a session (``ptsdrx.monitoring.AdverseEvent``)."""

    __tablename__ = "adverse_events"

    term: Mapped[str] = mapped_column(String(256))
    onset: Mapped[datetime] = mapped_column(DateTime)
    onset_offset_min: Mapped[int | None] = mapped_column(Integer)
    severity: Mapped[str] = mapped_column(String(16))
    serious: Mapped[bool] = mapped_column(Boolean)
    action: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_at_offset_min: Mapped[int | None] = mapped_column(Integer)


class SessionAlertRow(Base):
    """An alert raised by the monitoring alert engine for a session, as shown to staff."""

    __tablename__ = "session_alerts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("dosing_sessions.id", ondelete="RESTRICT"), index=True
    )
    raised_at: Mapped[datetime] = mapped_column(DateTime)
    rule_id: Mapped[str] = mapped_column(String(128))
    severity: Mapped[str] = mapped_column(String(16))
    reading: Mapped[str] = mapped_column(Text)
    alert: Mapped[dict[str, Any]] = mapped_column(Json)


class RecommendationRow(_PatientOwned, Base):
    """A recommendation issued to a clinician: model version and the full result."""

    __tablename__ = "recommendations"

    issued_at: Mapped[datetime] = mapped_column(DateTime)
    issued_by: Mapped[str] = mapped_column(String(128))
    model_version: Mapped[str] = mapped_column(String(128))
    result: Mapped[dict[str, Any]] = mapped_column(Json)


# ---------------------------------------------------------------------------- audit


class AuditRow(Base):
    """Append-only audit log: who did what to which patient's data, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))
    patient_id: Mapped[str | None] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(Json)
    # Who and where, for the service (FHIR AuditEvent agent.role, outcome, source, network):
    role: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16), default="success", server_default="success")
    route: Mapped[str | None] = mapped_column(String(256))
    client: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64), index=True)


# ------------------------------------------------------------------------ identities


class UserRow(Base):
    """A staff account of the clinic service: one role, an Argon2id password hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(256))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(128))


class RefreshTokenRow(Base):
    """A refresh token, stored only as its SHA-256; rotation links tokens into a family."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    family: Mapped[str] = mapped_column(String(64), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
