"""``recommend`` end to end over random records and random models (the issue's property)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptsdrx.recommend import NEVER_RECOMMENDED, Recommendation, default_policy, recommend
from ptsdrx.recommend._history import demotion_grounds
from ptsdrx.records import (
    Administration,
    Condition,
    Demographics,
    Diagnosis,
    Medication,
    PatientRecord,
    Preferences,
    PriorTreatment,
    load_record,
)
from ptsdrx.treatments import TREATMENT_IDS

AS_OF = date(2026, 6, 1)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "patients"
CONDITIONS = [
    Condition.bipolar_i,
    Condition.psychotic_disorder,
    Condition.hypertension,
    Condition.alcohol_use_disorder,
    Condition.major_depressive_disorder,
    Condition.arrhythmia,
]
MEDICATIONS = ["lithium", "phenelzine", "sertraline", "lisinopril", "quetiapine", "bupropion"]


@st.composite
def records(draw: st.DrawFn) -> PatientRecord:
    """Random but valid records: any part may be unknown, known-empty or filled."""
    pcl5 = draw(st.none() | st.lists(st.integers(0, 4), min_size=20, max_size=20))
    phq9 = draw(st.none() | st.lists(st.integers(0, 3), min_size=9, max_size=9))
    assessments = []
    if pcl5 is not None:
        assessments.append(Administration(instrument="pcl5", date=AS_OF, responses=pcl5))
    if phq9 is not None:
        assessments.append(Administration(instrument="phq9", date=AS_OF, responses=phq9))
    diagnoses = draw(
        st.none()
        | st.lists(
            st.builds(
                Diagnosis,
                condition=st.sampled_from(CONDITIONS),
                status=st.sampled_from(["current", "past", "absent"]),
            ),
            max_size=4,
        )
    )
    medications = draw(
        st.none() | st.lists(st.builds(Medication, name=st.sampled_from(MEDICATIONS)), max_size=3)
    )
    demographics = draw(
        st.none()
        | st.builds(
            Demographics,
            age=st.none() | st.integers(18, 80),
            sex=st.none() | st.sampled_from(["female", "male"]),
            pregnant=st.none() | st.booleans(),
            jurisdiction=st.none() | st.sampled_from(["US", "US-OR", "US-CO", "AU", "NZ"]),
        )
    )
    preferences = draw(
        st.none()
        | st.builds(
            Preferences,
            refused_treatments=st.none() | st.lists(st.sampled_from(TREATMENT_IDS), max_size=2),
            willing_psychedelic=st.none() | st.booleans(),
            willing_psychotherapy=st.none() | st.booleans(),
            max_session_hours=st.none() | st.sampled_from([1.0, 2.0, 8.0]),
        )
    )
    prior_treatments = draw(
        st.none()
        | st.lists(
            st.builds(
                PriorTreatment,
                treatment=st.sampled_from(TREATMENT_IDS),
                adequate=st.none() | st.booleans(),
                response=st.sampled_from([None, "partial", "none", "worsened", "remission"]),
                stopped_for_adverse_effects=st.none() | st.booleans(),
            ),
            max_size=3,
        )
    )
    return PatientRecord(
        patient_id="random",
        prior_treatments=prior_treatments,
        as_of=AS_OF,
        demographics=demographics,
        assessments=assessments or None,
        diagnoses=diagnoses,
        diagnoses_complete=draw(st.none() | st.booleans()),
        medications=medications,
        preferences=preferences,
    )


class RandomModel:
    """A stand-in honouring the ``ptsdrx.response`` contract with drawn predictions."""

    def __init__(self, means: dict[str, float], half: float, support: bool, paired: float):
        self.arms_ = list(means)
        self.means, self.half, self.support, self.paired = means, half, support, paired

    def predict_outcomes(self, X: Any) -> pd.DataFrame:
        return pd.DataFrame({a: [m] for a, m in self.means.items()})

    def predict_interval(self, X: Any, alpha: float = 0.1) -> dict[Hashable, pd.DataFrame]:
        return {
            a: pd.DataFrame({"lo": [m - self.half], "hi": [m + self.half]})
            for a, m in self.means.items()
        }

    def effect_interval(
        self, X: Any, *, T0: str, T1: str, alpha: float = 0.1
    ) -> tuple[np.ndarray, np.ndarray]:
        eff = self.means[T1] - self.means[T0]
        return np.array([eff - self.paired]), np.array([eff + self.paired])

    def in_support(self, X: Any) -> np.ndarray:
        return np.array([self.support])

    def explain(self, X: Any, *, top: int = 5) -> list[Any]:
        return []


@st.composite
def models(draw: st.DrawFn) -> RandomModel | None:
    if draw(st.booleans()):
        return None
    arms = draw(
        st.just(list(TREATMENT_IDS))
        | st.lists(st.sampled_from(TREATMENT_IDS), min_size=1, unique=True)
    )
    means = {a: draw(st.floats(0, 80)) for a in arms}
    return RandomModel(means, draw(st.floats(0, 20)), draw(st.booleans()), draw(st.floats(0, 15)))


def _check(rec: Recommendation, record: PatientRecord) -> None:
    if rec.hold is not None:
        # issue 12: a safety hold lists every option unranked and without predictions
        assert all(o.rank is None and o.prediction is None for o in rec.options)
        assert {o.status for o in rec.options} <= {"hold", "contraindicated"}
    else:
        assert [o.rank for o in rec.options] == list(range(1, len(rec.options) + 1))
    assert {o.treatment for o in rec.options} == set(TREATMENT_IDS)
    recommended = [o for o in rec.options if o.status == "recommended"]
    assert len(recommended) <= 1
    for o in recommended:
        assert o.screening_status in ("eligible", "caution")
        assert o.safety_tier != "major caution"  # never with an unacknowledged major caution
        assert not o.investigational
        assert o.availability.status not in ("trial_only", "not_available")
        assert o.prediction is not None
        assert not rec.abstained
        # never recommended when demoted by history
        history = default_policy().history
        courses = [p for p in record.prior_treatments or [] if p.treatment == o.treatment]
        assert not any(demotion_grounds(p, history) for p in courses)
    for o in rec.options:
        if o.screening_status == "contraindicated":
            assert o.status == "contraindicated"
        if rec.hold is not None:
            continue
        if o.screening_status == "excluded":
            assert o.status == "excluded"
        if o.screening_status in (None, "needs_information"):
            assert o.status == "needs information"
    if any(f.id == "cssrs_high_risk" for f in rec.safety_flags):
        assert not recommended
    assert rec.to_dict()["safety_flags"] == [f.model_dump() for f in rec.safety_flags]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(record=records(), model=models())
def test_recommend_never_recommends_gated_options(
    record: PatientRecord, model: RandomModel | None
) -> None:
    rec = recommend(record, model=model)
    _check(rec, record)
    assert NEVER_RECOMMENDED.isdisjoint(
        {o.status for o in rec.options if o.status == "recommended"}
    )


def test_recommend_json_shape() -> None:
    record = PatientRecord(
        patient_id="p",
        as_of=AS_OF,
        assessments=[Administration(instrument="pcl5", date=AS_OF, total=55)],
    )
    rec = recommend(record)
    data = rec.to_dict()
    assert list(data)[:2] == ["safety_flags", "options"]
    # no jurisdiction: availability is unknown, and said so, never assumed
    texts = [r.text for r in rec.option("sertraline").reasons]
    assert rec.option("sertraline").availability.status is None
    assert "Availability unknown: no jurisdiction recorded for the patient." in texts
    # no model: every prediction is labelled as the trial prior
    assert {o.prediction.source for o in rec.options if o.prediction} == {"evidence_prior"}
    first = data["options"][0]
    for key in (
        "treatment",
        "status",
        "predicted_pcl5",
        "interval",
        "remission_probability",
        "evidence_grade",
        "availability",
        "reasons",
    ):
        assert key in first, key


def _clear_cpt_model(support: bool) -> RandomModel:
    means = {t: 40.0 for t in TREATMENT_IDS} | {"cpt": 15.0}
    return RandomModel(means, half=10.0, support=support, paired=3.0)


def test_recommend_model_clear_winner_is_recommended() -> None:
    # first_responder_clean: CPT eligible and approved in AU; the model puts it 25 points
    # ahead with a paired interval of 22..28 points, so it is clearly better than the next
    record = load_record(str(EXAMPLES / "first_responder_clean.json"))
    rec = recommend(record, model=_clear_cpt_model(support=True))
    assert rec.recommended is not None and rec.recommended.treatment == "cpt"
    assert rec.options[0].treatment == "cpt" and not rec.abstained
    adv = rec.option("cpt").advantage_next_best
    assert adv is not None and adv.points == 25.0 and adv.interval == (22.0, 28.0)
    assert rec.prediction_source == "model"
    # same model, patient outside its support: abstain, keep the ranking
    outside = recommend(record, model=_clear_cpt_model(support=False))
    assert outside.recommended is None and "outside" in (outside.abstention_reason or "")
    assert outside.options[0].treatment == "cpt"


def test_recommend_failed_course_is_not_preferred_even_when_predicted_best() -> None:
    # veteran_hypertension: an adequate 2024 paroxetine course gave no response and was
    # stopped for adverse effects. The model puts paroxetine first (5) and CPT next (20):
    # a paired advantage of 12..18 points, above the PCL-5 MID (9), so without the history
    # rule paroxetine could cross from guideline tier 2 into tier 1 (issue 12).
    record = load_record(str(EXAMPLES / "veteran_hypertension.json"))
    means = {t: 40.0 for t in TREATMENT_IDS} | {"paroxetine": 5.0, "cpt": 20.0}
    model = RandomModel(means, half=10.0, support=True, paired=3.0)
    rec = recommend(record, model=model)
    parox = rec.option("paroxetine")
    assert parox.status == "not preferred"
    assert parox.prediction is not None and parox.prediction.expected_pcl5 == 5.0
    assert rec.recommended is not None and rec.recommended.treatment == "cpt"
    assert parox.rank > max(o.rank for o in rec.options if o.status == "alternative")
    # the same patient under a site policy that switches both history conditions off
    base = default_policy()
    off = replace(
        base, history=replace(base.history, adequate_nonresponse=False, adverse_effects=False)
    )
    rec_off = recommend(record, model=model, policy=off)
    assert rec_off.recommended is not None and rec_off.recommended.treatment == "paroxetine"
    texts = [r.text for r in rec_off.option("paroxetine").reasons if r.kind == "history"]
    # the course is still shown, as a fact, when it no longer demotes
    assert texts == [
        "Tried before (2024-03-01 to 2024-09-01): adequate course, no response; "
        "stopped for adverse effects."
    ]
