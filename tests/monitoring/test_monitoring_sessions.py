"""Dosing-session models, the REMS-style hard stop, and site overrides of session rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from ptsdrx.monitoring import (
    ConfigError,
    Dose,
    DosingSession,
    SessionAdverseEvent,
    SessionIncompleteError,
    SessionVitals,
    close_session,
    load_session_rules,
    review_session,
    session_alerts,
)
from ptsdrx.records import VitalSigns, format_validation_error
from ptsdrx.treatments import TREATMENT_IDS

T0 = datetime(2026, 3, 2, 9, 0)
DOSE = T0 + timedelta(minutes=15)


def _open(**extra: object) -> DosingSession:
    return DosingSession(
        phase="dosing",
        treatment="esketamine",
        start=T0,
        doses=(Dose(given_at=DOSE, amount_mg=56, route="intranasal"),),
        staff=("rn.lee",),
        **extra,  # type: ignore[arg-type]
    )


def _v(minutes: float, s: float, d: float) -> SessionVitals:
    return SessionVitals(taken_at=DOSE + timedelta(minutes=minutes), systolic=s, diastolic=d)


@pytest.mark.parametrize(
    ("payload", "field", "phrase"),
    [
        ({"treatment": "lsd"}, "treatment", "ketamine_iv"),
        ({"phase": "dosed"}, "phase", "preparation"),
        ({"status": "complete"}, "", "needs an 'end' time"),
        ({"end": T0 - timedelta(hours=1)}, "", "before start"),
        ({"status": "aborted", "end": T0 + timedelta(hours=1)}, "", "needs a 'note'"),
    ],
)
def test_bad_session_names_the_problem(payload: dict[str, object], field: str, phrase: str) -> None:
    base = {"phase": "dosing", "treatment": "esketamine", "start": T0.isoformat()}
    with pytest.raises(ValidationError) as err:
        DosingSession.model_validate({**base, **payload})
    assert phrase in str(err.value)
    if field:
        assert err.value.errors()[0]["loc"][0] == field


@pytest.mark.parametrize("treatment", TREATMENT_IDS)
def test_every_catalog_treatment_is_a_session_treatment(treatment: str) -> None:
    assert DosingSession(phase="dosing", treatment=treatment, start=T0).treatment == treatment


def test_unknown_treatment_names_field_and_every_catalog_id() -> None:
    with pytest.raises(ValidationError) as err:
        DosingSession(phase="dosing", treatment="lsd", start=T0)
    shown = format_validation_error(err.value)
    assert shown.startswith("treatment: ")
    assert all(t in shown for t in TREATMENT_IDS)
    assert "(got 'lsd')" in shown


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("systolic", 49),
        ("systolic", 301),
        ("diastolic", 19),
        ("heart_rate", 251),
        ("spo2", 49),
        ("temperature_c", 45.5),
    ],
)
def test_session_and_clinic_vitals_share_ranges_and_messages(field: str, value: float) -> None:
    """One definition: the same out-of-range reading fails both, with the same message."""
    pair = {"systolic": 120.0, "diastolic": 80.0}
    models, shown = (SessionVitals, VitalSigns), []
    for model in models:
        with pytest.raises(ValidationError) as err:
            model.model_validate({"taken_at": T0, **pair, field: value})
        shown.append(format_validation_error(err.value))
    assert shown[0] == shown[1]
    assert shown[0].startswith(f"{field}: Input should be")
    session, clinic = (m.model_json_schema()["properties"][field] for m in models)
    assert session == clinic  # same limits and description in the published schema


def test_reading_validation() -> None:
    with pytest.raises(ValidationError, match="recorded together"):
        SessionVitals(taken_at=T0, systolic=120)
    with pytest.raises(ValidationError, match="below systolic"):
        SessionVitals(taken_at=T0, systolic=90, diastolic=95)
    with pytest.raises(ValidationError, match=r"cadss: total: is 93\.0; allowed 0–92"):
        SessionVitals(taken_at=T0, cadss=93)
    with pytest.raises(ValidationError, match="amount_mg"):
        Dose(given_at=T0, route="iv")
    with pytest.raises(ValidationError, match="outside the session"):
        _open(end=T0 + timedelta(minutes=10))
    with pytest.raises(ValidationError, match="only in a dosing session"):
        DosingSession(phase="integration", treatment="mdma_at", start=T0, doses=_open().doses)
    with pytest.raises(ValidationError, match="before onset"):
        SessionAdverseEvent(term="nausea", onset=DOSE, severity="mild", resolved_at=T0)


def test_hard_stop_names_what_is_missing_then_closes() -> None:
    session = _open().with_vitals(_v(-10, 128, 78))
    with pytest.raises(SessionIncompleteError) as err:
        close_session(session, DOSE + timedelta(minutes=90))
    missing = {m.rule_id for m in err.value.missing}
    assert missing == {"required_bp_40_min", "observation_2h"}
    assert "between 09:45 and 10:05" in str(err.value)
    assert "90 of 120 minutes" in str(err.value)
    assert session.status == "open"
    complete = close_session(session.with_vitals(_v(41, 150, 88)), DOSE + timedelta(minutes=125))
    assert complete.status == "complete" and complete.end == DOSE + timedelta(minutes=125)
    with pytest.raises(ValueError, match="already complete"):
        close_session(complete, DOSE + timedelta(minutes=130))
    with pytest.raises(ValueError, match="cannot be added"):
        complete.with_vitals(_v(130, 120, 80))


def test_session_without_dose_cannot_be_complete() -> None:
    session = DosingSession(phase="dosing", treatment="ketamine_iv", start=T0)
    with pytest.raises(SessionIncompleteError, match="no dose recorded"):
        close_session(session, T0 + timedelta(hours=3))


def test_review_renders_alerts_and_missing() -> None:
    session = _open().with_vitals(_v(-10, 152, 94))
    review = review_session(session)
    assert not review.can_close
    text = review.to_text()
    assert "predose_bp_above_140_90" in text and "BP 152/94 mmHg at 09:05 (pre-dose)" in text
    assert "cannot close as complete" in text
    payload = review.to_dict()
    assert payload["alerts"][0]["rule_id"] == "predose_bp_above_140_90"
    assert payload["session"]["treatment"] == "esketamine"


def test_site_overrides_thresholds_and_marks_them(tmp_path: Path) -> None:
    site_file = tmp_path / "site.yaml"
    site_file.write_text(
        "session_rules:\n"
        "  overrides:\n"
        "    predose_bp_above_140_90: {limits: {systolic: {above: 130}, diastolic: {above: 85}}}\n"
        "    spo2_below_92: {enabled: false}\n"
        "    required_bp_40_min: {tolerance_minutes: 5}\n",
        encoding="utf-8",
    )
    session = _open().with_vitals(_v(-10, 130, 85), SessionVitals(taken_at=DOSE, spo2=85))
    assert {a.rule_id for a in session_alerts(session)} == {"spo2_below_92"}
    assert session_alerts(session, site_file) == ()
    over = session.with_vitals(_v(-5, 131, 80))
    alert = session_alerts(over, site_file)[0]
    assert alert.verification == "site" and alert.source.startswith("site setting")
    rules = {r.id: r for r in load_session_rules(site_file).rules}
    assert rules["spo2_below_92"].verification == "U"  # only disabled, not changed
    assert rules["required_bp_40_min"].tolerance_minutes == 5


@pytest.mark.parametrize(
    ("site", "phrase"),
    [
        ({"session_rules": {"overrides": {"nope": {}}}}, "unknown rule 'nope'"),
        ({"session_rules": {"remove": []}}, "unknown keys ['remove']"),
        (
            {
                "session_rules": {
                    "overrides": {"spo2_below_92": {"limits": {"spo2": {"above": 99}}}}
                }
            },
            "exactly one of",
        ),
        ({"session_rules": {"add": [{"id": "spo2_below_92"}]}}, "new unique 'id'"),
        (
            {"session_rules": {"overrides": {"observation_2h": {"enabled": False}}}},
            "verified [V] rule cannot be disabled",
        ),
        (
            {
                "session_rules": {
                    "overrides": {
                        "predose_bp_above_140_90": {"limits": {"systolic": {"above": 150}}}
                    }
                }
            },
            "limits.systolic.above = 150 would loosen the verified default 140; a site may only "
            "tighten it (allowed: <= 140)",
        ),
        (
            {"session_rules": {"overrides": {"observation_2h": {"min_minutes": 90}}}},
            "allowed: >= 120",
        ),
        (
            {"session_rules": {"overrides": {"required_bp_40_min": {"tolerance_minutes": 20}}}},
            "allowed: <= 10",
        ),
        (
            {"session_rules": {"add": [{"id": "x", "kind": "threshold", "source": "s"}]}},
            "verification",
        ),
    ],
)
def test_bad_site_settings_are_named(site: dict[str, object], phrase: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_session_rules(site)
    assert phrase in str(err.value)


def test_site_can_add_a_rule() -> None:
    site = {
        "session_rules": {
            "add": [
                {
                    "id": "cadss_above_40",
                    "kind": "threshold",
                    "treatments": ["ketamine_iv"],
                    "limits": {"cadss": {"above": 40}},
                    "severity": "info",
                    "action": "High dissociation: reassure and observe.",
                    "source": "site protocol",
                    "verification": "site",
                }
            ]
        }
    }
    session = DosingSession(
        phase="dosing",
        treatment="ketamine_iv",
        start=T0,
        vitals=(SessionVitals(taken_at=T0, cadss=41), SessionVitals(taken_at=T0, cadss=40)),
    )
    alerts = session_alerts(session, site)
    assert [a.rule_id for a in alerts] == ["cadss_above_40"]
    assert "CADSS 41" in alerts[0].reading
