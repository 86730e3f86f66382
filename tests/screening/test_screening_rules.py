"""Every screening rule: a patient that triggers it, one that does not, one with the data missing.

The base patient is fully known and triggers nothing. Each case is a small, hand-written change
to that patient which, by the rule's clinical meaning, must fire it, and a change that removes
the data the rule reads, which must leave it ``unknown`` and name the missing field. The table
is checked against the rules file so a new rule cannot land without its three cases.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from ptsdrx.records import PatientRecord
from ptsdrx.screening import load_rules, screen

AS_OF = date(2026, 6, 1)
Patch = Callable[[dict[str, Any]], None]


def base() -> dict[str, Any]:
    """A fully assessed patient with no contraindication to anything."""
    today = AS_OF.isoformat()
    return {
        "patient_id": "base",
        "as_of": today,
        "demographics": {"age": 35, "sex": "female", "pregnant": False, "lactating": False},
        "assessments": [
            {"instrument": "phq9", "date": today, "responses": [1, 1, 1, 1, 0, 1, 0, 0, 0]},
            {"instrument": "cssrs", "date": today, "responses": [0, 0, None, None, None, 0, None]},
        ],
        "diagnoses": [{"condition": "ptsd", "status": "current"}],
        "diagnoses_complete": True,
        "family_history": {"psychosis": False, "bipolar": False},
        "medications": [],
        "vitals": [
            {
                "taken_at": f"{today}T09:00:00",
                "systolic": 122,
                "diastolic": 78,
                "heart_rate": 70,
                "qtc_ms": 420,
            }
        ],
        "prior_treatments": [{"treatment": "prazosin", "response": "partial"}],
    }


# ------------------------------------------------------------------------ patch builders


def dx(*conditions: str, status: str = "current") -> Patch:
    def patch(d: dict[str, Any]) -> None:
        d["diagnoses"] += [{"condition": c, "status": status} for c in conditions]

    return patch


def med(name: str, stopped_days_ago: int | None = None, started_days_ago: int = 1000) -> Patch:
    def patch(d: dict[str, Any]) -> None:
        entry: dict[str, Any] = {
            "name": name,
            "start": (AS_OF - timedelta(days=started_days_ago)).isoformat(),
        }
        if stopped_days_ago is not None:
            entry["stop"] = (AS_OF - timedelta(days=stopped_days_ago)).isoformat()
        d["medications"].append(entry)

    return patch


def setv(path: str, value: Any) -> Patch:
    """Set a nested value, e.g. ``setv('demographics.pregnant', True)``."""

    def patch(d: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        target = d
        for p in parents:
            target = target[p]
        target[leaf] = value

    return patch


def vitals(**readings: Any) -> Patch:
    def patch(d: dict[str, Any]) -> None:
        d["vitals"][0].update(readings)

    return patch


def item(instrument: str, responses: list[Any], days_ago: int = 0) -> Patch:
    def patch(d: dict[str, Any]) -> None:
        for a in d["assessments"]:
            if a["instrument"] == instrument:
                a["responses"] = responses
                a["date"] = (AS_OF - timedelta(days=days_ago)).isoformat()

    return patch


def drop_assessment(instrument: str) -> Patch:
    def patch(d: dict[str, Any]) -> None:
        d["assessments"] = [a for a in d["assessments"] if a["instrument"] != instrument]

    return patch


def both(*patches: Patch) -> Patch:
    def patch(d: dict[str, Any]) -> None:
        for p in patches:
            p(d)

    return patch


NO_DX = setv("diagnoses_complete", False)  # unlisted conditions become unknown
NO_MEDS = setv("medications", None)
NO_VITALS = setv("vitals", None)
NO_FAMILY = setv("family_history", None)
CSSRS_HIGH = [1, 1, 1, 1, 0, 0, None]
PHQ9_ITEM9 = [1, 1, 1, 1, 0, 1, 0, 0, 2]

# rule id -> (patch that fires it, patch that removes its data, a missing field it must name)
CASES: dict[str, tuple[Patch, Patch, str]] = {
    "safety_cssrs_high_risk": (
        item("cssrs", CSSRS_HIGH),
        drop_assessment("cssrs"),
        "assessments.cssrs (within 30 days)",
    ),
    "safety_phq9_item9_unassessed": (
        both(item("phq9", PHQ9_ITEM9), item("cssrs", [0, 0, None, None, None, 0, None], 10)),
        both(
            item("phq9", [1, 1, 1, 1, 0, 1, 0, 0, None]),
            item("cssrs", [0, 0, None, None, None, 0, None], 10),
        ),
        "assessments.phq9.item9",
    ),
    "mdma_psychotic_disorder": (
        dx("psychotic_disorder", status="past"),
        NO_DX,
        "diagnoses.psychotic_disorder",
    ),
    "mdma_bipolar_i": (dx("bipolar_i", status="past"), NO_DX, "diagnoses.bipolar_i"),
    "mdma_dissociative_identity_disorder": (
        dx("dissociative_identity_disorder"),
        NO_DX,
        "diagnoses.dissociative_identity_disorder",
    ),
    "mdma_eating_disorder_purging": (
        dx("eating_disorder_with_purging"),
        NO_DX,
        "diagnoses.eating_disorder_with_purging",
    ),
    "mdma_mdd_psychotic_features": (
        dx("mdd_with_psychotic_features", status="past"),
        NO_DX,
        "diagnoses.mdd_with_psychotic_features",
    ),
    "mdma_personality_disorder": (
        dx("borderline_personality_disorder"),
        NO_DX,
        "diagnoses.borderline_personality_disorder",
    ),
    "mdma_substance_use_disorder": (
        dx("alcohol_use_disorder"),
        NO_DX,
        "diagnoses.alcohol_use_disorder",
    ),
    "mdma_pregnancy_lactation": (
        setv("demographics.lactating", True),
        setv("demographics.pregnant", None),
        "demographics.pregnant",
    ),
    "mdma_uncontrolled_hypertension": (
        vitals(systolic=150, diastolic=85),
        NO_VITALS,
        "vitals.systolic (within 90 days)",
    ),
    "mdma_arrhythmia": (dx("arrhythmia", status="past"), NO_DX, "diagnoses.arrhythmia"),
    "mdma_qtc_prolongation": (
        vitals(qtc_ms=480),
        vitals(qtc_ms=None),
        "vitals.qtc_ms (within 90 days)",
    ),
    "mdma_maoi": (med("phenelzine", stopped_days_ago=10), NO_MEDS, "medications"),
    "mdma_serotonergic_recent": (med("sertraline", stopped_days_ago=20), NO_MEDS, "medications"),
    "mdma_psychotropic_washout": (med("quetiapine"), NO_MEDS, "medications"),
    "mdma_hepatic_impairment": (dx("hepatic_impairment"), NO_DX, "diagnoses.hepatic_impairment"),
    "ketamine_psychosis": (
        dx("mdd_with_psychotic_features"),
        NO_DX,
        "diagnoses.mdd_with_psychotic_features",
    ),
    "ketamine_bipolar": (dx("bipolar_ii", status="past"), NO_DX, "diagnoses.bipolar_ii"),
    "ketamine_dementia": (dx("dementia"), NO_DX, "diagnoses.dementia"),
    "ketamine_substance_use_disorder": (
        dx("substance_use_disorder"),
        NO_DX,
        "diagnoses.substance_use_disorder",
    ),
    "ketamine_substance_use_history": (
        dx("alcohol_use_disorder", status="past"),
        NO_DX,
        "diagnoses.alcohol_use_disorder",
    ),
    "ketamine_pregnancy": (
        setv("demographics.pregnant", True),
        setv("demographics.pregnant", None),
        "demographics.pregnant",
    ),
    "ketamine_lactation": (
        setv("demographics.lactating", True),
        setv("demographics.lactating", None),
        "demographics.lactating",
    ),
    "ketamine_vascular": (
        dx("arteriovenous_malformation", status="past"),
        NO_DX,
        "diagnoses.intracerebral_haemorrhage",
    ),
    "ketamine_raised_icp": (
        dx("raised_intracranial_pressure"),
        NO_DX,
        "diagnoses.raised_intracranial_pressure",
    ),
    "ketamine_uncontrolled_hypertension": (
        vitals(systolic=135, diastolic=95),
        NO_VITALS,
        "vitals.diastolic (within 90 days)",
    ),
    "ketamine_hypertension_diagnosis": (dx("hypertension"), NO_DX, "diagnoses.hypertension"),
    "psilocybin_psychosis_personal": (
        dx("psychotic_disorder", status="past"),
        NO_DX,
        "diagnoses.psychotic_disorder",
    ),
    "psilocybin_psychosis_family": (
        setv("family_history.psychosis", True),
        NO_FAMILY,
        "family_history.psychosis",
    ),
    "psilocybin_bipolar_i": (dx("bipolar_i"), NO_DX, "diagnoses.bipolar_i"),
    "psilocybin_bipolar_family": (
        setv("family_history.bipolar", True),
        setv("family_history.bipolar", None),
        "family_history.bipolar",
    ),
    "psilocybin_lithium": (med("lithium carbonate"), NO_MEDS, "medications"),
    "psilocybin_cardiovascular": (
        dx("myocardial_infarction", status="past"),
        NO_DX,
        "diagnoses.coronary_artery_disease",
    ),
    "psilocybin_uncontrolled_hypertension": (
        vitals(systolic=160, diastolic=100),
        NO_VITALS,
        "vitals.systolic (within 90 days)",
    ),
    "psilocybin_pregnancy": (
        setv("demographics.pregnant", True),
        setv("demographics.pregnant", None),
        "demographics.pregnant",
    ),
    "psilocybin_substance_use_disorder": (
        dx("substance_use_disorder"),
        NO_DX,
        "diagnoses.substance_use_disorder",
    ),
    "investigational_psychiatric": (
        setv("family_history.psychosis", True),
        both(NO_DX, NO_FAMILY),
        "family_history.psychosis",
    ),
    "investigational_cardiac": (
        vitals(qtc_ms=470),
        vitals(qtc_ms=None),
        "vitals.qtc_ms (within 90 days)",
    ),
    "investigational_pregnancy": (
        setv("demographics.pregnant", True),
        setv("demographics.pregnant", None),
        "demographics.pregnant",
    ),
    "investigational_lithium": (med("lithium"), NO_MEDS, "medications"),
    "sertraline_maoi": (med("linezolid", stopped_days_ago=14), NO_MEDS, "medications"),
    "paroxetine_venlafaxine_maoi": (
        med("methylene blue", stopped_days_ago=3),
        NO_MEDS,
        "medications",
    ),
    "sertraline_pimozide": (med("pimozide"), NO_MEDS, "medications"),
    "paroxetine_pimozide": (med("pimozide"), NO_MEDS, "medications"),
    "sertraline_disulfiram": (med("disulfiram"), NO_MEDS, "medications"),
    "antidepressant_bipolar": (dx("bipolar_i", status="past"), NO_DX, "diagnoses.bipolar_i"),
    "antidepressant_bipolar_family": (
        setv("family_history.bipolar", True),
        NO_FAMILY,
        "family_history.bipolar",
    ),
    "antidepressant_pregnancy": (
        setv("demographics.pregnant", True),
        setv("demographics.pregnant", None),
        "demographics.pregnant",
    ),
    "antidepressant_serotonergic": (med("tramadol"), NO_MEDS, "medications"),
    "venlafaxine_hypertension": (
        dx("hypertension"),
        both(NO_VITALS, NO_DX),
        "diagnoses.hypertension",
    ),
    "prazosin_hypotension": (
        dx("orthostatic_hypotension"),
        NO_DX,
        "diagnoses.orthostatic_hypotension",
    ),
    "prazosin_low_systolic": (
        vitals(systolic=104, diastolic=66),
        NO_VITALS,
        "vitals.systolic (within 90 days)",
    ),
    "prazosin_alpha1_blocker": (med("tamsulosin"), NO_MEDS, "medications"),
    "prazosin_beta_blocker": (med("propranolol hydrochloride"), NO_MEDS, "medications"),
    "prazosin_first_dose_syncope": (
        setv("prior_treatments", []),
        setv("prior_treatments", None),
        "prior_treatments",
    ),
    "prazosin_heart_failure": (dx("heart_failure"), NO_DX, "diagnoses.heart_failure"),
}


# The status a fired rule gives the otherwise clean base patient (graded effects).
FIRED_STATUS = {
    "contraindicated": "contraindicated",
    "exclude": "excluded",
    "hold": "hold",
    "caution_major": "caution",
    "caution": "caution",
    "note": "eligible",
}


def _record(*patches: Patch) -> PatientRecord:
    d = copy.deepcopy(base())
    for p in patches:
        p(d)
    return PatientRecord.model_validate(d)


def _outcome(record: PatientRecord, rule_id: str) -> tuple[str, tuple[str, ...], str, str]:
    """(outcome, missing, status, treatment) of a rule for one treatment it applies to."""
    rule = load_rules().rule(rule_id)
    treatment = sorted(rule.treatments)[0]
    ts = screen(record, treatments=[treatment]).per_treatment[treatment]
    (found,) = [r for r in ts.rules if r.id == rule_id]
    return found.outcome, found.missing, ts.status, treatment


def test_every_rule_has_its_three_cases() -> None:
    assert set(CASES) == {r.id for r in load_rules().rules}


def test_base_patient_is_eligible_for_everything() -> None:
    result = screen(_record())
    assert {t: ts.status for t, ts in result.per_treatment.items()} == dict.fromkeys(
        load_rules().treatments, "eligible"
    )
    assert result.safety_flags == ()


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_not_fired_for_base_patient(rule_id: str) -> None:
    outcome, missing, _, _ = _outcome(_record(), rule_id)
    assert (outcome, missing) == ("not_fired", ())


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires(rule_id: str) -> None:
    fire, _, _ = CASES[rule_id]
    outcome, _, status, _ = _outcome(_record(fire), rule_id)
    assert outcome == "fired"
    effect = load_rules().rule(rule_id).effect
    assert status == FIRED_STATUS[effect]


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_unknown_when_data_missing(rule_id: str) -> None:
    _, remove, field = CASES[rule_id]
    outcome, missing, status, _ = _outcome(_record(remove), rule_id)
    assert outcome == "unknown"
    assert field in missing
    effect = load_rules().rule(rule_id).effect
    if effect in {"contraindicated", "exclude", "hold"}:
        assert status == "needs_information"
    elif effect == "note":  # a note is never part of the status
        assert status == "eligible"
    else:  # an unevaluated caution still warns
        assert status in {"caution", "needs_information"}


# ------------------------------------------------------------ boundaries and special cases


@pytest.mark.parametrize(
    ("stopped_days_ago", "expected"),
    [(None, "fired"), (0, "fired"), (14, "fired"), (15, "not_fired"), (400, "not_fired")],
)
def test_maoi_fourteen_day_window(stopped_days_ago: int | None, expected: str) -> None:
    # Zoloft monograph: not within 14 days of stopping an MAOI (FACTS 6.4).
    record = _record(med("phenelzine", stopped_days_ago=stopped_days_ago))
    assert _outcome(record, "sertraline_maoi")[0] == expected


def test_medication_started_after_the_record_date_is_not_taken() -> None:
    record = _record(med("phenelzine", started_days_ago=-5))
    assert _outcome(record, "sertraline_maoi")[0] == "not_fired"


def test_prazosin_itself_is_not_another_alpha_blocker() -> None:
    record = _record(med("prazosin"))
    assert _outcome(record, "prazosin_alpha1_blocker")[0] == "not_fired"
    assert _outcome(record, "prazosin_first_dose_syncope")[0] == "not_fired"


def test_bp_exactly_at_the_limit_is_not_above_it() -> None:
    # Spravato guide: elevated means above 140/90 (FACTS 6.2).
    record = _record(vitals(systolic=140, diastolic=90))
    assert _outcome(record, "ketamine_uncontrolled_hypertension")[0] == "not_fired"


def test_stale_vitals_are_unknown_and_latest_reading_wins() -> None:
    old = (AS_OF - timedelta(days=120)).isoformat()
    stale = _record(
        setv("vitals", [{"taken_at": f"{old}T09:00:00", "systolic": 190, "diastolic": 100}])
    )
    assert _outcome(stale, "mdma_uncontrolled_hypertension")[:2] == (
        "unknown",
        ("vitals.diastolic (within 90 days)", "vitals.systolic (within 90 days)"),
    )
    recent = (AS_OF - timedelta(days=30)).isoformat()
    newer = _record(
        lambda d: d["vitals"].append(
            {"taken_at": f"{recent}T09:00:00", "systolic": 170, "diastolic": 100}
        )
    )
    assert _outcome(newer, "mdma_uncontrolled_hypertension")[0] == "not_fired"  # base is later


def test_stale_cssrs_counts_as_not_done() -> None:
    record = _record(item("cssrs", [0, 0, None, None, None, 0, None], days_ago=45))
    outcome, missing, status, _ = _outcome(record, "safety_cssrs_high_risk")
    assert (outcome, missing, status) == (
        "unknown",
        ("assessments.cssrs (within 30 days)",),
        "needs_information",
    )


def test_positive_item9_followed_by_cssrs_is_assessed() -> None:
    record = _record(item("phq9", PHQ9_ITEM9))  # C-SSRS the same day, no risk
    assert _outcome(record, "safety_phq9_item9_unassessed")[0] == "not_fired"
    result = screen(record)
    assert [f.id for f in result.safety_flags] == ["phq9_item9_positive"]
    assert result.status("cpt") == "eligible"


def test_unscorable_cssrs_is_unknown_with_the_reason() -> None:
    record = _record(item("cssrs", [None, 0, None, None, None, 0, None]))
    outcome, missing, _, _ = _outcome(record, "safety_cssrs_high_risk")
    assert outcome == "unknown"
    assert "not scorable" in missing[0] and "Q1" in missing[0]


def test_male_patient_needs_no_pregnancy_status() -> None:
    record = _record(setv("demographics.sex", "male"), setv("demographics.pregnant", None))
    assert _outcome(record, "psilocybin_pregnancy")[0] == "not_fired"


def test_cssrs_high_risk_holds_every_treatment_and_is_flagged() -> None:
    result = screen(_record(item("cssrs", CSSRS_HIGH)))
    assert set(result.by_status("hold")) == set(load_rules().treatments)
    assert [f.id for f in result.safety_flags] == ["cssrs_high_risk"]
    assert result.safety_flags[0].suicide_risk
    assert "URGENT cssrs_high_risk" in result.summary()
