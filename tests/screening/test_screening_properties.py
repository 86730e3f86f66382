"""Properties of screening over random records (hypothesis).

1. No treatment is ``eligible`` (or ``caution``) while a contraindication, exclusion or hold
   that applies to it fires, checked by evaluating every rule on its own, outside the engine;
   the status is at least as strong as the strongest such rule that fired.
2. Removing information (setting a part or field to ``None``) never turns a rule outcome
   from unknown into known, so ``needs_information`` never becomes ``eligible``, and no
   treatment becomes ``eligible`` that was not already.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptsdrx.records import (
    Administration,
    Condition,
    Demographics,
    Diagnosis,
    FamilyHistory,
    Medication,
    PatientRecord,
    PriorTreatment,
    VitalSigns,
)
from ptsdrx.screening import STATUSES, Status, load_rules, screen
from ptsdrx.screening._language import Context
from ptsdrx.screening._result import BLOCKING

_FIRED: dict[str, Status] = {
    "contraindicated": "contraindicated",
    "exclude": "excluded",
    "hold": "hold",
}
_NOT_OFFERABLE = {"contraindicated", "excluded", "hold", "needs_information"}


def _permissive(status: str) -> int:
    """How much a status lets an option through: eligible 2, caution 1, anything else 0."""
    return {"eligible": 2, "caution": 1}.get(status, 0)


AS_OF = date(2026, 6, 1)
DRUGS = [
    "phenelzine",
    "linezolid",
    "sertraline",
    "venlafaxine",
    "tramadol",
    "lithium carbonate",
    "pimozide",
    "disulfiram",
    "tamsulosin",
    "prazosin",
    "propranolol",
    "quetiapine",
    "levothyroxine",
]
CSSRS = [
    [0, 0, None, None, None, 0, None],
    [1, 0, None, None, None, 0, None],
    [1, 1, 1, 0, 0, 0, None],
    [1, 1, 1, 1, 0, 0, None],
    [1, 0, None, None, None, 1, 1],
    [None, 0, None, None, None, 0, None],  # unscorable: Q1 is always asked
]


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


days_ago = st.integers(min_value=0, max_value=200)

demographics = st.builds(
    Demographics,
    age=_maybe(st.integers(18, 80)),
    sex=_maybe(st.sampled_from(["female", "male", "intersex"])),
    pregnant=_maybe(st.booleans()),
    lactating=_maybe(st.booleans()),
)
diagnosis = st.builds(
    Diagnosis,
    condition=st.sampled_from(list(Condition)),
    status=st.sampled_from(["current", "past", "absent"]),
)


@st.composite
def medication(draw: st.DrawFn) -> Medication:
    start = draw(st.integers(30, 2000))
    stop = draw(_maybe(st.integers(0, start)))
    return Medication(
        name=draw(st.sampled_from(DRUGS)),
        start=AS_OF - timedelta(days=start),
        stop=None if stop is None else AS_OF - timedelta(days=stop),
    )


@st.composite
def vital_signs(draw: st.DrawFn) -> VitalSigns:
    sys_ = draw(_maybe(st.integers(90, 200)))
    dia = None if sys_ is None else draw(st.integers(50, sys_ - 20))
    return VitalSigns(
        taken_at=datetime.combine(AS_OF - timedelta(days=draw(days_ago)), datetime.min.time()),
        systolic=sys_,
        diastolic=dia,
        qtc_ms=draw(_maybe(st.integers(380, 520))),
    )


@st.composite
def assessment(draw: st.DrawFn) -> Administration:
    when = AS_OF - timedelta(days=draw(st.integers(0, 60)))
    if draw(st.booleans()):
        items = draw(st.lists(_maybe(st.integers(0, 3)), min_size=9, max_size=9))
        return Administration(instrument="phq9", date=when, responses=items)
    return Administration(instrument="cssrs", date=when, responses=draw(st.sampled_from(CSSRS)))


records = st.builds(
    PatientRecord,
    as_of=st.just(AS_OF),
    demographics=_maybe(demographics),
    assessments=_maybe(st.lists(assessment(), max_size=3)),
    diagnoses=_maybe(st.lists(diagnosis, max_size=4)),
    diagnoses_complete=_maybe(st.booleans()),
    family_history=_maybe(st.builds(FamilyHistory, psychosis=_maybe(st.booleans()))),
    medications=_maybe(st.lists(medication(), max_size=3)),
    vitals=_maybe(st.lists(vital_signs(), max_size=2)),
    prior_treatments=_maybe(
        st.lists(st.builds(PriorTreatment, treatment=st.sampled_from(["prazosin", "pe"])))
    ),
)

REMOVABLE = [
    "demographics",
    "assessments",
    "diagnoses",
    "diagnoses_complete",
    "family_history",
    "medications",
    "vitals",
    "prior_treatments",
    "demographics.sex",
    "demographics.pregnant",
    "demographics.lactating",
    "family_history.psychosis",
]


def _without(record: PatientRecord, field: str) -> PatientRecord:
    part, _, leaf = field.partition(".")
    if not leaf:
        return record.model_copy(update={part: None})
    holder = getattr(record, part)
    if holder is None:
        return record
    return record.model_copy(update={part: holder.model_copy(update={leaf: None})})


FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(records)
def test_no_treatment_passes_a_fired_exclusion(record: PatientRecord) -> None:
    rules = load_rules()
    ctx = Context(record=record, today=record.reference_date(), params=rules.values)
    result = screen(record)
    for rule in rules.rules:
        verdict = rule.when.evaluate(ctx)
        for tid in rule.treatments:
            status = result.status(tid)
            assert rule.id in {r.id for r in result.per_treatment[tid].rules}
            if rule.effect in BLOCKING and verdict.value is True:
                strongest = STATUSES.index(_FIRED[rule.effect])
                assert STATUSES.index(status) <= strongest, (tid, rule.id)
            if rule.effect in BLOCKING and verdict.value is None:
                assert status in _NOT_OFFERABLE, (tid, rule.id)


@FAST
@given(records, st.sampled_from(REMOVABLE))
def test_removing_a_field_never_makes_a_treatment_eligible(
    record: PatientRecord, field: str
) -> None:
    before = screen(record)
    after = screen(_without(record, field))
    for tid, ts in before.per_treatment.items():
        old = {r.id: r.outcome for r in ts.rules}
        for r in after.per_treatment[tid].rules:
            assert r.outcome in {old[r.id], "unknown"}, (tid, r.id, field)
        if ts.status == "needs_information":
            assert after.status(tid) in {"needs_information", "excluded"}
        if after.status(tid) == "eligible":
            assert ts.status == "eligible"
        assert _permissive(after.status(tid)) <= _permissive(ts.status), (tid, field)
        if ts.caution_level == "major" and after.status(tid) == "caution":
            assert after.per_treatment[tid].caution_level == "major", (tid, field)
