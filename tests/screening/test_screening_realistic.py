"""Records as an EHR holds them: codes, brand names, unknown drugs, partial histories.

A rule that silently fails to match is as dangerous as a missing rule. These tests write the
record the way it arrives (a coded problem list, medication names with strengths and brands,
a psychiatric history not yet taken) and check the rule still reads it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from ptsdrx.records import PatientRecord
from ptsdrx.screening import screen

AS_OF = date(2026, 6, 1)


def record(**parts: Any) -> PatientRecord:
    """A clean, fully assessed patient, with ``parts`` replacing whole sections."""
    today = AS_OF.isoformat()
    base: dict[str, Any] = {
        "as_of": today,
        "demographics": {"age": 40, "sex": "male"},
        "assessments": [
            {"instrument": "phq9", "date": today, "responses": [1] * 8 + [0]},
            {"instrument": "cssrs", "date": today, "responses": [0, 0, None, None, None, 0, None]},
        ],
        "diagnoses": [{"condition": "ptsd", "status": "current"}],
        "diagnoses_complete": True,
        "family_history": {"psychosis": False, "bipolar": False},
        "medications": [],
        "vitals": [
            {"taken_at": f"{today}T09:00:00", "systolic": 120, "diastolic": 75, "qtc_ms": 410}
        ],
        "prior_treatments": [],
    }
    base.update(parts)
    return PatientRecord.model_validate(base)


def fired(result: Any, treatment: str) -> set[str]:
    return {r.id for r in result.per_treatment[treatment].fired}


@pytest.mark.parametrize(
    ("written", "treatment", "rule"),
    [
        ("Nardil 15mg tablets", "sertraline", "sertraline_maoi"),
        ("phenelzine sulphate", "venlafaxine", "paroxetine_venlafaxine_maoi"),
        ("Lithobid 300 mg ER", "psilocybin_at", "psilocybin_lithium"),
        ("Lithium Carbonate", "ibogaine", "investigational_lithium"),
        ("Paxlovid", "mdma_at", "mdma_pk_booster"),
        ("Wellbutrin XL 300mg", "mdma_at", "mdma_bupropion"),
        ("Mellaril 25 mg", "paroxetine", "paroxetine_thioridazine"),
        ("Nolvadex", "paroxetine", "paroxetine_tamoxifen"),
        ("Viagra", "prazosin", "prazosin_pde5_inhibitor"),
        ("Toprol-XL 50", "prazosin", "prazosin_beta_blocker"),
        ("Ultram 50 mg", "mdma_at", "mdma_serotonergic_opioid_triptan"),
        ("Methadose", "ibogaine", "ibogaine_opioid"),
        ("Xanax XR", "ketamine_iv", "ketamine_benzodiazepine"),
        ("Vyvanse 30", "esketamine", "ketamine_stimulant"),
        ("Orap", "sertraline", "sertraline_pimozide"),
        ("Eliquis 5 mg BID", "sertraline", "antidepressant_bleeding_risk"),
    ],
)
def test_medication_rules_read_names_as_clinicians_write_them(
    written: str, treatment: str, rule: str
) -> None:
    result = screen(record(medications=[{"name": written}]))
    assert rule in fired(result, treatment)
    assert result.unrecognised_medications == ()


def test_unrecognised_medication_makes_medication_rules_unknown_and_is_reported() -> None:
    result = screen(record(medications=[{"name": "Zorblax 10 mg"}]))
    assert result.unrecognised_medications == ("zorblax 10 mg",)
    for tid in ("sertraline", "paroxetine", "mdma_at", "psilocybin_at", "prazosin", "ibogaine"):
        ts = result.per_treatment[tid]
        assert ts.status == "needs_information", tid
        assert any("not in the drug vocabulary" in m for m in ts.missing), tid
    for tid in ("cpt", "pe", "emdr"):  # no medication rule: unaffected
        assert result.status(tid) == "eligible"
    assert "UNRECOGNISED MEDICATION 'zorblax 10 mg'" in result.summary()
    # a medication stopped long before every window does not block anything
    old = record(medications=[{"name": "Zorblax", "start": "2020-01-01", "stop": "2020-02-01"}])
    assert screen(old).status("sertraline") == "eligible"


def test_rxnorm_code_recognises_a_name_the_vocabulary_lacks() -> None:
    result = screen(record(medications=[{"name": "generic SSRI 50", "rxnorm": "36437"}]))
    assert result.unrecognised_medications == ()
    assert "antidepressant_serotonergic" in fired(result, "venlafaxine")  # sertraline on board


@pytest.mark.parametrize(
    ("diagnosis", "treatment", "rule"),
    [
        ({"icd10": "F31.2", "status": "current"}, "mdma_at", "mdma_bipolar_i"),
        ({"snomed": "371596008", "status": "past"}, "psilocybin_at", "psilocybin_bipolar_i"),
        ({"icd10": "F25.0", "status": "past"}, "ketamine_iv", "ketamine_psychosis"),
        ({"snomed": "68890003", "status": "past"}, "mdma_at", "mdma_psychotic_disorder"),
        ({"icd10": "G40.909", "status": "current"}, "psilocybin_at", "psilocybin_seizure_disorder"),
        ({"icd10": "I71.4", "status": "current"}, "esketamine", "ketamine_vascular"),
        ({"icd10": "H40.20", "status": "current"}, "ketamine_iv", "ketamine_glaucoma"),
        # a code that contradicts its name is read as both (and flagged by ptsdrx validate)
        ({"condition": "ptsd", "icd10": "F31.2", "status": "current"}, "mdma_at", "mdma_bipolar_i"),
    ],
)
def test_coded_diagnoses_are_read(diagnosis: dict[str, Any], treatment: str, rule: str) -> None:
    result = screen(record(diagnoses=[diagnosis]))
    assert rule in fired(result, treatment)


def test_completeness_per_history() -> None:
    # medical history complete, psychiatric history not yet taken
    partial = record(
        diagnoses=[{"condition": "ptsd", "status": "current"}],
        diagnoses_complete=None,
        medical_history_complete=True,
    )
    trace = {r.id: r.outcome for r in screen(partial).per_treatment["psilocybin_at"].rules}
    assert trace["psilocybin_cardiovascular"] == "not_fired"  # medical: known absent
    assert trace["psilocybin_bipolar_i"] == "unknown"  # psychiatric: still unknown
    psych = record(diagnoses=[], diagnoses_complete=None, psychiatric_history_complete=True)
    trace = {r.id: r.outcome for r in screen(psych).per_treatment["psilocybin_at"].rules}
    assert trace["psilocybin_bipolar_i"] == "not_fired"
    assert trace["psilocybin_cardiovascular"] == "unknown"


def test_family_history_pairs_answer_the_first_degree_question() -> None:
    mother = {
        "psychosis": None,
        "conditions": [{"relative": "mother", "condition": "schizoaffective_disorder"}],
    }
    assert "psilocybin_psychosis_family" in fired(
        screen(record(family_history=mother)), "psilocybin_at"
    )
    cousin = {
        "psychosis": None,
        "conditions": [{"relative": "cousin", "condition": "psychotic_disorder"}],
    }
    trace = {
        r.id: r.outcome
        for r in screen(record(family_history=cousin)).per_treatment["psilocybin_at"].rules
    }
    assert trace["psilocybin_psychosis_family"] == "unknown"  # second-degree: still unanswered


@pytest.mark.parametrize(("stopped_days_ago", "expected"), [(30, "fired"), (31, "not_fired")])
def test_thirty_day_lithium_window(stopped_days_ago: int, expected: str) -> None:
    stop = (AS_OF - timedelta(days=stopped_days_ago)).isoformat()
    meds = [{"name": "lithium carbonate", "start": "2024-01-01", "stop": stop}]
    trace = {r.id: r for r in screen(record(medications=meds)).per_treatment["psilocybin_at"].rules}
    assert trace["psilocybin_lithium"].outcome == expected
    if expected == "fired":
        assert trace["psilocybin_lithium"].until == AS_OF  # stop + 30 days


def test_phenoconversion_is_said_in_the_rationale() -> None:
    meds = [{"name": "Wellbutrin XL 150"}]
    genetics = {"metabolizers": {"CYP2D6": "normal"}}
    ts = screen(record(medications=meds, genetics=genetics)).per_treatment["paroxetine"]
    (note,) = [r for r in ts.notes if r.id == "paroxetine_cyp2d6_poor"]
    assert "phenoconversion" in note.rationale
    assert "genotype normal" in note.rationale and "wellbutrin xl 150" in note.rationale
    assert ts.status == "eligible"  # a note never sets the status
    # no inhibitor: a normal metaboliser gets no dosing note; an ultrarapid one is excluded
    plain = screen(record(genetics=genetics)).per_treatment["paroxetine"]
    assert plain.notes == ()
    um = screen(record(genetics={"metabolizers": {"CYP2D6": "ultrarapid"}}))
    assert um.status("paroxetine") == "excluded" and um.per_treatment["paroxetine"].overridable


def test_genotype_and_organ_function_act_only_when_on_record() -> None:
    """The documented carve-out from "removing data never improves a status"."""
    um = record(genetics={"metabolizers": {"CYP2D6": "ultrarapid"}})
    assert screen(um).status("paroxetine") == "excluded"
    untested = screen(record(genetics=None))
    assert untested.status("paroxetine") == "eligible"  # no guideline asks for a genotype first
    low = record(organ_function={"egfr": 20})
    assert screen(low).per_treatment["venlafaxine"].caution_level == "major"
    # no eGFR and no kidney disease on record: not asked for
    assert screen(record()).status("venlafaxine") == "eligible"
    # kidney disease on record without an eGFR: asked for
    ckd = record(diagnoses=[{"condition": "renal_impairment", "status": "current"}])
    trace = {r.id: r for r in screen(ckd).per_treatment["paroxetine"].rules}
    assert trace["paroxetine_venlafaxine_renal_impairment"].missing == ("organ_function.egfr",)


def test_recent_and_remote_events_differ() -> None:
    recent = [{"condition": "myocardial_infarction", "status": "past", "onset": "2026-03-01"}]
    remote = [{"condition": "myocardial_infarction", "status": "past", "onset": "2006-03-01"}]
    assert screen(record(diagnoses=recent)).status("prazosin") == "excluded"
    assert screen(record(diagnoses=remote)).status("prazosin") == "eligible"


def test_orthostatic_pair_needs_posture_and_minutes() -> None:
    day = AS_OF.isoformat()
    vitals = [
        {"taken_at": f"{day}T08:00:00", "systolic": 140, "diastolic": 80, "posture": "supine"},
        {"taken_at": f"{day}T08:03:00", "systolic": 112, "diastolic": 70, "posture": "standing"},
        {"taken_at": f"{day}T09:00:00", "systolic": 138, "diastolic": 80},
    ]
    older = record(demographics={"age": 72, "sex": "female"}, vitals=vitals)
    assert "prazosin_orthostatic_drop" in fired(screen(older), "prazosin")
    apart = [dict(v) for v in vitals]
    apart[1]["taken_at"] = f"{day}T08:30:00"  # 30 minutes later: not a pair
    trace = {
        r.id: r.outcome
        for r in screen(record(demographics={"age": 72, "sex": "female"}, vitals=apart))
        .per_treatment["prazosin"]
        .rules
    }
    assert trace["prazosin_orthostatic_drop"] == "unknown"


def test_pregnancy_with_gestational_age_and_its_checks() -> None:
    r = record(demographics={"age": 30, "sex": "female", "pregnant": True, "gestational_weeks": 8})
    assert screen(r).status("paroxetine") == "excluded"
    with pytest.raises(ValidationError, match="gestational_weeks"):
        record(demographics={"sex": "female", "pregnant": False, "gestational_weeks": 8})
    with pytest.raises(ValidationError, match="a diagnosis needs"):
        record(diagnoses=[{"status": "current"}])
