"""``Registry``: patients, their records and assessments, with every access audited.

Every public method runs in its own transaction and writes its audit entries in that same
transaction, so a write is either fully kept with its audit entry or not kept at all.

Examples
--------
>>> from ptsdrx.records import PatientRecord
>>> reg = Registry.connect("sqlite://", actor="dr.example")
>>> reg.upgrade()
>>> pid = reg.add_patient(PatientRecord(patient_id="p1"))
>>> reg.record(pid).patient_id
'p1'
>>> [e.action for e in reg.audit_trail(pid)]
['create', 'read']
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Engine, delete, func, or_, select
from sqlalchemy.orm import Session

from ptsdrx.records import Administration, PatientRecord
from ptsdrx.registry import _audit, _migrate
from ptsdrx.registry._audit import AuditContext, AuditEntry
from ptsdrx.registry._convert import (
    GENETIC_PARTS,
    LIST_PARTS,
    ONE_PARTS,
    SCALARS,
    Scorer,
    columns,
    fitted,
    load_record,
    record_rows,
)
from ptsdrx.registry._db import make_engine, utcnow
from ptsdrx.registry._errors import PatientNotFoundError, RecordFieldError, RegistryError
from ptsdrx.registry._models import (
    AssessmentRow,
    Patient,
    PatientIdentifiers,
    RecommendationRow,
    RecordSection,
)
from ptsdrx.registry._scoring import score_columns


class Identifiers(BaseModel):
    """Direct identifiers of a patient, stored apart from clinical data."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str | None = Field(None, max_length=256)
    date_of_birth: date | None = None
    mrn: str | None = Field(None, min_length=1, max_length=64, description="Medical record no.")
    contact: str | None = Field(None, max_length=512, description="Phone or e-mail.")
    postal_code: str | None = Field(None, min_length=1, max_length=16)

    @field_validator("date_of_birth")
    @classmethod
    def _born(cls, v: date | None) -> date | None:
        if v is not None and not date(1900, 1, 1) <= v <= date.today():
            raise ValueError(f"date_of_birth must be between 1900-01-01 and today, got {v}")
        return v

    @classmethod
    def of_row(cls, row: PatientIdentifiers) -> Identifiers:
        """The identifiers stored in a ``patient_identifiers`` row."""
        return cls(**{name: getattr(row, name) for name in cls.model_fields})


@dataclass(frozen=True)
class PatientSummary:
    """One line of the patient list (no identifiers)."""

    patient_id: str
    as_of: date | None
    created_at: str
    assessments: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "patient_id": self.patient_id,
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "created_at": self.created_at,
            "assessments": self.assessments,
        }

    def summary(self) -> str:
        """One line."""
        as_of = "-" if self.as_of is None else self.as_of.isoformat()
        return f"{self.patient_id}  as_of {as_of}  {self.assessments} assessment(s)"


def new_patient_id() -> str:
    """A fresh internal pseudonymous id (random; carries no identifying information)."""
    return "pt-" + uuid.uuid4().hex[:12]


class StaleVersionError(RegistryError):
    """The caller's version of a record is not the stored one (someone else changed it)."""

    def __init__(self, patient_id: str, expected: int, current: int) -> None:
        self.current = current
        super().__init__(
            f"patient {patient_id!r} is at version {current}, not {expected}: "
            "reload the record and apply the change again"
        )


def _rule_ids(items: Any) -> list[str]:
    """Rule ids from a recommendation's ``acknowledged``/``overrides`` (ids only, no text)."""
    if isinstance(items, Mapping):
        items = (
            list(items.values())
            if all(isinstance(v, Mapping) for v in items.values())
            else [{"rule_id": k} for k in items]
        )
    out: list[str] = []
    for item in items if isinstance(items, list | tuple) else ():
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Mapping):
            found = item.get("rule_id", item.get("rule", item.get("id")))
            if isinstance(found, str):
                out.append(found)
    return out


