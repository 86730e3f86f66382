"""The GRADE-like grade: the packaged verdicts, and each rule on a small synthetic evidence set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ptsdrx.evidence import EvidenceStudy, grade, load_grading
from ptsdrx.treatments import TREATMENT_IDS

EXPECTED = {
    # issue 12: two positive RCTs start high; functional unblinding (risk of bias) costs a level
    "mdma_at": "moderate",
    "psilocybin_at": "very_low",
    "ketamine_iv": "mixed",
    "esketamine": "insufficient",
    "sertraline": "moderate",
    "paroxetine": "moderate",
    # issue 12: Davidson 2006 x2 (n 538, 329), both positive, medium risk of bias (AHRQ)
    "venlafaxine": "moderate",
    "prazosin": "mixed",
    "cpt": "high",
    "pe": "high",
    "emdr": "moderate",
    "ibogaine": "insufficient",
    "five_meo_dmt": "insufficient",
}


@pytest.mark.parametrize(("treatment", "expected"), sorted(EXPECTED.items()))
def test_packaged_grades(treatment: str, expected: str) -> None:
    g = grade(treatment)
    assert g.grade == expected, g.summary()
    assert g.reasons, "a grade always says why"
    assert treatment in g.summary() and g.to_dict()["grade"] == expected


def test_every_treatment_is_graded() -> None:
    assert set(EXPECTED) == set(TREATMENT_IDS)


def test_ketamine_is_mixed_because_the_largest_rct_is_negative() -> None:
    g = grade("ketamine_iv")
    assert any("abdallah2022" in r and "negative" in r for r in g.reasons)
    assert any("not established" in c.text for c in g.caveats)


def test_mdma_is_strong_but_states_the_crl() -> None:
    g = grade("mdma_at")
    # issue 12: graded as GRADE would, down one for functional unblinding (risk of bias)
    assert g.grade == "moderate"
    assert any(
        r.startswith("down one level for risk of bias") and "unblinding" in r for r in g.reasons
    )
    assert g.pooled is not None and g.pooled.k == 2
    crl = [c for c in g.caveats if "not FDA-approved" in c.text]
    assert crl and "2024-08-09" in crl[0].text and crl[0].verification == "V"
    # Consumers that read only `reasons` (recommendations, reports) still see it.
    assert any(r.startswith("caveat:") and "2024-08-09" in r for r in g.reasons)


def test_psilocybin_reasons_name_each_downgrade() -> None:
    text = " ".join(grade("psilocybin_at").reasons)
    assert "starts low" in text and "open-label" in text and "imprecision" in text
    assert "indirect" in text


def test_sertraline_downgraded_for_the_negative_va_trial() -> None:
    reasons = grade("sertraline").reasons
    assert any("va_sertraline2007" in r for r in reasons)
    assert any("inconsistency" in r for r in reasons)


def test_investigational_entries_carry_the_trial_only_caveat() -> None:
    for t in ("ibogaine", "five_meo_dmt"):
        assert any("outside a registered trial" in c.text for c in grade(t).caveats)


# ----------------------------------------------------------- rules on synthetic evidence


def _trial(tid: str, result: str, n: int, **kw: Any) -> EvidenceStudy:
    data: dict[str, Any] = {
        "id": tid,
        "citation": "synthetic",
        "doi": None,
        "registry": None,
        "kind": "rct",
        "blinding": "double_blind",
        "indication": "ptsd",
        "population": "synthetic",
        "treatments": ["venlafaxine"],
        "control": "placebo",
        "result": result,
        "instrument": "caps5",
        "n": n,
        "follow_up": None,
        "arms": [],
        "rates": [],
        "effects": [],
        "adverse_events": [],
        "note": None,
        "source": "test",
        "verification": "D",
    }
    data.update(kw)
    return EvidenceStudy.model_validate(data)


def test_two_positive_rcts_start_high() -> None:
    ev = [_trial("a", "positive", 120), _trial("b", "positive", 130)]
    assert grade("venlafaxine", evidence=ev).grade == "high"


def test_a_negative_small_rct_downgrades_a_negative_large_one_mixes() -> None:
    base = [_trial("a", "positive", 120), _trial("b", "positive", 130)]
    assert grade("venlafaxine", evidence=[*base, _trial("c", "negative", 50)]).grade == "moderate"
    assert grade("venlafaxine", evidence=[*base, _trial("c", "negative", 500)]).grade == "mixed"
    assert grade("venlafaxine", evidence=[_trial("c", "negative", 50)]).grade == "mixed"


def test_single_small_open_label_rct() -> None:
    ev = [_trial("a", "positive", 40, blinding="open_label")]
    g = grade("venlafaxine", evidence=ev)
    # moderate (single RCT) - open-label - imprecision (n < 100) = very low
    assert g.grade == "very_low", g.summary()


def test_trivial_effect_counts_as_inconsistency() -> None:
    effect = {
        "treatment": "venlafaxine",
        "control": "placebo",
        "scope": "between_group",
        "measure": "d",
        "value": 0.05,
        "label": "trial C",
    }
    ev = [_trial("a", "positive", 120), _trial("b", "positive", 130, effects=[effect])]
    g = grade("venlafaxine", evidence=ev)
    assert g.grade == "moderate" and any("below SMD 0.2" in r for r in g.reasons)


def test_thresholds_come_from_the_rules_file(tmp_path: Path) -> None:
    raw = yaml.safe_load(
        (Path(__file__).parents[2] / "src/ptsdrx/evidence/data/grading.yaml").read_text()
    )
    raw["thresholds"]["min_positive_rcts_for_high"] = 3
    path = tmp_path / "grading.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    rules = load_grading(path)
    ev = [_trial("a", "positive", 120), _trial("b", "positive", 130)]
    assert grade("venlafaxine", evidence=ev, rules=rules).grade == "moderate"
    raw["thresholds"]["inconsistency_i2"] = 5
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ValueError, match=r"thresholds\.inconsistency_i2"):
        load_grading(path)
    raw["thresholds"]["inconsistency_i2"] = 0.5
    raw["caveats"]["lsd"] = []
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ValueError, match="unknown treatments"):
        load_grading(path)


def test_unknown_treatment() -> None:
    with pytest.raises(KeyError, match="allowed"):
        grade("lsd")


_rct = st.tuples(
    st.sampled_from(["positive", "negative"]),
    st.integers(10, 600),
    st.sampled_from(["double_blind", "assessor_blind", "open_label", "unknown"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_rct, min_size=1, max_size=6))
def test_grade_properties_on_random_evidence(specs: list[tuple[str, int, str]]) -> None:
    ev = [_trial(f"t{i}", r, n, blinding=b) for i, (r, n, b) in enumerate(specs)]
    g = grade("venlafaxine", evidence=ev)
    assert g.grade in {"high", "moderate", "low", "very_low", "mixed"}
    largest = max(ev, key=lambda t: t.n or 0)
    has_negative = any(t.result == "negative" for t in ev)
    has_positive = any(t.result == "positive" for t in ev)
    # A negative largest RCT, or no positive RCT at all, always reads as mixed ...
    if has_negative and (largest.result == "negative" or not has_positive):
        assert g.grade == "mixed"
    # ... and "mixed" is never claimed without a negative RCT.
    if g.grade == "mixed":
        assert has_negative
    # Adding a large negative RCT never improves the grade.
    worse = grade("venlafaxine", evidence=[*ev, _trial("big", "negative", 10_000)])
    assert worse.grade == "mixed"


def test_no_evidence_is_insufficient() -> None:
    assert grade("venlafaxine", evidence=[]).grade == "insufficient"


def test_venlafaxine_graded_from_the_two_davidson_2006_rcts() -> None:
    g = grade("venlafaxine")
    assert set(g.trials) == {"davidson2006_jcp", "davidson2006_agp"}
    assert any("2 positive PTSD RCT(s)" in r and "n=538" in r and "n=329" in r for r in g.reasons)
    assert any("risk of bias" in r and "medium" in r for r in g.reasons)


def test_risk_of_bias_rating_downgrades_only_when_every_study_is_rated() -> None:
    base = [_trial("a", "positive", 200), _trial("b", "positive", 200)]
    assert grade("venlafaxine", evidence=base).grade == "high"
    rob = {
        "rating": "high",
        "reason": "functional unblinding",
        "source": "x y",
        "verification": "V",
    }
    one = [_trial("a", "positive", 200, risk_of_bias=rob), base[1]]
    assert grade("venlafaxine", evidence=one).grade == "high"  # just outside: one unrated
    both = [
        _trial("a", "positive", 200, risk_of_bias=rob),
        _trial("b", "positive", 200, risk_of_bias=rob),
    ]
    assert grade("venlafaxine", evidence=both).grade == "moderate"  # just inside
    low = {**rob, "rating": "low"}
    rated_low = [
        _trial("a", "positive", 200, risk_of_bias=low),
        _trial("b", "positive", 200, risk_of_bias=low),
    ]
    assert grade("venlafaxine", evidence=rated_low).grade == "high"
