"""The patient list, in a few queries per page (not one per patient).

Search, paging, safety flags first, latest PCL-5 with its trend, due assessments and the active
episode.

A researcher's list is de-identified, as the research API: consenting patients only
(``consent.research_use``), the service's keyed pseudonym instead of the registry id, a
search over the pseudonym only, and no identifier table read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from ptsdrx.api._security import pseudonym
from ptsdrx.monitoring import DosingSession, suggest
from ptsdrx.records import Administration, PatientRecord
from ptsdrx.registry import Registry
from ptsdrx.registry._models import (
    AssessmentRow,
    ConsentRow,
    DosingSessionRow,
    Patient,
    PatientIdentifiers,
    TreatmentEpisodeRow,
)
from ptsdrx.registry._sessions import SessionStore

PAGE_SIZE = 25
_SAFETY_INSTRUMENTS = ("phq9", "cssrs", "bdi2")


@dataclass
class Row:
    """One line of the list."""

    patient_id: str
    label: str
    flags: list[str] = field(default_factory=list)
    pcl5: float | None = None
    pcl5_date: date | None = None
    trend: str = "no earlier PCL-5"
    due: list[str] = field(default_factory=list)
    episode: str | None = None


@dataclass(frozen=True)
class Page:
    """A page of the list."""

    rows: list[Row]
    total: int
    page: int
    pages: int


def _ranked(instruments: tuple[str, ...]) -> Any:
    """Assessments numbered newest first within each patient and instrument."""
    rn = (
        func.row_number()
        .over(
            partition_by=(AssessmentRow.patient_id, AssessmentRow.instrument),
            order_by=(AssessmentRow.date.desc(), AssessmentRow.position.desc()),
        )
        .label("rn")
    )
    return (
        select(
            AssessmentRow.patient_id,
            AssessmentRow.instrument,
            AssessmentRow.date,
            AssessmentRow.score_total,
            AssessmentRow.total,
            AssessmentRow.score_flags,
            rn,
        )
        .where(AssessmentRow.instrument.in_(instruments))
        .subquery()
    )


def _flagged(session: Session) -> list[str]:
    """Patients whose latest administration of a safety instrument raised a flag.

    Flagged rows are few and indexed (``assessments.flagged``); each is kept only when no
    later administration of the same instrument exists for that patient.
    """
    a, b = aliased(AssessmentRow), aliased(AssessmentRow)
    newer = (
        select(b.id)
        .where(
            b.patient_id == a.patient_id,
            b.instrument == a.instrument,
            or_(b.date > a.date, and_(b.date == a.date, b.position > a.position)),
        )
        .exists()
    )
    stmt = (
        select(a.patient_id)
        .where(a.flagged.is_(True), a.instrument.in_(_SAFETY_INSTRUMENTS), ~newer)
        .distinct()
    )
    return list(session.scalars(stmt))


def _trend(latest: float, previous: float | None) -> str:
    if previous is None:
        return "no earlier PCL-5"
    delta = latest - previous
    if delta == 0:
        return "unchanged"
    return (
        f"{'up' if delta > 0 else 'down'} {abs(delta):g} (worse)"
        if delta > 0
        else (f"down {abs(delta):g} (better)")
    )


def page(
    registry: Registry,
    *,
    q: str = "",
    number: int = 1,
    deidentified: bool,
    secret: str,
    session_site: Any = None,
) -> Page:
    """One page of the list, safety-flagged patients first; audited as a list read."""
    q = q.strip()[:100]
    with registry.transaction() as session:
        flagged = _flagged(session)
    is_flagged = Patient.patient_id.in_(flagged) if flagged else literal(False)
    base = select(Patient.patient_id, is_flagged.label("flagged"))
    if q and not deidentified:
        like = f"%{q.lower()}%"
        base = base.outerjoin(
            PatientIdentifiers, PatientIdentifiers.patient_id == Patient.patient_id
        ).where(
            or_(
                func.lower(Patient.patient_id).like(like),
                func.lower(PatientIdentifiers.name).like(like),
                PatientIdentifiers.mrn == q,
            )
        )
    if deidentified:  # as the research API: consenting patients only
        base = base.join(ConsentRow, ConsentRow.patient_id == Patient.patient_id).where(
            ConsentRow.research_use.is_(True)
        )
    with registry.transaction() as session:
        if q and deidentified:
            ids = _pseudonym_match(session, base, q, secret)
            base = base.where(Patient.patient_id.in_(ids))
        total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
        pages = max(1, math.ceil(total / PAGE_SIZE))
        number = min(max(1, number), pages)
        found = session.execute(
            base.order_by(is_flagged.desc(), Patient.created_at, Patient.patient_id)
            .limit(PAGE_SIZE)
            .offset((number - 1) * PAGE_SIZE)
        ).all()
        ids = [pid for pid, _ in found]
        rows = {pid: Row(pid, pseudonym(secret, pid) if deidentified else pid) for pid in ids}
        _fill(session, rows, ids, session_site, registry)
        registry.audit(
            session, "read", "patient_list", *ids, deidentified=deidentified, page=number
        )
    return Page([rows[i] for i in ids], total, number, pages)


def _pseudonym_match(session: Session, base: Any, q: str, secret: str) -> list[str]:
    want = q.upper()
    all_ids = session.scalars(select(Patient.patient_id)).all()
    return [pid for pid in all_ids if want in pseudonym(secret, pid).upper()]


def _due_records(session: Session, ids: list[str]) -> dict[str, PatientRecord]:
    """Just enough of each record for the follow-up rules, in one query for the page.

    Scored assessments carry their stored total (no re-scoring); the latest PHQ-9 and
    C-SSRS keep their item responses, since the safety rule reads their flags.
    """
    rows = session.execute(
        select(
            AssessmentRow.patient_id,
            AssessmentRow.instrument,
            AssessmentRow.date,
            AssessmentRow.responses,
            AssessmentRow.total,
            AssessmentRow.score_total,
            AssessmentRow.position,
        )
        .where(AssessmentRow.patient_id.in_(ids))
        .order_by(AssessmentRow.patient_id, AssessmentRow.date, AssessmentRow.position)
    ).all()
    found = session.execute(
        select(Patient.patient_id, Patient.as_of).where(Patient.patient_id.in_(ids))
    )
    as_of = {pid: day for pid, day in found}
    latest: dict[tuple[str, str], int] = {}
    for i, r in enumerate(rows):
        latest[(r.patient_id, r.instrument)] = i
    per: dict[str, list[Administration]] = {pid: [] for pid in ids}
    for i, r in enumerate(rows):
        keep = r.instrument in _SAFETY_INSTRUMENTS and latest[(r.patient_id, r.instrument)] == i
        total = r.score_total if r.score_total is not None else r.total
        if keep and r.responses is not None:
            adm = Administration(instrument=r.instrument, date=r.date, responses=r.responses)
        elif total is not None:
            adm = Administration(instrument=r.instrument, date=r.date, total=total)
        else:
            continue
        per[r.patient_id].append(adm)
    return {
        pid: PatientRecord(patient_id=pid, as_of=as_of.get(pid), assessments=per[pid] or None)
        for pid in ids
    }


def _fill(
    session: Session, rows: dict[str, Row], ids: list[str], session_site: Any, registry: Registry
) -> None:
    if not ids:
        return
    ranked = _ranked(("pcl5", *_SAFETY_INSTRUMENTS))
    recent = session.execute(
        select(ranked).where(ranked.c.patient_id.in_(ids), ranked.c.rn <= 2)
    ).all()
    pcl: dict[str, list[tuple[date, float | None]]] = {}
    for r in recent:
        total = r.score_total if r.score_total is not None else r.total
        if r.instrument == "pcl5":
            pcl.setdefault(r.patient_id, []).append((r.date, total))
        elif r.rn == 1 and r.score_flags:
            rows[r.patient_id].flags.extend(r.score_flags)
    for pid, points in pcl.items():
        points.sort(reverse=True)
        latest_date, latest = points[0]
        if latest is None:
            continue
        row = rows[pid]
        row.pcl5, row.pcl5_date = latest, latest_date
        previous = points[1][1] if len(points) > 1 else None
        row.trend = _trend(latest, previous)
    for ep in session.scalars(
        select(TreatmentEpisodeRow).where(
            and_(TreatmentEpisodeRow.patient_id.in_(ids), TreatmentEpisodeRow.status == "active")
        )
    ):
        rows[ep.patient_id].episode = f"{ep.treatment} since {ep.started_on}"
    store = SessionStore(registry, site=session_site)
    sessions: dict[str, list[DosingSession]] = {}
    for srow in session.scalars(
        select(DosingSessionRow).where(DosingSessionRow.patient_id.in_(ids))
    ):
        sessions.setdefault(srow.patient_id, []).append(store._load(session, srow))
    records = _due_records(session, ids)
    for pid in ids:
        record = records[pid]
        today = date.today()
        found = suggest(record, sessions.get(pid, ()), as_of=max(record.as_of or today, today))
        for s in found:
            due = f" by {s.due}" if s.due else ""
            rows[pid].due.append(f"{s.kind.replace('_', ' ')}{due}")