class Registry:
    """The patient registry on one database, acting as ``actor`` (written to the audit log).

    ``context`` (role, route, client address, request id) is written with every audit entry;
    the clinic service gives one per request.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        actor: str,
        scorer: Scorer = score_columns,
        context: AuditContext | None = None,
    ) -> None:
        if not actor.strip():
            raise ValueError("actor must name who is acting (it is written to the audit log)")
        self.engine = engine
        self.actor = actor
        self.scorer = scorer
        self.context = context

    @classmethod
    def connect(cls, url: str, *, actor: str) -> Registry:
        """A registry on the database at ``url`` (SQLAlchemy URL)."""
        return cls(make_engine(url), actor=actor)

    # ---------------------------------------------------------------- schema

    def upgrade(self) -> None:
        """Create or migrate the schema to the newest revision."""
        _migrate.upgrade(self.engine)

    def require_current_schema(self) -> None:
        """Raise :class:`RegistryError` unless the database is at the newest revision."""
        at, head = _migrate.current(self.engine), _migrate.head()
        if at != head:
            raise RegistryError(
                f"database schema is at {at or 'nothing'}, this ptsdrx needs {head}; "
                "run `ptsdrx db upgrade` first"
            )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def audit(
        self,
        session: Session,
        action: _audit.Action,
        entity: str,
        *patient_ids: str | None,
        outcome: _audit.Outcome = "success",
        **detail: Any,
    ) -> None:
        """Append audit entries for ``patient_ids`` within ``session``'s transaction."""
        _audit.record(
            session,
            actor=self.actor,
            action=action,
            entity=entity,
            patient_ids=patient_ids,
            detail=detail or None,
            outcome=outcome,
            context=self.context,
        )

    # -------------------------------------------------------------- patients

    def add_patient(self, record: PatientRecord, identifiers: Identifiers | None = None) -> str:
        """Store a new patient; returns the internal id (the record's, else a fresh one)."""
        with self.transaction() as session:
            pid = self.insert_record(session, record, identifiers)
        return pid

    def insert_record(
        self,
        session: Session,
        record: PatientRecord,
        identifiers: Identifiers | None = None,
        **audit_detail: Any,
    ) -> str:
        """Store a record inside an open transaction (used by bulk import); audited.

        Everything that can refuse the record (id or MRN taken, items a scored instrument
        rejects) is checked before a row is added, so a refused record leaves the session as
        it was.
        """
        pid = record.patient_id or new_patient_id()
        fitted(Patient, {"patient_id": pid}, "")
        if session.get(Patient, pid) is not None:
            raise RecordFieldError("patient_id", f"{pid!r} is already in the registry")
        if identifiers is not None and identifiers.mrn is not None:
            taken = session.scalar(
                select(PatientIdentifiers.patient_id).where(
                    PatientIdentifiers.mrn == identifiers.mrn
                )
            )
            if taken is not None:
                raise RecordFieldError(
                    "identifiers.mrn", f"{identifiers.mrn!r} already belongs to patient {taken}"
                )
        rows = record_rows(record, pid, actor=self.actor, now=utcnow(), scorer=self.scorer)
        if identifiers is not None:
            values = fitted(PatientIdentifiers, columns(identifiers), "identifiers")
            rows.append(PatientIdentifiers(patient_id=pid, **values))
        session.add(rows[0])
        session.flush()
        session.add_all(rows[1:])
        session.flush()
        self.audit(
            session,
            "create",
            "patient",
            pid,
            parts=[
                n
                for n in PatientRecord.model_fields
                if n not in {"schema_version", "patient_id"} and getattr(record, n) is not None
            ],
            identifiers=identifiers is not None,
            **audit_detail,
        )
        return pid

    def require_patient(
        self, session: Session, patient_id: str, *, lock: bool = False, share: bool = False
    ) -> Patient:
        """The patient row, or :class:`PatientNotFoundError`; ``lock`` holds it until commit.

        ``share`` takes a shared lock instead: every writer of a record locks its patient
        row, so a reader holding it sees one consistent record across its several SELECTs
        (PostgreSQL's READ COMMITTED would otherwise mix two versions).
        """
        mode: Any = {"read": True} if share and not lock else lock
        patient = session.get(Patient, patient_id, with_for_update=mode)
        if patient is None:
            raise PatientNotFoundError(patient_id)
        return patient

    def record(self, patient_id: str) -> PatientRecord:
        """The patient's full ``PatientRecord`` (audited read)."""
        with self.transaction() as session:
            rec = load_record(session, self.require_patient(session, patient_id, share=True))
            self.audit(session, "read", "record", patient_id)
        return rec

    def export(self, patient_id: str) -> str:
        """The patient's record as ``PatientRecord`` JSON (audited export)."""
        with self.transaction() as session:
            rec = load_record(session, self.require_patient(session, patient_id, share=True))
            self.audit(session, "export", "record", patient_id, format="json")
        return rec.model_dump_json(indent=2, exclude_none=True)

    def export_jsonl(
        self,
        out: TextIO,
        patient_ids: Sequence[str] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Write records as JSON lines (all patients by default); returns how many.

        One consistent read in one transaction; each patient's export is audited. The output
        is what :func:`ptsdrx.registry.import_path` reads back.
        """
        with self.transaction() as session:
            if patient_ids is None:
                ids = list(
                    session.scalars(
                        select(Patient.patient_id).order_by(Patient.created_at, Patient.patient_id)
                    )
                )
            else:
                ids = list(patient_ids)
            for done, pid in enumerate(ids, start=1):
                rec = load_record(session, self.require_patient(session, pid))
                out.write(rec.model_dump_json(exclude_none=True) + "\n")
                if progress is not None:
                    progress(done, len(ids))
            self.audit(session, "export", "record", *ids, format="jsonl")
        return len(ids)

    def identifiers(self, patient_id: str) -> Identifiers | None:
        """The patient's direct identifiers, or ``None`` when none were given (audited read)."""
        with self.transaction() as session:
            self.require_patient(session, patient_id)
            row = session.get(PatientIdentifiers, patient_id)
            self.audit(session, "read", "identifiers", patient_id)
        if row is None:
            return None
        return Identifiers.of_row(row)

    def patients(self, limit: int | None = None) -> list[PatientSummary]:
        """Registered patients, oldest first (one audited read per patient listed)."""
        counts = (
            select(AssessmentRow.patient_id, func.count().label("n"))
            .group_by(AssessmentRow.patient_id)
            .subquery()
        )
        stmt = (
            select(Patient, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.patient_id == Patient.patient_id)
            .order_by(Patient.created_at, Patient.patient_id)
            .limit(limit)
        )
        with self.transaction() as session:
            found = [
                PatientSummary(
                    patient_id=p.patient_id,
                    as_of=p.as_of,
                    created_at=p.created_at.isoformat() + "Z",
                    assessments=int(n),
                )
                for p, n in session.execute(stmt)
            ]
            self.audit(session, "read", "patient_list", *(s.patient_id for s in found))
        return found

    def version(self, session: Session, patient_id: str) -> int:
        """The record's current version (its ETag)."""
        return self.require_patient(session, patient_id).version

    def update_record(
        self,
        patient_id: str,
        record: PatientRecord,
        identifiers: Identifiers | None,
        *,
        expected_version: int | None,
    ) -> int:
        """Replace a patient's record (and identifiers) in one transaction; the new version.

        ``expected_version`` is the version the caller read: another value raises
        :class:`StaleVersionError` and nothing changes (no silent overwrite). The record's
        ``patient_id`` must be absent or equal to ``patient_id``.
        """
        if record.patient_id not in (None, patient_id):
            raise RecordFieldError(
                "record.patient_id",
                f"must be {patient_id!r} (or left out), got {record.patient_id!r}",
            )
        with self.transaction() as session:
            patient = self.require_patient(session, patient_id, lock=True)
            if expected_version is not None and patient.version != expected_version:
                raise StaleVersionError(patient_id, expected_version, patient.version)
            if identifiers is not None and identifiers.mrn is not None:
                taken = session.scalar(
                    select(PatientIdentifiers.patient_id).where(
                        PatientIdentifiers.mrn == identifiers.mrn,
                        PatientIdentifiers.patient_id != patient_id,
                    )
                )
                if taken is not None:
                    raise RecordFieldError(
                        "identifiers.mrn", f"{identifiers.mrn!r} belongs to another patient"
                    )
            rows = record_rows(
                record, patient_id, actor=self.actor, now=utcnow(), scorer=self.scorer
            )
            tables: list[Any] = [
                *(c for _, c in ONE_PARTS.values()),
                *(c for _, c in LIST_PARTS.values()),
                *(c for c, _, _ in GENETIC_PARTS.values()),
                RecordSection,
            ]
            if identifiers is not None:
                tables.append(PatientIdentifiers)
                values = fitted(PatientIdentifiers, columns(identifiers), "identifiers")
                rows.append(PatientIdentifiers(patient_id=patient_id, **values))
            for table in tables:
                session.execute(delete(table).where(table.patient_id == patient_id))
            new = rows[0]
            assert isinstance(new, Patient)
            for name in SCALARS:
                if name != "patient_id":
                    setattr(patient, name, getattr(new, name))
            patient.version += 1
            session.add_all(rows[1:])
            session.flush()
            self.audit(session, "update", "record", patient_id, identifiers=identifiers is not None)
            return patient.version

    def search(
        self, query: str | None = None, *, offset: int = 0, limit: int = 50
    ) -> tuple[list[PatientSummary], int]:
        """A page of patients (oldest first) and the total matching.

        ``query`` matches the internal id or the MRN exactly, or part of the name
        (case-insensitive). Each patient listed gets an audited read.
        """
        counts = (
            select(AssessmentRow.patient_id, func.count().label("n"))
            .group_by(AssessmentRow.patient_id)
            .subquery()
        )
        where: list[Any] = []
        if query:
            pattern = "%" + query.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
            where.append(
                or_(
                    Patient.patient_id == query,
                    Patient.patient_id.in_(
                        select(PatientIdentifiers.patient_id).where(
                            or_(
                                PatientIdentifiers.mrn == query,
                                func.lower(PatientIdentifiers.name).like(pattern),
                            )
                        )
                    ),
                )
            )
        stmt = (
            select(Patient, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.patient_id == Patient.patient_id)
            .where(*where)
            .order_by(Patient.created_at, Patient.patient_id)
            .offset(offset)
            .limit(limit)
        )
        with self.transaction() as session:
            total = session.scalar(select(func.count()).select_from(Patient).where(*where)) or 0
            found = [
                PatientSummary(
                    patient_id=p.patient_id,
                    as_of=p.as_of,
                    created_at=p.created_at.isoformat() + "Z",
                    assessments=int(n),
                )
                for p, n in session.execute(stmt)
            ]
            self.audit(session, "read", "patient_list", *(s.patient_id for s in found))
        return found, int(total)

    # ----------------------------------------------------------- assessments

    def add_assessment(self, patient_id: str, administration: Administration) -> dict[str, Any]:
        """Append an administration to the patient's record; returns its stored scores.

        A follow-up dated after the record's ``as_of`` moves ``as_of`` to that date (so the
        record stays valid and describes the latest data); the audit entry says so.
        """
        with self.transaction() as session:
            patient = self.require_patient(session, patient_id, lock=True)  # one writer at a time
            advanced = patient.as_of is not None and administration.date > patient.as_of
            if advanced:  # a follow-up: the record now describes the later date
                patient.as_of = administration.date
            patient.version += 1
            last = session.scalar(
                select(func.max(AssessmentRow.position)).where(
                    AssessmentRow.patient_id == patient_id
                )
            )
            try:
                scores = self.scorer(administration)
            except ValueError as exc:
                raise RecordFieldError("responses", str(exc)) from exc
            row = AssessmentRow(
                patient_id=patient_id,
                position=0 if last is None else last + 1,
                recorded_at=utcnow(),
                recorded_by=self.actor,
                **fitted(AssessmentRow, columns(administration), "administration"),
                **scores,
            )
            session.add(row)
            if session.get(RecordSection, (patient_id, "assessments")) is None:
                session.add(RecordSection(patient_id=patient_id, section="assessments"))
            session.flush()
            extra: dict[str, Any] = (
                {"as_of_advanced_to": administration.date.isoformat()} if advanced else {}
            )
            self.audit(
                session,
                "create",
                "assessment",
                patient_id,
                assessment_id=row.id,
                instrument=administration.instrument,
                **extra,
            )
        return scores

    # ------------------------------------------------------- recommendations

    def issue_recommendation(
        self, patient_id: str, *, model_version: str, result: dict[str, Any]
    ) -> int:
        """Store a recommendation shown to a clinician (model version + full result JSON)."""
        if not model_version.strip():
            raise ValueError("model_version must name the model that produced the result")
        with self.transaction() as session:
            self.require_patient(session, patient_id)
            row = RecommendationRow(
                patient_id=patient_id,
                issued_at=utcnow(),
                issued_by=self.actor,
                model_version=model_version,
                result=result,
            )
            session.add(row)
            session.flush()
            self.audit(
                session,
                "create",
                "recommendation",
                patient_id,
                recommendation_id=row.id,
                acknowledged=_rule_ids(result.get("acknowledged") or []),
                overridden=_rule_ids(result.get("overrides") or []),
            )
        return row.id

    def issue_batch_recommendations(
        self, results: Sequence[tuple[str, dict[str, Any]]], *, model_version: str, batch_run: str
    ) -> tuple[int, int, list[str]]:
        """Store recommendations of a batch run in one transaction, each patient once per run.

        ``results`` are (patient id, result JSON) pairs; each result is stored with its
        ``batch_run``. Returns (written, already stored for this run, ids not in the
        registry): a patient already holding this run's recommendation is skipped, so a
        repeated run writes nothing twice, and a source may hold patients the registry does
        not. One audit entry per patient written.
        """
        if not model_version.strip() or not batch_run.strip():
            raise ValueError("model_version and batch_run must name the model and the run")
        ids = [pid for pid, _ in results]
        with self.transaction() as session:
            known = set(
                session.scalars(select(Patient.patient_id).where(Patient.patient_id.in_(ids)))
            )
            done = set(  # matched in the database: earlier results are not read back
                session.scalars(
                    select(RecommendationRow.patient_id).where(
                        RecommendationRow.patient_id.in_(ids),
                        RecommendationRow.result["batch_run"].as_string() == batch_run,
                    )
                )
            )
            now = utcnow()
            new: list[RecommendationRow] = []
            for pid, result in results:
                if pid in known and pid not in done:
                    done.add(pid)  # a patient listed twice is written once
                    new.append(
                        RecommendationRow(
                            patient_id=pid,
                            issued_at=now,
                            issued_by=self.actor,
                            model_version=model_version,
                            result={**result, "batch_run": batch_run},
                        )
                    )
            already = len(ids) - len(new) - sum(pid not in known for pid in ids)
            session.add_all(new)
            self.audit(
                session,
                "create",
                "recommendation",
                *(r.patient_id for r in new),
                batch_run=batch_run,
            )
        return len(new), already, [pid for pid in ids if pid not in known]

    def recommendations(self, patient_id: str) -> list[dict[str, Any]]:
        """Recommendations issued for a patient, oldest first (audited read)."""
        with self.transaction() as session:
            self.require_patient(session, patient_id)
            rows = session.scalars(
                select(RecommendationRow)
                .where(RecommendationRow.patient_id == patient_id)
                .order_by(RecommendationRow.id)
            ).all()
            self.audit(session, "read", "recommendations", patient_id)
            return [
                {
                    "id": r.id,
                    "issued_at": r.issued_at.isoformat() + "Z",
                    "issued_by": r.issued_by,
                    "model_version": r.model_version,
                    "result": r.result,
                }
                for r in rows
            ]

    # ----------------------------------------------------------------- audit

    def audit_trail(self, patient_id: str) -> tuple[AuditEntry, ...]:
        """The audit entries about a patient, oldest first (reading them is audited too)."""
        with self.transaction() as session:
            self.require_patient(session, patient_id)
            found = _audit.entries(session, patient_id)
            self.audit(session, "read", "audit_log", patient_id)
        return found
