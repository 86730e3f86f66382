"""Import of EHR-shaped Bundles: what lands in the record, what goes to identifiers, and the
report of every element not mapped (pinned per fixture)."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ptsdrx.fhir import BundleInvalidError, read_bundle
from ptsdrx.records import Condition

FIXTURES = Path(__file__).parent / "fixtures"


def bundle(name: str) -> dict[str, Any]:
    """A fixture Bundle as parsed JSON."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _reasons(result: Any) -> dict[str, str]:
    return {
        u.path.split(").", 1)[-1].split(")", 1)[-1] or u.path: u.reason for u in result.unmapped
    }


def _paths(result: Any) -> list[str]:
    return [u.path for u in result.unmapped]


# ------------------------------------------------------------------ Epic-like searchset


def test_epic_record_facts() -> None:
    result = read_bundle(bundle("epic_searchset"))
    (p,) = result.patients
    rec = p.record
    assert result.bundle_type == "searchset"
    assert rec.as_of == date(2026, 2, 10)  # Bundle timestamp
    d = rec.demographics
    assert d is not None
    assert (d.age, d.sex, d.jurisdiction) == (41, "female", "US-OR")  # birthsex, not gender
    assert d.weight_kg == pytest.approx(150 * 0.45359237)  # [lb_av] converted
    pcl5 = rec.latest("pcl5")
    assert pcl5 is not None and pcl5.administered_by == "Dr. Smith"
    assert pcl5.responses is not None and pcl5.responses[:5] == [0, 1, 2, 3, 4]  # ordinalValue
    assert pcl5.responses[19] is None  # unanswered item stays unknown
    phq9 = rec.latest("phq9")
    assert phq9 is not None and (phq9.total, phq9.responses) == (14.0, None)  # total by LOINC
    assert [(x.condition, x.status, x.icd10) for x in rec.diagnoses or []] == [
        (Condition.ptsd, "current", "F43.10"),
        (Condition.hypertension, "current", "I10"),
    ]
    (med,) = rec.medications or []
    assert (med.name, med.dose_mg, med.route, med.frequency) == ("sertraline", 50, "oral", "daily")
    assert med.start == date(2025, 11, 3)  # contained Medication resolved
    (v,) = rec.vitals or []
    assert (v.systolic, v.diastolic, v.heart_rate) == (142, 91, None)  # HR had no UCUM unit
    (crp,) = rec.biomarkers or []
    assert (crp.name, crp.value, crp.unit, crp.loinc) == ("crp", 4.2, "mg/L", "1988-5")


def test_epic_identifiers_stay_out_of_the_record() -> None:
    (p,) = read_bundle(bundle("epic_searchset")).patients
    ids = p.identifiers
    assert ids is not None
    assert (ids.name, ids.mrn, ids.date_of_birth) == ("Jane Q Doe", "E1234567", date(1984, 6, 15))
    assert ids.postal_code == "97201"  # the address's postal code, in its own field
    assert ids.contact is not None and "503-555-0101" in ids.contact and "97201" not in ids.contact
    text = p.record.model_dump_json()
    for planted in ("Jane", "Doe", "E1234567", "1984-06-15", "97201", "555-0101", "123-45-6789"):
        assert planted not in text
    assert "123-45-6789" not in (ids.contact or "")  # the SSN is not stored anywhere


def test_epic_unmapped_report() -> None:
    result = read_bundle(bundle("epic_searchset"))
    assert _paths(result) == [
        "Bundle.entry[0].resource(Patient/eX1).identifier[1]",
        "Bundle.entry[0].resource(Patient/eX1).address[0]",
        "Bundle.entry[0].resource(Patient/eX1).extension[0]",
        "Bundle.entry[0].resource(Patient/eX1).active",
        "Bundle.entry[0].resource(Patient/eX1).maritalStatus",
        "Bundle.entry[2].resource(QuestionnaireResponse/qr-pcl5).item[20].answer[0]",
        "Bundle.entry[4].resource(Observation/obs-hr).valueQuantity",
        "Bundle.entry[7].resource(Observation/obs-creat).code",
        "Bundle.entry[10].resource(Condition/c-knee).code",
        "Bundle.entry[12].resource(OperationOutcome/-)",
    ]
    reasons = [u.reason for u in result.unmapped]
    assert "us-ssn" in reasons[0] and "us-core-race" in reasons[2]
    assert reasons[1] == "line, city not stored: the identifier store keeps the postal code"
    assert "no UCUM unit" in reasons[6] and "2160-0" in reasons[7] and "M17.11" in reasons[8]


# ---------------------------------------------------------------- Cerner-like transaction


