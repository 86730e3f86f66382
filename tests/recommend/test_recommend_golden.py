"""Golden expectations for the example patients (no model: published-trial priors).

Each expectation carries its reason beside it. Without a clinic model the psychedelic and
ketamine arms have a prior from their own trial arms, and standard care (CPT, PE, EMDR,
sertraline, paroxetine) a prior derived from effect sizes vs control; prazosin, venlafaxine,
esketamine and the investigational options have none. The priors are population averages
with individual predictive intervals (about +-20 PCL-5 points) that always overlap, so the
engine abstains on the intervals (not on missing numbers) whenever two open options have an
estimate; options without one are named as "not compared". A failed past course of the
same treatment (adequate with no response, or stopped for adverse effects) makes an option
"not preferred" under the policy's ``treatment_history`` [U].

Issue 12 changed the order (each change carries its clinical reason below): options rank by
safety tier, then guideline tier (VA/DoD 2023: trauma-focused psychotherapy first, then the
guideline medications, off-label/adjunct options, restricted access routes, trial only), and
only then by prediction; a prior may cross a tier only when its advantage interval clears
the PCL-5 MID. A suicide-risk hold lists options unranked, without predictions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ptsdrx.recommend import Recommendation, recommend
from ptsdrx.records import load_record

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "patients"

# patient -> {treatment: (expected status, why)}
STATUSES: dict[str, dict[str, tuple[str, str]]] = {
    "veteran_hypertension": {
        "mdma_at": (
            "excluded",
            "BP 152/96 on hypertension treatment: MAPP1 excluded uncontrolled HTN",
        ),
        "ketamine_iv": ("excluded", "hypertension: ketamine raises BP ~+16/+11 mmHg (Yale review)"),
        "psilocybin_at": ("excluded", "uncontrolled hypertension excluded in psilocybin trials"),
        "ibogaine": ("trial only", "investigational: never outside a registered trial"),
        "cpt": ("alternative", "eligible, guideline psychotherapy; now has a derived prior"),
        "pe": ("alternative", "eligible; past PE course was not adequate, so not a failure"),
        "sertraline": ("alternative", "eligible; past course adequate but partial: no demotion"),
        "paroxetine": (
            "not preferred",
            "adequate 2024 course with no response, stopped for adverse effects",
        ),
        # issue 12: BP 152/96 is above the limit; the label says control hypertension first
        "venlafaxine": ("excluded", "uncontrolled BP: Effexor XR PI 5.3, control it first"),
    },
    "lithium": {
        "psilocybin_at": ("excluded", "lithium + classic psychedelic: 47% seizures (Nayak 2021)"),
        # issue 12: bupropion (a CYP2D6 inhibitor) raises MDMA levels: taper it first
        "mdma_at": ("excluded", "bupropion with MDMA (CYP2D6): excluded until tapered"),
        "ketamine_iv": ("alternative", "no rule against ketamine with lithium; off-label in US"),
        "cpt": ("alternative", "eligible; past course adequate but partial: no demotion"),
        "sertraline": ("not preferred", "adequate 2022 course with no response"),
    },
    "bipolar_i": {
        "mdma_at": ("excluded", "bipolar I: MAPP1 exclusion"),
        "psilocybin_at": ("excluded", "history of mania excluded (Raison 2023)"),
        "ketamine_iv": ("excluded", "bipolar disorder excluded in ketamine PTSD trials"),
        # issue 12: the caution is now a major one (mania switch, ISBD 2013): still open, but
        # ranked after every option without a major caution and never recommended unacknowledged
        "sertraline": ("alternative", "major caution (mania switch): open but ranked last"),
        "cpt": ("alternative", "psychotherapy is open"),
    },
    "pregnant": {
        "mdma_at": ("excluded", "pregnancy: MAPP1 exclusion"),
        "ketamine_iv": ("excluded", "pregnancy: ketamine trial exclusion; fetal harm (Spravato)"),
        "esketamine": ("excluded", "Spravato label: embryo-fetal toxicity"),
        "psilocybin_at": ("excluded", "pregnancy excluded in psilocybin trials"),
        "cpt": ("alternative", "psychotherapy is safe to offer in pregnancy"),
    },
    "alcohol_use_disorder": {
        "mdma_at": ("excluded", "current alcohol use disorder: MAPP1 exclusion"),
        "psilocybin_at": ("excluded", "active substance use disorder excluded (Raison 2023)"),
        "ketamine_iv": ("excluded", "substance use: APA consensus pre-ketamine evaluation"),
        "pe": ("alternative", "psychotherapy is open"),
    },
    "little_data": {
        tid: ("needs information", "no diagnoses, medications or safety screen recorded")
        for tid in ("mdma_at", "ketamine_iv", "cpt", "sertraline", "prazosin")
    },
    "treatment_resistant_civilian": {
        "prazosin": ("not preferred", "the patient declined prazosin"),
        "mdma_at": ("trial only", "US-OR: MDMA-AT has no approval (FDA CRL 2024): trials only"),
        "psilocybin_at": ("alternative", "Oregon psilocybin services (state program) are open"),
        "ketamine_iv": ("alternative", "eligible, off-label in the US"),
        "sertraline": ("not preferred", "adequate 2022 course with no response"),
        "cpt": ("not preferred", "adequate 2026 course with no response"),
        "venlafaxine": ("alternative", "adequate course with a partial response: no demotion"),
    },
    "maoi": {
        # issue 12: the MAOI washout is a (time-limited) label contraindication, shown with
        # the date it ends; screening still precedes the failed course (history gate)
        "sertraline": ("contraindicated", "14-day MAOI washout, until 2026-11-23"),
        "paroxetine": ("contraindicated", "14-day MAOI washout (serotonin syndrome)"),
        "venlafaxine": ("contraindicated", "14-day MAOI washout (serotonin syndrome)"),
        "mdma_at": ("contraindicated", "MAOI with MDMA: serotonin syndrome / hypertensive crisis"),
        "cpt": ("not preferred", "the patient does not want psychotherapy"),
        "ketamine_iv": ("not preferred", "3 h sessions; the patient accepts up to 1.5 h"),
        # issue 12: prazosin treats nightmares; it is never the only PTSD treatment offered
        "prazosin": ("not preferred", "an adjunct with no PTSD treatment open to add it to"),
    },
    "suicide_risk": {
        # issue 12: a distinct hold status (not "excluded"): urgent risk assessment first
        tid: ("hold", "C-SSRS high risk: safety evaluation comes before any treatment")
        for tid in ("cpt", "sertraline", "ketamine_iv", "mdma_at")
    },
    "first_responder_clean": {
        # issue 12: the AU Authorised Prescriber route is for patients whose registered
        # options were considered (TGA/NSW Health): no failed first- or second-line course
        # is documented for this treatment-naive patient
        "mdma_at": ("not preferred", "AU AP route needs documented failure of tiers 1 and 2"),
        "psilocybin_at": ("trial only", "AU authorises psilocybin for depression, not PTSD"),
        "cpt": ("alternative", "eligible"),
    },
}

# patient -> (a, b, why a is listed before b)
ORDER: list[tuple[str, str, str, str]] = [
    # derived priors: CPT g 1.24 vs EMDR SMD 1.08, same inactive control, so CPT is lower
    ("veteran_hypertension", "cpt", "emdr", "lower derived PCL-5 (larger SMD vs control)"),
    # issue 12: sertraline's derived prior is ~3 points lower at this baseline, a point
    # estimate far inside the intervals and below the MID: trauma-focused psychotherapy
    # (guideline tier 1) now ranks first. Paroxetine predicts lowest but its adequate course
    # failed and was stopped for adverse effects, so it is listed after every open option
    ("veteran_hypertension", "cpt", "sertraline", "tier 1 psychotherapy before medication"),
    ("veteran_hypertension", "sertraline", "paroxetine", "open before demoted by history"),
    ("veteran_hypertension", "paroxetine", "ibogaine", "not preferred before trial only"),
    ("veteran_hypertension", "prazosin", "ibogaine", "open (unestimated) before trial only"),
    ("veteran_hypertension", "ibogaine", "venlafaxine", "trial only before excluded"),
    ("veteran_hypertension", "emdr", "prazosin", "an option with an estimate before one without"),
    ("veteran_hypertension", "sertraline", "mdma_at", "open options come before excluded ones"),
    ("veteran_hypertension", "ibogaine", "mdma_at", "trial only is listed before excluded"),
    # issue 12: ketamine's prior (29) comes from an uncontrolled real-world cohort and is not
    # ranked against CPT's controlled derived prior (31); CPT is guideline tier 1
    ("lithium", "cpt", "ketamine_iv", "tier 1 before off-label; uncontrolled prior"),
    ("lithium", "cpt", "venlafaxine", "an option with an estimate ranks above one without"),
    # issue 12: Oregon psilocybin services are a restricted, non-medical route (tier 4),
    # ranked after untried PE/EMDR and after off-label ketamine whatever its uncontrolled prior
    ("treatment_resistant_civilian", "pe", "psilocybin_at", "untried PE before restricted"),
    ("treatment_resistant_civilian", "ketamine_iv", "psilocybin_at", "tier 3 before tier 4"),
    ("treatment_resistant_civilian", "venlafaxine", "prazosin", "open before not preferred"),
    ("treatment_resistant_civilian", "venlafaxine", "sertraline", "failed course: after open"),
    # issue 12: prazosin alone is not a PTSD treatment, so it no longer comes first
    ("maoi", "cpt", "prazosin", "an adjunct is never ranked first"),
    ("maoi", "cpt", "psilocybin_at", "not preferred before trial only"),
]


@pytest.fixture(scope="module")
def results() -> dict[str, Recommendation]:
    return {name: recommend(load_record(str(EXAMPLES / f"{name}.json"))) for name in STATUSES}


@pytest.mark.parametrize(
    ("patient", "treatment"),
    [(p, t) for p, table in STATUSES.items() for t in table],
)
def test_recommend_golden_status(
    results: dict[str, Recommendation], patient: str, treatment: str
) -> None:
    expected, why = STATUSES[patient][treatment]
    assert results[patient].status(treatment) == expected, why


@pytest.mark.parametrize(("patient", "first", "second", "why"), ORDER)
def test_recommend_golden_order(
    results: dict[str, Recommendation], patient: str, first: str, second: str, why: str
) -> None:
    rec = results[patient]
    assert rec.option(first).rank < rec.option(second).rank, why


# patient -> (best, runner-up) compared on their intervals; None: abstains for another reason
DECIDED_BY_INTERVALS: dict[str, tuple[str, str] | None] = {
    # issue 12: the first two open options are now the guideline tier 1 psychotherapies
    # (ranked by guideline tier before prediction); PE and EMDR for the patient whose CPT failed
    "veteran_hypertension": ("Cognitive processing therapy", "Prolonged exposure therapy"),
    "lithium": ("Cognitive processing therapy", "Prolonged exposure therapy"),
    "bipolar_i": ("Cognitive processing therapy", "Prolonged exposure therapy"),
    "pregnant": ("Cognitive processing therapy", "Prolonged exposure therapy"),
    "alcohol_use_disorder": ("Cognitive processing therapy", "Prolonged exposure therapy"),
    "treatment_resistant_civilian": (
        "Prolonged exposure therapy",
        "Eye movement desensitisation and reprocessing (EMDR)",
    ),
    "first_responder_clean": ("Cognitive processing therapy", "Prolonged exposure therapy"),
    "little_data": None,  # nothing is open without more information
    "maoi": None,  # nothing is open: prazosin (an adjunct) is not offered on its own
    "suicide_risk": None,  # high-risk C-SSRS holds every recommendation
}


def test_recommend_golden_abstains_and_flags(results: dict[str, Recommendation]) -> None:
    for name, rec in results.items():
        # priors are population averages with overlapping individual intervals: no
        # "recommended" without a model
        assert rec.recommended is None and rec.abstained, name
        # issue 12: during the suicide-risk hold nothing is predicted at all
        expected = "none" if name == "suicide_risk" else "evidence_prior"
        assert rec.prediction_source == expected, name
    flags = [f.id for f in results["suicide_risk"].safety_flags]
    # high-risk C-SSRS first (Columbia triage), then PHQ-9 item 9
    assert flags == ["cssrs_high_risk", "phq9_item9_positive"]
    assert "evaluate safety" in (results["suicide_risk"].abstention_reason or "")
    lines = results["suicide_risk"].to_text().splitlines()
    # issue 12: no site crisis text is configured here, so a loud warning comes first
    assert lines[1].startswith("CRISIS: NO CRISIS TEXT CONFIGURED")
    assert lines[2].startswith("SAFETY: C-SSRS") and lines[3].startswith("SAFETY: PHQ-9")
    assert [f.id for f in results["bipolar_i"].safety_flags] == []


@pytest.mark.parametrize(("patient", "pair"), list(DECIDED_BY_INTERVALS.items()))
def test_recommend_golden_abstention_is_decided_by_intervals(
    results: dict[str, Recommendation], patient: str, pair: tuple[str, str] | None
) -> None:
    why = results[patient].abstention_reason or ""
    if pair is None:
        assert "not clearly different" not in why
        return
    best, runner_up = pair
    assert why.startswith(best) and f"and {runner_up}" in why, why
    assert "not clearly different (outcome intervals:" in why
    # open options without an estimate (prazosin, venlafaxine, esketamine when open) are
    # named, not silently dropped
    assert "not compared, no outcome estimate: " in why
    unestimated = [
        o.name
        for o in results[patient].options
        if o.prediction is None and o.status in ("recommended", "alternative")
    ]
    assert unestimated, patient
    for name in unestimated:
        assert name in why, name


def test_recommend_golden_standard_care_has_a_labelled_derived_prior(
    results: dict[str, Recommendation],
) -> None:
    rec = results["pregnant"]
    for tid in ("cpt", "pe", "emdr", "sertraline", "paroxetine"):
        pred = rec.option(tid).prediction
        assert pred is not None and pred.prior_kind == "effect_sizes", tid
        assert pred.label == "derived prior"
        assert pred.interval_level == pytest.approx(0.9)  # the policy's 90% intervals
    for tid in ("prazosin", "venlafaxine"):
        assert rec.option(tid).prediction is None, tid
    data = rec.to_dict()
    cpt = next(o for o in data["options"] if o["treatment"] == "cpt")
    label = "derived from effect sizes vs control, not from a trial arm"
    assert cpt["prediction"]["label"] == label
    assert cpt["prediction"]["basis"].startswith("Published trials (cold-start prior), derived")
    assert any("derived prior" in n for n in rec.notes)


def test_recommend_golden_history_reasons_name_the_course(
    results: dict[str, Recommendation],
) -> None:
    vet = results["veteran_hypertension"]
    parox = vet.option("paroxetine")
    # demoted, but the prediction is kept (shown, just not offered first)
    assert parox.prediction is not None
    first = parox.reasons[0]
    assert first.kind == "history"
    assert first.text.startswith(
        "Not preferred, tried before (2024-03-01 to 2024-09-01): adequate course, no response; "
        "stopped for adverse effects (an adequate course failed and it was stopped for "
        "adverse effects)."
    )
    assert first.source is not None and first.source.endswith("[U]")
    # the course that does not demote is still shown, as a fact
    sert = [r.text for r in vet.option("sertraline").reasons if r.kind == "history"]
    assert sert == ["Tried before (2023-01-10 to 2024-02-01): adequate course, partial response."]
    pe = [r.text for r in vet.option("pe").reasons if r.kind == "history"]
    assert pe == ["Tried before (2025-01-15 to 2025-02-20): not adequate course, no response."]


# patient -> (first-ranked option, its status, the clinical reason a PTSD clinician would give)
FIRST: dict[str, tuple[str, str, str]] = {
    "pregnant": ("cpt", "alternative", "trauma-focused psychotherapy: no fetal exposure"),
    "bipolar_i": ("cpt", "alternative", "psychotherapy; antidepressants carry a mania switch"),
    "maoi": ("cpt", "not preferred", "not prazosin alone; SSRIs wait for the washout to end"),
    "first_responder_clean": ("cpt", "alternative", "first line before any restricted route"),
    "veteran_hypertension": ("cpt", "alternative", "guideline psychotherapy first"),
    "lithium": ("cpt", "alternative", "guideline psychotherapy before off-label ketamine"),
    "alcohol_use_disorder": ("cpt", "alternative", "SUD does not preclude TF psychotherapy"),
    "treatment_resistant_civilian": ("pe", "alternative", "PE untried; CPT failure != PE failure"),
}


@pytest.mark.parametrize("patient", list(FIRST))
def test_recommend_golden_first_option_is_defensible(
    results: dict[str, Recommendation], patient: str
) -> None:
    treatment, status, why = FIRST[patient]
    first = results[patient].options[0]
    assert (first.treatment, first.status) == (treatment, status), why
    assert first.safety_tier != "major caution", why


def test_recommend_golden_hold_lists_options_without_ranks_or_predictions(
    results: dict[str, Recommendation],
) -> None:
    rec = results["suicide_risk"]
    assert rec.hold is not None and "cssrs_high_risk" in rec.hold
    assert {o.status for o in rec.options} <= {"hold", "contraindicated"}
    assert all(o.rank is None and o.prediction is None for o in rec.options)
    assert all(o.advantage_next_best is None and not o.contributions for o in rec.options)
    assert rec.crisis is None and rec.crisis_missing
    assert rec.to_dict()["crisis_warning"].startswith("NO CRISIS TEXT CONFIGURED")


def test_recommend_golden_washout_shows_the_date_it_ends(
    results: dict[str, Recommendation],
) -> None:
    # phenelzine stopped 10 days before as_of 2026-11-19, 14-day washout: SSRIs reopen 2026-11-23
    parox = results["maoi"].option("paroxetine")
    assert parox.excluded_until is not None and parox.excluded_until.isoformat() == "2026-11-23"
    assert parox.status_label.startswith("contraindicated until 2026-11-23")
    assert parox.reasons[0].text.startswith("Contraindicated until 2026-11-23")


def test_recommend_golden_status_shows_the_highest_caution_first(
    results: dict[str, Recommendation],
) -> None:
    sert = results["bipolar_i"].option("sertraline")
    assert sert.status_label.startswith("alternative · major caution: antidepressant bipolar")
    assert sert.reasons[0].kind == "safety" or any(r.kind == "safety" for r in sert.reasons)
    # dosing notes are shown, never part of the status (prazosin first-dose syncope)
    praz = results["bipolar_i"].option("prazosin")
    assert [n.rule for n in praz.dosing_notes] == ["prazosin_first_dose_syncope"]
    assert "caution" not in praz.status_label
    options = results["bipolar_i"].to_dict()["options"]
    data = next(o for o in options if o["treatment"] == "prazosin")
    assert data["dosing_notes"][0]["rule"] == "prazosin_first_dose_syncope"
