"""Every default session rule, with a reading just under and just over its threshold."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ptsdrx.monitoring import (
    Dose,
    DosingSession,
    SessionVitals,
    load_session_rules,
    missing_required_readings,
    session_alerts,
)

T0 = datetime(2026, 3, 2, 9, 0)
DOSE = T0 + timedelta(minutes=15)


def _session(
    treatment: str,
    readings: list[tuple[float, dict[str, float]]],
    *,
    end_after_dose: float | None = None,
) -> DosingSession:
    """A dosing session; readings as (minutes after the dose, values)."""
    return DosingSession(
        phase="dosing",
        treatment=treatment,  # type: ignore[arg-type]
        start=T0,
        end=None if end_after_dose is None else DOSE + timedelta(minutes=end_after_dose),
        doses=(Dose(given_at=DOSE, amount_mg=56, route="intranasal"),),
        vitals=tuple(SessionVitals(taken_at=DOSE + timedelta(minutes=m), **v) for m, v in readings),
    )


def bp(s: float, d: float) -> dict[str, float]:
    return {"systolic": s, "diastolic": d}


PRE = (-10.0, bp(120, 70))
# rule id -> treatment -> (readings just under, readings just over)
CASES: list[tuple[str, str, list[Any], list[Any]]] = [
    ("predose_bp_above_140_90", "esketamine", [(-10, bp(140, 90))], [(-10, bp(141, 90))]),
    ("predose_bp_above_140_90", "esketamine", [(-10, bp(140, 90))], [(-10, bp(140, 91))]),
    ("predose_bp_above_140_90", "ketamine_iv", [(-10, bp(140, 90))], [(-10, bp(141, 88))]),
    ("postdose_bp_rise_40_25", "esketamine", [PRE, (40, bp(159, 94))], [PRE, (40, bp(160, 94))]),
    ("postdose_bp_rise_40_25", "ketamine_iv", [PRE, (40, bp(159, 94))], [PRE, (40, bp(159, 95))]),
    (
        "bp_pause_180_110_twice",
        "ketamine_iv",
        [PRE, (30, bp(180, 110)), (35, bp(180, 110))],
        [PRE, (30, bp(181, 100)), (35, bp(175, 111))],
    ),
    ("bp_pause_200_120_once", "esketamine", [PRE, (40, bp(200, 120))], [PRE, (40, bp(201, 100))]),
    ("bp_pause_200_120_once", "esketamine", [PRE, (40, bp(200, 120))], [PRE, (40, bp(190, 121))]),
    (
        "heart_rate_above_120_sustained",
        "ketamine_iv",
        [(30, {"heart_rate": 120}), (35, {"heart_rate": 120})],
        [(30, {"heart_rate": 121}), (35, {"heart_rate": 121})],
    ),
    ("mdma_systolic_above_160", "mdma_at", [(60, bp(160, 90))], [(60, bp(161, 90))]),
    (
        "mdma_heart_rate_above_100",
        "mdma_at",
        [(60, {"heart_rate": 100})],
        [(60, {"heart_rate": 101})],
    ),
    (
        "temperature_above_38",
        "mdma_at",
        [(90, {"temperature_c": 38.0})],
        [(90, {"temperature_c": 38.1})],
    ),
    (
        "temperature_above_38",
        "psilocybin_at",
        [(90, {"temperature_c": 38.0})],
        [(90, {"temperature_c": 38.1})],
    ),
    ("spo2_below_92", "ketamine_iv", [(20, {"spo2": 92})], [(20, {"spo2": 91})]),
]


@pytest.mark.parametrize(("rule_id", "treatment", "under", "over"), CASES)
def test_threshold_just_under_and_just_over(
    rule_id: str, treatment: str, under: list[Any], over: list[Any]
) -> None:
    quiet = session_alerts(_session(treatment, under))
    assert rule_id not in {a.rule_id for a in quiet}
    fired = [a for a in session_alerts(_session(treatment, over)) if a.rule_id == rule_id]
    assert len(fired) == 1
    alert = fired[0]
    rule = next(r for r in load_session_rules().rules if r.id == rule_id)
    assert alert.source == rule.source and alert.verification == rule.verification
    assert alert.severity == rule.severity and alert.action == rule.action
    assert "rule:" in alert.reading and (
        "min after dose" in alert.reading or "pre-dose" in alert.reading
    )
    if rule.verification == "U":
        assert "UNVERIFIED" in alert.to_text()


@pytest.mark.parametrize(("minutes", "alerted"), [(120, False), (119, True)])
@pytest.mark.parametrize("treatment", ["esketamine", "ketamine_iv"])
def test_observation_two_hours(treatment: str, minutes: float, alerted: bool) -> None:
    session = _session(treatment, [PRE, (40, bp(130, 80))], end_after_dose=minutes)
    ids = {a.rule_id for a in session_alerts(session)}
    assert ("observation_2h" in ids) is alerted
    missing = {m.rule_id for m in missing_required_readings(session)}
    assert ("observation_2h" in missing) is alerted


@pytest.mark.parametrize(
    ("minutes", "present"), [(30, True), (29, False), (50, True), (51, False), (40, True)]
)
def test_forty_minute_bp_window(minutes: float, present: bool) -> None:
    session = _session("esketamine", [PRE, (minutes, bp(130, 80))], end_after_dose=130)
    missing = {m.rule_id for m in missing_required_readings(session)}
    assert ("required_bp_40_min" not in missing) is present


def test_predose_bp_required() -> None:
    without = _session("ketamine_iv", [(40, bp(130, 80))], end_after_dose=150)
    assert [m.rule_id for m in missing_required_readings(without)] == ["required_predose_bp"]
    with_hr_only = _session("ketamine_iv", [(-5, {"heart_rate": 70}), (40, bp(130, 80))])
    assert "required_predose_bp" in {m.rule_id for m in missing_required_readings(with_hr_only)}
    complete = _session("ketamine_iv", [PRE, (40, bp(130, 80))], end_after_dose=150)
    assert missing_required_readings(complete) == ()


def test_mdma_predose_vitals_required() -> None:
    partial = _session("mdma_at", [(-10, {**bp(120, 70), "heart_rate": 70})])
    missing = missing_required_readings(partial)
    assert [m.rule_id for m in missing] == ["required_mdma_predose_vitals"]
    assert "temperature_c" in missing[0].detail
    full = _session("mdma_at", [(-10, {**bp(120, 70), "heart_rate": 70, "temperature_c": 36.8})])
    assert missing_required_readings(full) == ()


def test_pause_rule_needs_readings_close_together() -> None:
    far = _session("ketamine_iv", [PRE, (30, bp(185, 100)), (50, bp(185, 100))])
    assert "bp_pause_180_110_twice" not in {a.rule_id for a in session_alerts(far)}
    broken = _session(
        "ketamine_iv", [PRE, (30, bp(185, 100)), (33, bp(150, 90)), (36, bp(185, 100))]
    )
    assert "bp_pause_180_110_twice" not in {a.rule_id for a in session_alerts(broken)}


def test_one_alert_per_run_of_readings() -> None:
    run = [(m, {"spo2": 90}) for m in (10, 15, 20)] + [(25, {"spo2": 97}), (30, {"spo2": 89})]
    alerts = [
        a for a in session_alerts(_session("ketamine_iv", run)) if a.rule_id == "spo2_below_92"
    ]
    assert len(alerts) == 2


def test_rules_do_not_cross_treatments_or_phases() -> None:
    assert session_alerts(_session("psilocybin_at", [(-10, bp(150, 95))])) == ()
    integration = DosingSession(
        phase="integration",
        treatment="esketamine",
        start=T0,
        vitals=(SessionVitals(taken_at=T0, systolic=150, diastolic=95),),
    )
    assert session_alerts(integration) == ()
    assert missing_required_readings(integration) == ()


def test_every_default_rule_has_a_test() -> None:
    tested = {c[0] for c in CASES} | {
        "observation_2h",
        "required_bp_40_min",
        "required_predose_bp",
        "required_mdma_predose_vitals",
    }
    assert {r.id for r in load_session_rules().rules} == tested


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(36.0, 40.0, allow_nan=False).map(lambda x: round(x, 1)), max_size=8),
    st.lists(st.integers(85, 100), max_size=8),
)
def test_single_reading_rules_fire_exactly_when_a_reading_is_beyond(
    temps: list[float], spo2s: list[int]
) -> None:
    readings = [(10 + 5 * i, {"temperature_c": t}) for i, t in enumerate(temps)]
    readings += [(12 + 5 * i, {"spo2": float(v)}) for i, v in enumerate(spo2s)]
    ids = [a.rule_id for a in session_alerts(_session("psilocybin_at", readings))]
    assert ("temperature_above_38" in ids) == any(t > 38.0 for t in temps)
    assert ("spo2_below_92" in ids) == any(v < 92 for v in spo2s)
