"""Every part of a PatientRecord survives the database exactly (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from sqlalchemy import select

from ptsdrx.records import PatientRecord
from ptsdrx.registry import Identifiers, PatientNotFoundError, Registry, new_patient_id
from ptsdrx.registry._convert import GENETIC_PARTS, LIST_PARTS, OFFSET, ONE_PARTS, SCALARS
from ptsdrx.registry._db import join_instant, split_instant
from ptsdrx.registry._models import AssessmentRow

EXAMPLES = sorted((Path(__file__).parents[2] / "examples" / "patients").glob("*.json"))

# Every field of every part set to a non-default value, including awkward ones: a time zone
# that is not whole hours, a naive time, Unicode text, a missing item response, floats that
# are not exact in decimal, and list sections that are known to be empty.
FULL: dict[str, Any] = {
    "schema_version": "1",
    "patient_id": "rt-full",
    "as_of": "2026-03-01",
    "demographics": {
        "age": 37,
        "sex": "intersex",
        "weight_kg": 71.30000000000001,
        "pregnant": True,
        "gestational_weeks": 12.5,
        "lactating": False,
        "jurisdiction": "US-OR",
        "language": "es",
    },
    "trauma": {
        "index_trauma_type": "combat",
        "childhood_trauma": True,
        "years_since_trauma": 12.5,
        "military": True,
        "first_responder": False,
        "multiple_traumas": True,
    },
    "assessments": [
        {
            "instrument": "pcl5",
            "date": "2026-02-01",
            "responses": [3, 3, 2, 4, 3, 2, 3, 1, 3, 3, 2, 3, 3, 2, 3, 2, 3, 3, 3, None],
            "administered_by": "Dr. Zoë Ørsted",
            "context": "baseline — before preparation",
        },
        {"instrument": "ies_r", "date": "2026-02-02", "total": 41.0},
        {
            "instrument": "caps5",
            "date": "2026-02-03",
            "frequency": [2, 3, 1, 2, 2, 1, 2, 0, 2, 2, 1, 2, 2, 1, 2, 1, 2, 2, 2, 2],
            "intensity": [2, 3, 1, 2, 2, 1, 2, 0, 2, 2, 1, 2, 2, 1, 2, 1, 2, 2, 2, 2],
            "criteria": {"duration_over_1_month": True, "criterion_a": True},
            "administered_by": "Dr. Zoë Ørsted",
        },
        {
            "instrument": "phq9",
            "date": "2026-02-15",
            "responses": [1, 2, 1, 1, 0, 1, 2, 1, 0],
            "total": 9.0,
        },
    ],
    "diagnoses": [
        {"condition": "ptsd", "status": "current", "icd10": "F43.12", "onset": "2014-06-01"},
        {"condition": "bipolar_i", "status": "absent", "note": "ruled out on SCID"},
        # Coded only, as an EHR sends it: the condition stays empty in storage.
        {"status": "past", "snomed": "35489007", "icd10": "F32.9"},
    ],
    "diagnoses_complete": True,
    "psychiatric_history_complete": True,
    "medical_history_complete": False,
    "family_history": {
        "psychosis": False,
        "bipolar": True,
        "conditions": [
            {"relative": "mother", "condition": "bipolar_i"},
            {"relative": "cousin", "condition": "psychotic_disorder"},
        ],
    },
    "medications": [
        {
            "name": "sertraline",
            "rxnorm": "36437",
            "dose_mg": 150.0,
            "frequency": "daily",
            "route": "oral",
            "start": "2025-01-01",
            "stop": "2025-09-30",
        }
    ],
    "vitals": [
        {
            "taken_at": "2026-02-01T09:15:30.123456+05:30",
            "systolic": 132.0,
            "diastolic": 84.0,
            "heart_rate": 71.0,
            "spo2": 98.0,
            "temperature_c": 36.7,
            "posture": "supine",
            "qtc_ms": 421.0,
        },
        {"taken_at": "2026-02-15T10:00:00", "heart_rate": 66.0},
        {"taken_at": "2026-02-20T10:00:00Z", "spo2": 97.0},
        {"taken_at": "2026-02-21T23:30:00-03:00", "temperature_c": 37.1},
    ],
    "organ_function": {"egfr": 58.5, "child_pugh": "B", "assessed": "2026-01-15"},
    "biomarkers": [
        {"name": "crp", "value": 0.1, "unit": "mg/L", "loinc": "1988-5", "collected": "2026-02-01"}
    ],
    "genetics": {"genotypes": {"rs6265": "C/T", "rs4680": "A/G"}, "metabolizers": {}},
    "imaging": [
        {
            "measure": "amygdala_reactivity",
            "value": -0.33,
            "unit": "z",
            "method": "fMRI emotional faces task",
            "acquired": "2026-01-20",
        }
    ],
    "prior_treatments": [
        {
            "treatment": "sertraline",
            "start": "2025-01-01",
            "stop": "2025-09-30",
            "adequate": True,
            "response": "partial",
            "stopped_for_adverse_effects": False,
        }
    ],
    "preferences": {
        "refused_treatments": ["ibogaine"],
        "preferred_treatments": [],
        "max_session_hours": 8.0,
        "max_visits": 20,
        "willing_psychotherapy": True,
        "willing_psychedelic": True,
        "max_travel_km": 150.0,
        "willing_to_travel_jurisdiction": False,
    },
    "consent": {
        "treatment_decision_support": True,
        "research_use": False,
        "contact_for_trials": True,
    },
}


def _exact(a: PatientRecord, b: PatientRecord) -> None:
    assert b == a
    # Equal models can still differ in JSON (time-zone offset, dict order): compare that too.
    assert b.model_dump_json() == a.model_dump_json()


def test_full_record_has_every_field_set() -> None:
    record = PatientRecord.model_validate(FULL)

    def unset(model: BaseModel, path: str) -> list[str]:
        missing = []
        for name in type(model).model_fields:
            value = getattr(model, name)
            if value is None:
                missing.append(f"{path}{name}")
            elif isinstance(value, BaseModel):
                missing += unset(value, f"{path}{name}.")
        return missing

    assert unset(record, "") == []


def test_every_record_field_has_a_storage_mapping() -> None:
    handled = set(SCALARS) | set(ONE_PARTS) | set(LIST_PARTS) | {"genetics"}
    assert handled == set(PatientRecord.model_fields)
    for model, row in [*ONE_PARTS.values(), *LIST_PARTS.values()]:
        cols = set(row.__table__.columns.keys())
        for name, info in model.model_fields.items():
            assert name in cols, f"{row.__tablename__} lacks a column for {model.__name__}.{name}"
            if info.annotation is datetime or datetime in get_args(info.annotation):
                assert name + OFFSET in cols
    assert set(GENETIC_PARTS) == {"genotypes", "metabolizers"}


def test_full_record_round_trips_exactly(registry: Registry) -> None:
    record = PatientRecord.model_validate(FULL)
    pid = registry.add_patient(record)
    _exact(record, registry.record(pid))
    exported = PatientRecord.model_validate_json(registry.export(pid))
    _exact(record, exported)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_records_round_trip(registry: Registry, path: Path) -> None:
    record = PatientRecord.model_validate_json(path.read_text(encoding="utf-8"))
    _exact(record, registry.record(registry.add_patient(record)))


@pytest.mark.parametrize(
    "section",
    ["assessments", "diagnoses", "medications", "vitals", "biomarkers", "imaging"],
)
def test_unknown_and_known_empty_stay_apart(registry: Registry, section: str) -> None:
    unknown = registry.record(registry.add_patient(PatientRecord(patient_id="u")))
    empty = registry.record(
        registry.add_patient(PatientRecord.model_validate({"patient_id": "e", section: []}))
    )
    assert getattr(unknown, section) is None
    assert getattr(empty, section) == []


def test_genetics_unknown_empty_and_partial(registry: Registry) -> None:
    cases = [
        {"patient_id": "g0"},
        {"patient_id": "g1", "genetics": {}},
        {"patient_id": "g2", "genetics": {"genotypes": {}}},
        {"patient_id": "g3", "genetics": {"metabolizers": {"CYP2D6": "poor"}}},
    ]
    for case in cases:
        record = PatientRecord.model_validate(case)
        _exact(record, registry.record(registry.add_patient(record)))


def test_identifiers_are_apart_and_round_trip(registry: Registry) -> None:
    ids = Identifiers(
        name="Jane Q. Doe",
        date_of_birth="1980-02-29",
        mrn="MRN-001",
        contact="x@y.z",
        postal_code="97201-1234",
    )
    pid = registry.add_patient(PatientRecord(), ids)
    assert pid.startswith("pt-")
    assert registry.identifiers(pid) == ids
    exported = json.dumps(json.loads(registry.export(pid)))
    assert "Jane" not in exported and "MRN-001" not in exported and "97201" not in exported


def test_added_assessment_appears_in_order(registry: Registry) -> None:
    record = PatientRecord.model_validate(FULL)
    pid = registry.add_patient(record)
    adm = record.assessments[0].model_copy(update={"date": record.as_of, "context": "week 4"})
    scores = registry.add_assessment(pid, adm)
    assert scores["score_result"]["instrument"] == "pcl5"
    assert registry.record(pid).assessments == [*record.assessments, adm]


def test_follow_up_after_as_of_advances_it(registry: Registry) -> None:
    record = PatientRecord.model_validate(FULL)
    pid = registry.add_patient(record)
    later = record.assessments[0].model_copy(update={"date": date(2026, 4, 2)})
    registry.add_assessment(pid, later)
    stored = registry.record(pid)
    assert stored.as_of == date(2026, 4, 2)
    assert stored.assessments is not None and stored.assessments[-1] == later
    (entry,) = [e for e in registry.audit_trail(pid) if e.entity == "assessment"]
    assert entry.detail is not None and entry.detail["as_of_advanced_to"] == "2026-04-02"


def test_identifiers_refuse_an_impossible_birth_date() -> None:
    with pytest.raises(ValueError, match="date_of_birth"):
        Identifiers(date_of_birth=date(2999, 1, 1))


def test_missing_patient_is_named(registry: Registry) -> None:
    with pytest.raises(PatientNotFoundError, match="'nobody'"):
        registry.record("nobody")


offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m)) if m else UTC
)


@given(
    st.datetimes(
        min_value=datetime(1900, 1, 2),
        max_value=datetime(2200, 1, 1),
        timezones=st.none() | offsets,
    )
)
def test_instants_split_and_join_exactly(value: datetime) -> None:
    stored, offset = split_instant(value)
    assert stored.tzinfo is None
    back = join_instant(stored, offset)
    assert back == value
    assert back.utcoffset() == value.utcoffset()
    assert back.isoformat() == value.isoformat()


_SECTIONS = [k for k in FULL if k not in {"schema_version", "patient_id"}]
_LISTS = {k for k, v in FULL.items() if isinstance(v, list)}


@pytest.fixture(scope="module")
def memory_registry() -> Registry:
    reg = Registry.connect("sqlite://", actor="hypothesis")
    reg.upgrade()
    return reg


@settings(max_examples=40, deadline=None)
@given(st.fixed_dictionaries({k: st.sampled_from(["full", "unknown", "empty"]) for k in _SECTIONS}))
def test_any_mix_of_known_unknown_and_empty_parts_round_trips(
    memory_registry: Registry, choice: dict[str, str]
) -> None:
    data: dict[str, Any] = {"patient_id": new_patient_id()}
    for key, how in choice.items():
        if how == "full":
            data[key] = FULL[key]
        elif how == "empty" and key in _LISTS:
            data[key] = []
    if "assessments" in data and "as_of" not in data:
        data["as_of"] = FULL["as_of"]
    record = PatientRecord.model_validate(data)
    _exact(record, memory_registry.record(memory_registry.add_patient(record)))


def test_concurrent_follow_ups_keep_distinct_positions(registry: Registry) -> None:
    pid = registry.add_patient(PatientRecord(patient_id="c1"))
    base = PatientRecord.model_validate(FULL).assessments[2]

    def add(worker: int) -> None:
        other = Registry(registry.engine, actor=f"worker{worker}")
        for i in range(4):
            other.add_assessment(pid, base.model_copy(update={"context": f"w{worker}-{i}"}))

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(add, [1, 2]))
    with registry.transaction() as s:
        positions = list(
            s.scalars(select(AssessmentRow.position).where(AssessmentRow.patient_id == pid))
        )
    assert sorted(positions) == list(range(8))
    stored = registry.record(pid).assessments
    assert stored is not None and len({a.context for a in stored}) == 8
