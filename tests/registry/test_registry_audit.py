"""Every read and write of patient data is in the audit log, and the log is append-only."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ptsdrx.monitoring import Dose, DosingSession, SessionVitals
from ptsdrx.monitoring import SessionAdverseEvent as AdverseEvent
from ptsdrx.records import Administration, PatientRecord
from ptsdrx.registry import (
    Identifiers,
    RecordFieldError,
    Registry,
    _audit,
    episodes,
    import_path,
    start_episode,
)
from ptsdrx.registry._sessions import SessionStore

T0 = datetime(2026, 1, 5, 9, 0)


def _session() -> DosingSession:
    return DosingSession(phase="dosing", treatment="ketamine_iv", start=T0, staff=("rn.a",))


def _with_session(reg: Registry) -> str:
    review = SessionStore(reg).start("p1", _session())
    assert review.session.session_id is not None
    return review.session.session_id


# (operation, expected (action, entity)) — each operation touches patient p1's data.
OPERATIONS: dict[str, tuple[Callable[[Registry, Path], object], tuple[str, str]]] = {
    "read record": (lambda r, _: r.record("p1"), ("read", "record")),
    "export": (lambda r, _: r.export("p1"), ("export", "record")),
    "read identifiers": (lambda r, _: r.identifiers("p1"), ("read", "identifiers")),
    "list": (lambda r, _: r.patients(), ("read", "patient_list")),
    "assess": (
        lambda r, _: r.add_assessment(
            "p1", Administration(instrument="phq9", date=date(2026, 1, 2), responses=[0] * 9)
        ),
        ("create", "assessment"),
    ),
    "recommendation": (
        lambda r, _: r.issue_recommendation("p1", model_version="m-1", result={"ranked": []}),
        ("create", "recommendation"),
    ),
    "read recommendations": (lambda r, _: r.recommendations("p1"), ("read", "recommendations")),
    "audit trail": (lambda r, _: r.audit_trail("p1"), ("read", "audit_log")),
    "session start": (lambda r, _: _with_session(r), ("create", "dosing_session")),
    "session vitals": (
        lambda r, _: SessionStore(r).add_vitals(
            _with_session(r), SessionVitals(taken_at=T0, systolic=120, diastolic=80)
        ),
        ("create", "session_vitals"),
    ),
    "session dose": (
        lambda r, _: SessionStore(r).add_doses(
            _with_session(r), Dose(given_at=T0 + timedelta(minutes=5), mg_per_kg=0.5, route="iv")
        ),
        ("create", "session_doses"),
    ),
    "session review": (
        lambda r, _: SessionStore(r).review(_with_session(r)),
        ("read", "dosing_session"),
    ),
    "session list": (lambda r, _: SessionStore(r).for_patient("p1"), ("read", "dosing_sessions")),
    "session adverse event": (
        lambda r, _: SessionStore(r).add_adverse_events(
            _with_session(r), AdverseEvent(term="nausea", onset=T0, severity="mild")
        ),
        ("create", "session_adverse_events"),
    ),
    "session alerts": (
        lambda r, _: SessionStore(r).alerts(_with_session(r)),
        ("read", "session_alerts"),
    ),
    "export all": (lambda r, _: r.export_jsonl(io.StringIO()), ("export", "record")),
    "episode": (
        lambda r, _: start_episode(r, "p1", "ketamine_iv", date(2026, 1, 5)),
        ("create", "episode"),
    ),
    "episodes": (lambda r, _: episodes(r, "p1"), ("read", "episodes")),
    "session close aborted": (
        lambda r, _: SessionStore(r).close(
            _with_session(r), T0 + timedelta(minutes=3), aborted_note="patient declined"
        ),
        ("update", "dosing_session"),
    ),
}


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_every_access_is_audited(registry: Registry, tmp_path: Path, name: str) -> None:
    registry.add_patient(
        PatientRecord(patient_id="p1", as_of=date(2026, 1, 10)), Identifiers(mrn="M1")
    )
    operation, (action, entity) = OPERATIONS[name]
    with registry.transaction() as s:
        before = len(_audit.entries(s, "p1"))
    operation(registry, tmp_path)
    with registry.transaction() as s:
        new = _audit.entries(s, "p1")[before:]
    assert (action, entity) in {(e.action, e.entity) for e in new}
    assert all(e.actor == "dr.test" for e in new)


def test_create_and_import_are_audited_with_their_source(
    registry: Registry, tmp_path: Path
) -> None:
    src = tmp_path / "one.json"
    src.write_text(PatientRecord(patient_id="imp").model_dump_json(), encoding="utf-8")
    import_path(registry, src)
    (entry,) = [e for e in registry.audit_trail("imp") if e.action == "create"]
    assert entry.entity == "patient" and entry.detail is not None
    assert entry.detail["source"] == str(src)


def test_refused_write_leaves_no_entry(registry: Registry) -> None:
    registry.add_patient(PatientRecord(patient_id="p1"))
    bad = Administration(instrument="phq9", date=date(2026, 1, 2), responses=[7] * 9)
    with pytest.raises(RecordFieldError, match="responses"):
        registry.add_assessment("p1", bad)
    actions = [(e.action, e.entity) for e in registry.audit_trail("p1")]
    assert actions == [("create", "patient")]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"],
)
def test_database_refuses_to_change_the_audit_log(registry: Registry, statement: str) -> None:
    registry.add_patient(PatientRecord(patient_id="p1"))
    with pytest.raises(DBAPIError, match="append-only"), registry.engine.begin() as conn:
        conn.execute(text(statement))
    assert [e.actor for e in registry.audit_trail("p1")] == ["dr.test"]


def test_postgresql_refuses_truncate(registry: Registry) -> None:
    if registry.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    with pytest.raises(DBAPIError, match="append-only"), registry.engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_log"))


def test_code_has_no_update_or_delete_path() -> None:
    public = {n for n in dir(_audit) if not n.startswith("_")}
    assert not {n for n in public if any(w in n for w in ("update", "delete", "remove", "edit"))}
    assert not any(hasattr(Registry, n) for n in ("delete_patient", "update_audit", "purge"))
