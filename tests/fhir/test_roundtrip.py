"""import(export(x)) == x for every record part FHIR carries (hypothesis), and exports validate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ptsdrx.fhir import NOT_CARRIED, export_bundle, read_bundle
from ptsdrx.records import (
    Administration,
    Biomarker,
    Condition,
    Demographics,
    Diagnosis,
    Genetics,
    Medication,
    PatientRecord,
    VitalSigns,
)

AS_OF = date(2026, 3, 1)
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]  # no slow shrinking
days = st.dates(min_value=date(2015, 1, 1), max_value=AS_OF)
text = (
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)
zones = st.sampled_from([UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=10))])


@st.composite
def instants(draw: Any) -> datetime:
    d = draw(days)
    t = datetime(d.year, d.month, d.day, draw(st.integers(0, 23)), draw(st.integers(0, 59)))
    return t.replace(tzinfo=draw(zones))


def items(n: int, hi: int) -> Any:
    return st.lists(st.one_of(st.none(), st.integers(0, hi)), min_size=n, max_size=n)


@st.composite
def administrations(draw: Any) -> Administration:
    kind = draw(st.sampled_from(["pcl5", "phq9", "gad7", "caps5", "bdi2_total", "cadss"]))
    common: dict[str, Any] = {
        "date": draw(days),
        "administered_by": draw(st.none() | text),
        "context": draw(st.none() | text),
    }
    if kind == "bdi2_total":
        return Administration(instrument="bdi2", total=draw(st.integers(0, 63)), **common)
    if kind == "caps5":
        crit = draw(
            st.none()
            | st.dictionaries(
                st.sampled_from(["criterion_a", "duration_over_1_month", "distress_or_impairment"]),
                st.booleans(),
                min_size=1,
            )
        )
        return Administration(
            instrument="caps5",
            frequency=draw(items(20, 4)),
            intensity=draw(items(20, 4)),
            criteria=crit,
            **common,
        )
    n, hi = {"pcl5": (20, 4), "phq9": (9, 3), "gad7": (7, 3), "cadss": (23, 4)}[kind]
    total = draw(st.none() | st.integers(0, n * hi))
    return Administration(instrument=kind, responses=draw(items(n, hi)), total=total, **common)


def _any_reading(v: VitalSigns) -> bool:
    return any(
        getattr(v, f) is not None
        for f in ("systolic", "heart_rate", "spo2", "temperature_c", "qtc_ms")
    )


@st.composite
def vitals(draw: Any) -> VitalSigns:
    sys_ = draw(st.none() | st.integers(90, 200))
    return VitalSigns(
        taken_at=draw(instants()),
        systolic=sys_,
        diastolic=None if sys_ is None else draw(st.integers(40, 85)),
        heart_rate=draw(st.none() | st.floats(30, 200).map(lambda x: round(x, 1))),
        spo2=draw(st.none() | st.integers(80, 100)),
        temperature_c=draw(st.none() | st.floats(34, 41).map(lambda x: round(x, 2))),
        qtc_ms=draw(st.none() | st.integers(300, 600)),
    )


diagnoses = st.builds(
    Diagnosis,
    condition=st.sampled_from(list(Condition)),
    status=st.sampled_from(["current", "past", "absent"]),
    icd10=st.none() | st.sampled_from(["F43.10", "F32.1", "I10", "F31.81", "G40"]),
    snomed=st.none() | st.sampled_from(["47505003", "35489007", "38341003", "13746004"]),
    onset=st.none() | days,
    note=st.none() | text,
)
_GENERICS = ["sertraline", "paroxetine", "phenelzine", "tramadol", "lithium", "venlafaxine"]
# RxNorm ingredient codes as the drug vocabulary holds them (None: the vocabulary has none).
_RXNORM = {
    "sertraline": "36437",
    "paroxetine": "32937",
    "tramadol": "10689",
    "venlafaxine": "39786",
}


@st.composite
def medications(draw: Any) -> Medication:
    start = draw(st.none() | days)
    stop = draw(st.none() | days)
    if start and stop and stop < start:
        start, stop = stop, start
    name = draw(st.sampled_from(_GENERICS))
    return Medication(
        name=name,
        rxnorm=draw(st.none() | st.just(_RXNORM.get(name))),
        dose_mg=draw(st.none() | st.floats(0.5, 600).map(lambda x: round(x, 2))),
        frequency=draw(st.none() | text),
        route=draw(st.none() | st.sampled_from(["oral", "iv", "im", "sublingual", "other"])),
        start=start,
        stop=stop,
    )


biomarkers = st.builds(
    Biomarker,
    name=st.sampled_from(["crp", "cortisol", "il6", "bdnf"]),
    value=st.floats(0, 500).map(lambda x: round(x, 3)),
    unit=st.sampled_from(["mg/L", "ug/dL", "pg/mL"]),
    loinc=st.none() | st.sampled_from(["1988-5", "2143-6", "26881-3"]),
    collected=st.none() | days,
)
demographics = st.builds(
    Demographics,
    age=st.integers(18, 95),
    sex=st.none() | st.sampled_from(["female", "male", "intersex"]),
    weight_kg=st.none() | st.floats(40, 200).map(lambda x: round(x, 1)),
    pregnant=st.none() | st.booleans(),
    jurisdiction=st.none() | st.sampled_from(["US", "US-OR", "US-CO", "AU"]),
)
genetics = st.builds(
    Genetics,
    genotypes=st.none()
    | st.dictionaries(
        st.sampled_from(["rs6265", "rs4680", "rs1800497"]),
        st.sampled_from(["C/T", "A/G", "T/T"]),
        min_size=1,
    ),
    metabolizers=st.none()
    | st.dictionaries(
        st.sampled_from(["CYP2D6", "CYP2B6", "CYP2C19"]),
        st.sampled_from(["poor", "intermediate", "normal", "rapid", "ultrarapid"]),
        min_size=1,
    ),
).filter(lambda g: g.genotypes is not None or g.metabolizers is not None)


def section(s: Any, **kw: Any) -> Any:
    return st.none() | st.just([]) | st.lists(s, min_size=1, max_size=3, **kw)


records = st.builds(
    PatientRecord,
    patient_id=st.none() | st.from_regex(r"pt-[0-9a-f]{12}", fullmatch=True),
    as_of=st.just(AS_OF),
    demographics=st.none() | demographics,
    assessments=section(administrations()),
    diagnoses=section(diagnoses),
    medications=section(medications()),
    vitals=section(vitals().filter(_any_reading), unique_by=lambda v: v.taken_at),
    biomarkers=section(biomarkers),
    genetics=st.none() | genetics,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=PHASES
)
@given(records)
def test_import_of_export_is_identity(record: PatientRecord) -> None:
    bundle = export_bundle(record)
    Bundle.model_validate(bundle)  # exported Bundles validate against fhir.resources
    result = read_bundle(bundle)
    assert [u for u in result.unmapped] == []
    (patient,) = result.patients
    assert patient.record == record
    assert patient.identifiers is None


def test_a_coded_only_diagnosis_exports_its_codes_and_validates() -> None:
    record = PatientRecord(
        as_of=AS_OF, diagnoses=[Diagnosis(status="current", snomed="47505003", icd10="F43.10")]
    )
    bundle = export_bundle(record)
    Bundle.model_validate(bundle)
    (cond,) = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"
    ]
    systems = [coding["system"] for coding in cond["code"]["coding"]]
    assert systems == ["http://hl7.org/fhir/sid/icd-10-cm", "http://snomed.info/sct"]
    (patient,) = read_bundle(bundle).patients
    (d,) = patient.record.diagnoses or []
    # the codes come back, and the vocabulary names the condition they stand for
    assert (d.icd10, d.snomed, d.condition) == ("F43.10", "47505003", Condition.ptsd)


def test_parts_not_carried_are_declared() -> None:
    carried = {"demographics", "assessments", "diagnoses", "medications", "vitals"}
    carried |= {"biomarkers", "genetics", "patient_id", "as_of", "schema_version"}
    declared = {p.split(".")[0] for p in NOT_CARRIED}
    assert set(PatientRecord.model_fields) == carried | declared
