"""PatientRecord: unknown stays unknown, bad input names the field, examples validate."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from ptsdrx.records import (
    Administration,
    Condition,
    Demographics,
    Diagnosis,
    Genetics,
    Medication,
    PatientRecord,
    VitalSigns,
    format_validation_error,
)

EXAMPLES = sorted((Path(__file__).parents[1] / "examples" / "patients").glob("*.json"))


def test_empty_record_is_all_unknown() -> None:
    r = PatientRecord()
    for name in PatientRecord.model_fields:
        if name != "schema_version":
            assert getattr(r, name) is None, name


@pytest.mark.parametrize(
    ("payload", "field", "phrase"),
    [
        ({"demographics": {"age": 130}}, "demographics.age", "less than or equal to 120"),
        ({"demographics": {"age": -1}}, "demographics.age", "greater than or equal to 0"),
        ({"demographics": {"weight_kg": 5}}, "demographics.weight_kg", "greater than 20"),
        ({"demographics": {"sex": "f"}}, "demographics.sex", "female"),
        ({"demographics": {"jurisdiction": "Oregon"}}, "demographics.jurisdiction", "US-OR"),
        (
            {"vitals": [{"taken_at": "2026-01-01T10:00:00", "systolic": 400, "diastolic": 90}]},
            "vitals.0.systolic",
            "300",
        ),
        (
            {"vitals": [{"taken_at": "2026-01-01T10:00:00", "systolic": 120}]},
            "vitals.0",
            "together",
        ),
        (
            {"diagnoses": [{"condition": "bipolar", "status": "current"}]},
            "diagnoses.0.condition",
            "bipolar_i",
        ),
        (
            {"diagnoses": [{"condition": "bipolar_i", "status": "current", "icd10": "bipolar"}]},
            "diagnoses.0.icd10",
            "ICD-10",
        ),
        ({"medications": [{"name": "x"}]}, "medications.0.name", "at least 2"),
        (
            {"medications": [{"name": "lithium", "start": "2026-02-01", "stop": "2026-01-01"}]},
            "medications.0",
            "before start",
        ),
        ({"genetics": {"genotypes": {"BDNF": "C/T"}}}, "genetics.genotypes", "rsID"),
        (
            {"genetics": {"metabolizers": {"CYP2D6": "fast"}}},
            "genetics.metabolizers.CYP2D6",
            "poor",
        ),
        (
            {"biomarkers": [{"name": "crp", "value": 1, "unit": "mg/L", "loinc": "abc"}]},
            "biomarkers.0.loinc",
            "loinc",
        ),
        (
            {"assessments": [{"instrument": "pcl5", "date": "2026-01-01"}]},
            "assessments.0",
            "responses",
        ),
        ({"favourite_colour": "blue"}, "favourite_colour", "Extra inputs"),
    ],
)
def test_bad_input_names_field(payload: dict, field: str, phrase: str) -> None:
    with pytest.raises(ValidationError) as info:
        PatientRecord.model_validate(payload)
    text = format_validation_error(info.value)
    assert field in text
    assert phrase.lower() in text.lower()


def test_assessment_after_as_of_rejected() -> None:
    with pytest.raises(ValidationError, match="after the record's as_of"):
        PatientRecord(
            as_of=date(2026, 1, 1),
            assessments=[Administration(instrument="pcl5", date=date(2026, 2, 1), total=40)],
        )


def test_condition_status_is_three_valued() -> None:
    unknown = PatientRecord()
    assert unknown.condition_status(Condition.bipolar_i) is None
    listed = PatientRecord(diagnoses=[Diagnosis(condition=Condition.ptsd, status="current")])
    assert listed.condition_status(Condition.bipolar_i) is None
    assert listed.condition_status(Condition.ptsd) == "current"
    complete = listed.model_copy(update={"diagnoses_complete": True})
    assert complete.condition_status(Condition.bipolar_i) == "absent"
    ruled_out = PatientRecord(diagnoses=[Diagnosis(condition=Condition.bipolar_i, status="absent")])
    assert ruled_out.condition_status(Condition.bipolar_i) == "absent"


def test_accessors() -> None:
    r = PatientRecord(
        assessments=[
            Administration(instrument="pcl5", date=date(2026, 3, 1), total=30),
            Administration(instrument="pcl5", date=date(2026, 1, 1), total=50),
        ],
        vitals=[
            VitalSigns(taken_at=datetime(2026, 1, 1, 9), systolic=150, diastolic=95),
            VitalSigns(taken_at=datetime(2026, 2, 1, 9), systolic=130, diastolic=85),
        ],
    )
    assert [a.total for a in r.administrations("pcl5")] == [50, 30]
    assert r.latest("pcl5").total == 30  # type: ignore[union-attr]
    assert r.latest("phq9") is None
    assert r.latest_vitals().systolic == 130  # type: ignore[union-attr]


def test_normalisation() -> None:
    m = Medication(name="  Sertraline ")
    assert m.name == "sertraline"
    g = Genetics(genotypes={"rs6265": "c/t"})
    assert g.genotypes == {"rs6265": "C/T"}
    assert Demographics(jurisdiction="US-OR").jurisdiction == "US-OR"


def test_examples_exist_and_validate() -> None:
    assert len(EXAMPLES) >= 8
    for path in EXAMPLES:
        PatientRecord.model_validate_json(path.read_text())


def test_json_round_trip() -> None:
    for path in EXAMPLES:
        r = PatientRecord.model_validate_json(path.read_text())
        again = PatientRecord.model_validate(json.loads(r.model_dump_json()))
        assert again == r
