"""Follow-up suggestions: ketamine loss-of-response window, boosters, check-ins, safety."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from ptsdrx.monitoring import Dose, DosingSession, suggest
from ptsdrx.records import Administration, PatientRecord

D0 = date(2026, 1, 5)


def _pcl(day: int, total: float) -> Administration:
    return Administration(instrument="pcl5", date=D0 + timedelta(days=day), total=total)


def _dosing(day: int, treatment: str = "ketamine_iv") -> DosingSession:
    start = datetime.combine(D0 + timedelta(days=day), datetime.min.time()).replace(hour=9)
    return DosingSession(
        phase="dosing",
        treatment=treatment,  # type: ignore[arg-type]
        start=start,
        end=start + timedelta(hours=3),
        status="complete",
        doses=(Dose(given_at=start + timedelta(minutes=10), mg_per_kg=0.5, route="iv"),),
    )


COURSE = [_dosing(d) for d in (1, 3, 5, 8, 10, 12)]  # 6 infusions over 2 weeks (Feder 2021)


def _kinds(result: object) -> list[str]:
    return [s.kind for s in result]  # type: ignore[attr-defined]


def test_responder_gets_reassessment_before_day_27_5() -> None:
    rec = PatientRecord(patient_id="k1", assessments=[_pcl(0, 55), _pcl(14, 30)])
    result = suggest(rec, COURSE, as_of=D0 + timedelta(days=20))
    ket = [s for s in result if s.rule_id == "ketamine_loss_of_response_window"]
    assert len(ket) == 1
    # last infusion on day 12; median time to loss of response 27.5 days -> due day 39
    assert ket[0].due == D0 + timedelta(days=12 + 27)
    assert "27.5" in ket[0].message and "Feder" in ket[0].source
    # an assessment inside the window (from day 12 + 20.5 = day 32) satisfies it
    later = rec.model_copy(update={"assessments": [*rec.assessments, _pcl(32, 28)]})
    assert "ketamine_loss_of_response_window" not in {
        s.rule_id for s in suggest(later, COURSE, as_of=D0 + timedelta(days=33))
    }
    earlier = rec.model_copy(update={"assessments": [*rec.assessments, _pcl(31, 28)]})
    assert "ketamine_loss_of_response_window" in {
        s.rule_id for s in suggest(earlier, COURSE, as_of=D0 + timedelta(days=33))
    }


def test_non_responder_and_other_treatments_get_no_ketamine_prompt() -> None:
    rec = PatientRecord(assessments=[_pcl(0, 55), _pcl(14, 45)])
    assert "reassess" not in _kinds(suggest(rec, COURSE, as_of=D0 + timedelta(days=20)))
    responder = PatientRecord(assessments=[_pcl(0, 55), _pcl(14, 30)])
    mdma = [_dosing(1, "mdma_at")]
    assert "reassess" not in _kinds(suggest(responder, mdma, as_of=D0 + timedelta(days=20)))
    assert "reassess" not in _kinds(suggest(responder, (), as_of=D0 + timedelta(days=20)))


def test_relapse_prompts_booster_review_not_treatment() -> None:
    rec = PatientRecord(assessments=[_pcl(0, 55), _pcl(14, 25), _pcl(40, 47)])
    result = suggest(rec, COURSE, as_of=D0 + timedelta(days=41))
    assert _kinds(result) == ["booster_review"]
    item = result.items[0]
    assert "return_above_cutpoint" in item.message and str(D0 + timedelta(days=40)) in item.message
    assert "suggestions only; the clinician decides" in result.to_text()
    retreated = suggest(rec, [*COURSE, _dosing(45)], as_of=D0 + timedelta(days=46))
    assert "booster_review" not in _kinds(retreated)
    assert json.loads(json.dumps(result.to_dict()))["suggestions"][0]["kind"] == "booster_review"


def test_long_gap_prompts_check_in() -> None:
    rec = PatientRecord(assessments=[_pcl(0, 50)])
    assert suggest(rec, as_of=D0 + timedelta(days=90)).items == ()
    gap = suggest(rec, as_of=D0 + timedelta(days=91))
    assert _kinds(gap) == ["check_in"] and "91 days" in gap.items[0].message
    assert gap.items[0].verification == "U"
    never = suggest(PatientRecord(), as_of=D0)
    assert never.items[0].message.startswith("No pcl5 assessment in the record (last on never)")


def test_safety_flag_comes_first() -> None:
    phq9 = Administration(instrument="phq9", date=D0, responses=[1, 1, 1, 1, 1, 1, 1, 1, 1])
    cssrs_ok = Administration(
        instrument="cssrs", date=D0, responses=[0, 0, None, None, None, 0, None]
    )
    rec = PatientRecord(assessments=[_pcl(-100, 50), phq9, cssrs_ok])
    result = suggest(rec, as_of=D0)
    assert _kinds(result) == ["safety_review", "check_in"]
    assert "phq9_item9_positive" in result.items[0].message
    resolved = Administration(
        instrument="phq9", date=D0 + timedelta(days=7), responses=[1, 1, 1, 1, 1, 1, 1, 1, 0]
    )
    later = rec.model_copy(update={"assessments": [*rec.assessments, resolved]})
    assert "safety_review" not in _kinds(suggest(later, as_of=D0 + timedelta(days=7)))


def test_site_can_change_the_gap() -> None:
    rec = PatientRecord(assessments=[_pcl(0, 50)])
    site = {"followup": {"overrides": {"clinician_check_in_long_gap": {"days": 30}}}}
    result = suggest(rec, as_of=D0 + timedelta(days=31), site=site)
    assert _kinds(result) == ["check_in"] and result.items[0].verification == "site"