def test_cerner_record_facts() -> None:
    (p,) = read_bundle(bundle("cerner_transaction")).patients
    rec = p.record
    assert rec.as_of == date(2026, 1, 20)  # no timestamp: the latest fact
    d = rec.demographics
    assert d is not None
    assert (d.age, d.sex, d.jurisdiction) == (67, None, "US")  # gender alone is not sex at birth
    gad7 = rec.latest("gad7")
    assert gad7 is not None and gad7.responses == [1, 2, 1, 0, 3, 1, 2]  # nested group, codes
    assert [(x.condition, x.status, x.icd10) for x in rec.diagnoses or []] == [
        (Condition.bipolar_ii, "past", "F31.81"),  # undotted F3181, longest prefix
        (Condition.psychotic_disorder, "absent", "F20.9"),  # refuted
        (Condition.major_depressive_disorder, "current", None),  # SNOMED CT only
    ]
    lithium, nardil = rec.medications or []
    assert (lithium.name, lithium.dose_mg, lithium.route) == ("lithium", 300.0, None)  # salt, g
    assert (nardil.name, nardil.stop) == ("phenelzine", date(2026, 1, 10))  # brand name
    (v,) = rec.vitals or []  # QTc with an unknown modifier extension left out
    assert (v.spo2, v.temperature_c, v.qtc_ms) == (97, pytest.approx(37.0), None)
    assert rec.genetics is not None
    assert rec.genetics.genotypes == {"rs6265": "C/T"}
    assert rec.genetics.metabolizers == {"CYP2D6": "poor"}
    assert rec.biomarkers is None  # cortisol without a unit is reported, not guessed


def test_cerner_unmapped_report() -> None:
    result = read_bundle(bundle("cerner_transaction"))
    got = [(u.path.replace("Bundle.entry", ""), u.reason.split(":")[0]) for u in result.unmapped]
    assert got == [
        ("[0].resource(Patient/-).address[0]", "line, city not stored"),
        ("[0].resource(Patient/-).address[0].state", "state is not a 2-3 letter code"),
        ("[0].resource(Patient/-).gender", "administrative gender is not sex at birth"),
        (
            "[3].resource(Observation/-)",
            "modifier extension(s) https",
        ),
        ("[6].resource(Observation/-).valueQuantity", "no UCUM unit (unit None)"),
        (
            "[8].resource(QuestionnaireResponse/-).questionnaire",
            "questionnaire 'https",
        ),
        ("[9].resource(MedicationStatement/-).dosage[0].route", "route 'by mouth' not recognised"),
        ("[10].resource(MedicationStatement/-).status", "completed without an end date"),
        ("[11].resource(Condition/-).onsetDateTime", "partial onset date left out"),
        ("[15].resource(Encounter/-)", "resource type Encounter is not mapped by ptsdrx"),
    ]


# ------------------------------------------------------------------------- refusals


def test_not_json_is_refused() -> None:
    with pytest.raises(BundleInvalidError, match="not JSON"):
        read_bundle("{nope")


def test_not_a_bundle_is_refused() -> None:
    with pytest.raises(BundleInvalidError, match="must be 'Bundle'"):
        read_bundle({"resourceType": "Patient"})


def test_invalid_resource_is_refused_with_its_path() -> None:
    data = bundle("epic_searchset")
    del data["entry"][1]["resource"]["status"]  # Observation.status is required
    with pytest.raises(BundleInvalidError) as err:
        read_bundle(data)
    assert any("status" in e for e in err.value.errors)


def test_bundle_type_not_read_is_refused() -> None:
    data = {**bundle("epic_searchset"), "type": "document"}
    with pytest.raises(BundleInvalidError, match="document"):
        read_bundle(data)


def test_facts_that_make_an_invalid_record_refuse_the_bundle() -> None:
    data = copy.deepcopy(bundle("epic_searchset"))
    data["timestamp"] = "2026-01-01T00:00:00Z"  # before the assessments
    with pytest.raises(BundleInvalidError, match="after the record's as_of"):
        read_bundle(data)


def test_bytes_and_text_read_the_same() -> None:
    data = bundle("cerner_transaction")
    text = json.dumps(data)
    assert read_bundle(text) == read_bundle(text.encode()) == read_bundle(data)


def test_delete_request_is_not_applied() -> None:
    data = copy.deepcopy(bundle("cerner_transaction"))
    data["entry"][1]["request"] = {"method": "DELETE", "url": "Observation/1"}
    result = read_bundle(data)
    assert any("request DELETE" in u.reason for u in result.unmapped)
    assert all(v.temperature_c is None for v in result.patients[0].record.vitals or [])


def test_subject_not_in_bundle_is_reported() -> None:
    data = copy.deepcopy(bundle("cerner_transaction"))
    data["entry"][1]["resource"]["subject"] = {"reference": "Patient/someone-else"}
    result = read_bundle(data)
    assert any("is not a Patient in this Bundle" in u.reason for u in result.unmapped)


def test_drug_not_in_vocabulary_is_kept_as_written_and_reported() -> None:
    data = copy.deepcopy(bundle("cerner_transaction"))
    data["entry"][9]["resource"]["medicationCodeableConcept"] = {"text": "Zyxal-9 XR"}
    result = read_bundle(data)
    assert (result.patients[0].record.medications or [])[0].name == "zyxal-9 xr"
    assert any("not in the drug vocabulary" in u.reason for u in result.unmapped)


def test_rxnorm_code_maps_without_a_name() -> None:
    data = copy.deepcopy(bundle("cerner_transaction"))
    rx = {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "36437"}
    data["entry"][9]["resource"]["medicationCodeableConcept"] = {"coding": [rx]}
    meds = read_bundle(data).patients[0].record.medications or []
    assert meds[0].name == "sertraline"
