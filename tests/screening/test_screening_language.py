"""The condition language: Kleene logic, every predicate's reading, and load-time errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest

from ptsdrx.records import Administration, Condition, Medication, PatientRecord, VitalSigns
from ptsdrx.screening import RuleFileError
from ptsdrx.screening._condition_schema import parse
from ptsdrx.screening._logic import AllOf, AnyOf, Context, Not, Verdict
from ptsdrx.vocabulary import condition_for_icd10, drug_classes, icd10_codes

AS_OF = date(2026, 6, 1)
PARAMS = {"vitals_max_age_days": 90.0, "limit": 140.0}


@dataclass(frozen=True)
class Fixed:
    """A stub condition with a fixed verdict."""

    verdict: Verdict

    def evaluate(self, ctx: Context) -> Verdict:
        return self.verdict

    def params(self) -> frozenset[str]:
        return frozenset()


T, F, U = Fixed(Verdict(True)), Fixed(Verdict(False)), Fixed(Verdict(None, frozenset({"x"})))
CTX = Context(record=PatientRecord(as_of=AS_OF), today=AS_OF, params=PARAMS)


@pytest.mark.parametrize(
    ("children", "any_value", "all_value"),
    [
        ((T, T), True, True),
        ((T, F), True, False),
        ((F, F), False, False),
        ((T, U), True, None),
        ((F, U), None, False),
        ((U, U), None, None),
    ],
)
def test_kleene_truth_tables(children: tuple[Fixed, ...], any_value: Any, all_value: Any) -> None:
    assert AnyOf(children).evaluate(CTX).value is any_value
    assert AllOf(children).evaluate(CTX).value is all_value


def test_unknown_carries_missing_fields_and_not_keeps_unknown() -> None:
    assert AllOf((T, U)).evaluate(CTX).missing == frozenset({"x"})
    assert AnyOf((T, U)).evaluate(CTX).missing == frozenset()
    assert Not(U).evaluate(CTX) == Verdict(None, frozenset({"x"}))
    assert Not(T).evaluate(CTX).value is False


def _eval(raw: dict[str, Any], **record: Any) -> Verdict:
    node = parse(raw, "when", drug_classes())
    rec = PatientRecord(as_of=AS_OF, **record)
    return node.evaluate(Context(record=rec, today=AS_OF, params=PARAMS))


def test_medication_name_with_salt_matches_its_generic_class() -> None:
    meds = [Medication(name="Sertraline Hydrochloride")]
    assert _eval({"medication": {"class": "ssri"}}, medications=meds).value is True
    assert _eval({"medication": {"class": "maoi"}}, medications=meds).value is False
    assert _eval({"medication": {"class": "ssri"}}, medications=[]).value is False
    assert _eval({"medication": {"class": "ssri"}}).missing == frozenset({"medications"})


def test_composite_class_includes_its_members() -> None:
    serotonergic = drug_classes()["serotonergic"].names
    assert {"sertraline", "phenelzine", "linezolid", "tramadol"} <= serotonergic
    assert "methylene blue" in drug_classes()["maoi"].names


def test_field_comparison_with_parameter_and_between() -> None:
    v = [VitalSigns(taken_at=datetime(2026, 5, 30, 9), systolic=150, diastolic=85)]
    assert _eval({"field": "vitals.systolic", "gt": {"param": "limit"}}, vitals=v).value is True
    assert _eval({"field": "vitals.systolic", "between": [100, 149]}, vitals=v).value is False
    assert _eval({"field": "demographics.age", "ge": 18}).missing == frozenset({"demographics.age"})


def test_comparing_mismatched_types_at_run_time_is_a_rule_error() -> None:
    node = parse({"instrument": {"id": "cssrs", "detail": "risk_level", "gt": 1}}, "w", {})
    cssrs = Administration(
        instrument="cssrs", date=AS_OF, responses=[0, 0, None, None, None, 0, None]
    )
    rec = PatientRecord(as_of=AS_OF, assessments=[cssrs])
    with pytest.raises(RuleFileError, match="types do not match"):
        node.evaluate(Context(record=rec, today=AS_OF, params=PARAMS))


def test_vitals_reading_in_the_future_of_the_record_is_ignored() -> None:
    v = [VitalSigns(taken_at=datetime(2026, 6, 20, 9), systolic=190, diastolic=100)]
    assert _eval({"field": "vitals.systolic", "gt": 140}, vitals=v).value is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"eval": "1"}, "needs exactly one of"),
        ({"any": []}, "non-empty list"),
        ({"field": "demographics.name", "eq": 1}, "unknown field 'demographics.name'"),
        ({"field": "demographics.age"}, "exactly one comparison"),
        ({"field": "demographics.age", "gt": "old"}, "needs a number"),
        ({"field": "demographics.age", "between": [1]}, "[low, high] pair"),
        ({"field": "demographics.age", "gt": {"par": "x"}}, "{param: NAME}"),
        ({"field": "demographics.pregnant", "eq": "yes"}, "it needs a bool"),
        ({"field": "demographics.sex", "gt": 3}, "it needs a str"),
        ({"field": "vitals.systolic", "in": [120, "high"]}, "it needs a number"),
        ({"diagnosis": {"condition": "flu"}}, "unknown condition 'flu'"),
        ({"diagnosis": {"condition": "dementia", "status": ["ongoing"]}}, "allowed: current"),
        ({"medication": {"class": "antiviral"}}, "unknown drug class 'antiviral'"),
        ({"medication": {"within_days": 3}}, "needs 'class' and/or 'name'"),
        ({"medication": {"class": "maoi", "within_days": -1}}, "whole number of days"),
        ({"instrument": {"id": "phq9", "eq": 1}}, "exactly one of item, total, detail"),
        ({"instrument": {"id": "phq9", "item": 0, "ge": 1}}, "item number >= 1"),
        ({"prior_treatment": {"treatment": "pe", "when": 1}}, "unknown key(s) when"),
    ],
)
def test_parse_errors_name_the_place_and_what_is_allowed(raw: Any, message: str) -> None:
    with pytest.raises(RuleFileError) as exc:
        parse(raw, "rules[0].when", drug_classes())
    assert message in str(exc.value)
    assert str(exc.value).startswith("rules[0].when")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("F43.10", "ptsd"),
        ("F31.81", "bipolar_ii"),
        ("F31.2", "bipolar_i"),
        ("F32.3", "mdd_with_psychotic_features"),
        ("f33.1", "major_depressive_disorder"),
        ("F20.9", "psychotic_disorder"),
        ("F10.20", "alcohol_use_disorder"),
        ("F17.210", None),  # nicotine dependence is not a screening SUD
        ("I95.1", "orthostatic_hypotension"),
        ("I25.2", "myocardial_infarction"),
        ("Z00.00", None),
    ],
)
def test_icd10_longest_prefix_mapping(code: str, expected: str | None) -> None:
    found = condition_for_icd10(code)
    assert (None if found is None else found.value) == expected


def test_every_condition_has_an_icd10_entry_with_valid_codes() -> None:
    codes = icd10_codes()
    assert set(codes) == set(Condition)
    pattern = re.compile(r"^[A-TV-Z]\d{2}(\.[0-9A-Z]{1,4})?$")
    assert all(pattern.match(c) for cs in codes.values() for c in cs)
