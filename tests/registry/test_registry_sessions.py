"""Dosing sessions stored in the registry, evaluated by the monitoring alert engine."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ptsdrx.monitoring import (
    Dose,
    DosingSession,
    SessionIncompleteError,
    SessionVitals,
)
from ptsdrx.monitoring import (
    SessionAdverseEvent as AdverseEvent,
)
from ptsdrx.records import PatientRecord
from ptsdrx.registry import Registry, RegistryError
from ptsdrx.registry._sessions import SessionStore

TZ = timezone(timedelta(hours=-7))
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=TZ)


def _minutes(m: float) -> datetime:
    return T0 + timedelta(minutes=m)


@pytest.fixture
def store(registry: Registry) -> SessionStore:
    registry.add_patient(PatientRecord(patient_id="p1"))
    return SessionStore(registry)


def _start(store: SessionStore, treatment: str = "esketamine") -> str:
    review = store.start(
        "p1",
        DosingSession(phase="dosing", treatment=treatment, start=T0, staff=("rn.a", "md.b")),
    )
    assert review.session.session_id is not None
    return review.session.session_id


def test_session_round_trips_exactly(store: SessionStore) -> None:
    sid = _start(store)
    dose = Dose(given_at=_minutes(10), amount_mg=56, route="intranasal")
    vitals = [
        SessionVitals(taken_at=_minutes(0), systolic=128, diastolic=82, heart_rate=70),
        SessionVitals(taken_at=_minutes(50), systolic=131, diastolic=84, cadss=14.5, taken_by="a"),
    ]
    event = AdverseEvent(
        term="nausea", onset=_minutes(30), severity="mild", action="ondansetron", resolved_at=None
    )
    store.add_vitals(sid, vitals[0])
    store.add_doses(sid, dose)
    store.add_vitals(sid, vitals[1])
    store.add_adverse_events(sid, event)
    (stored,) = store.for_patient("p1")
    assert stored.doses == (dose,)
    assert stored.vitals == tuple(vitals)
    assert stored.adverse_events == (event,)
    assert stored.staff == ("rn.a", "md.b")
    assert stored.start.isoformat() == T0.isoformat()
    assert stored.patient_id == "p1" and stored.session_id == sid


@pytest.mark.parametrize(
    ("bp", "alerted"),
    [((140, 90), False), ((141, 90), True), ((140, 91), True)],
    ids=["at-limit", "systolic-over", "diastolic-over"],
)
def test_predose_bp_alert_is_raised_and_kept(
    store: SessionStore, bp: tuple[int, int], alerted: bool
) -> None:
    sid = _start(store)
    review = store.add_vitals(
        sid, SessionVitals(taken_at=_minutes(0), systolic=bp[0], diastolic=bp[1])
    )
    ids = [a.rule_id for a in review.alerts]
    assert ("predose_bp_above_140_90" in ids) is alerted
    kept = [a["rule_id"] for a in store.alerts(sid)]
    assert ("predose_bp_above_140_90" in kept) is alerted
    if alerted:
        assert "SPRAVATO" in store.alerts(sid)[0]["source"]


def test_alert_is_kept_once(store: SessionStore) -> None:
    sid = _start(store)
    store.add_vitals(sid, SessionVitals(taken_at=_minutes(0), systolic=150, diastolic=85))
    store.add_vitals(sid, SessionVitals(taken_at=_minutes(5), heart_rate=70))
    assert [a["rule_id"] for a in store.alerts(sid)] == ["predose_bp_above_140_90"]


def test_close_is_refused_while_readings_are_missing(store: SessionStore) -> None:
    sid = _start(store)
    store.add_vitals(sid, SessionVitals(taken_at=_minutes(0), systolic=120, diastolic=80))
    store.add_doses(sid, Dose(given_at=_minutes(5), amount_mg=56, route="intranasal"))
    with pytest.raises(SessionIncompleteError) as info:
        store.close(sid, _minutes(60))
    missing = {m.rule_id for m in info.value.missing}
    assert "observation_2h" in missing
    assert store.review(sid).session.status == "open"
    refused = [e for e in store.registry.audit_trail("p1") if "refused" in e.entity]
    assert refused and refused[0].detail is not None
    assert set(refused[0].detail["missing"]) == missing


def test_close_complete_after_required_readings(store: SessionStore) -> None:
    sid = _start(store)
    store.add_vitals(sid, SessionVitals(taken_at=_minutes(0), systolic=120, diastolic=80))
    store.add_doses(sid, Dose(given_at=_minutes(5), amount_mg=56, route="intranasal"))
    store.add_vitals(sid, SessionVitals(taken_at=_minutes(45), systolic=130, diastolic=85))
    review = store.close(sid, _minutes(130))
    assert review.session.status == "complete" and review.can_close
    (stored,) = store.for_patient("p1")
    assert stored.status == "complete" and stored.end == _minutes(130)
    with pytest.raises(RegistryError, match="complete"):
        store.add_vitals(sid, SessionVitals(taken_at=_minutes(140), heart_rate=60))


def test_abort_needs_no_readings(store: SessionStore) -> None:
    sid = _start(store)
    review = store.close(sid, _minutes(3), aborted_note="vomiting before dosing")
    assert review.session.status == "aborted"
    assert review.session.note == "vomiting before dosing"


def test_site_thresholds_apply(registry: Registry) -> None:
    registry.add_patient(PatientRecord(patient_id="p1"))
    site = {
        "session_rules": {
            "overrides": {
                "predose_bp_above_140_90": {
                    "limits": {"systolic": {"above": 130}, "diastolic": {"above": 85}}
                }
            }
        }
    }
    store = SessionStore(registry, site=site)
    sid = _start(store)
    review = store.add_vitals(sid, SessionVitals(taken_at=_minutes(0), systolic=135, diastolic=80))
    assert [a.rule_id for a in review.alerts] == ["predose_bp_above_140_90"]


def test_bad_session_input_is_refused(store: SessionStore) -> None:
    with pytest.raises(RegistryError, match="whole number"):
        store.review("abc")
    with pytest.raises(RegistryError, match="no dosing session"):
        store.review("999")
    sid = _start(store)
    with pytest.raises(ValueError, match="outside the session"):
        store.add_doses(sid, Dose(given_at=_minutes(-30), amount_mg=56, route="intranasal"))
    assert store.review(sid).session.doses == ()
