"""Issue 12: safety and guideline tiers, acknowledgements and overrides, holds and crisis text.

Properties (hypothesis) over plain candidates, then the same rules through ``recommend`` on
the example patients and through ``ptsdrx recommend``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ptsdrx.cli import app
from ptsdrx.recommend import (
    NO_CRISIS_TEXT,
    Candidate,
    Override,
    decide,
    default_guideline,
    default_policy,
    recommend,
)
from ptsdrx.records import PriorTreatment, load_record
from ptsdrx.treatments import TREATMENT_IDS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "patients"
RULES = ["r_major_a", "r_major_b", "r_minor", "r_excl", "r_contra"]
runner = CliRunner()


@st.composite
def candidate_sets(draw: st.DrawFn) -> list[Candidate]:
    ids = draw(st.lists(st.sampled_from(TREATMENT_IDS), min_size=1, max_size=8, unique=True))
    out = []
    for tid in ids:
        status = draw(
            st.sampled_from(
                ["eligible", "caution", "excluded", "contraindicated", "needs_information", "hold"]
            )
            if draw(st.integers(0, 9)) == 0
            else st.sampled_from(["eligible", "caution", "excluded"])
        )
        mean = draw(st.none() | st.floats(0, 80))
        half = draw(st.floats(0, 25))
        out.append(
            Candidate(
                treatment=tid,
                screening_status=status,
                availability=draw(
                    st.sampled_from(["approved", "off_label", "authorised_prescriber", None])
                ),
                expected_pcl5=mean,
                interval=None if mean is None else (mean - half, mean + half),
                major_cautions=tuple(draw(st.lists(st.sampled_from(RULES[:2]), unique=True)))
                if status == "caution"
                else (),
                minor_cautions=("r_minor",) if status == "caution" and draw(st.booleans()) else (),
                exclusions=("r_excl",) if status == "excluded" else (),
                contraindications=("r_contra",) if status == "contraindicated" else (),
                controlled=draw(st.booleans()),
            )
        )
    return out


def _first_open(order: tuple[str, ...], statuses: dict[str, str]) -> str | None:
    return next((t for t in order if statuses[t] in ("recommended", "alternative")), None)


@settings(max_examples=300, deadline=None)
@given(
    cands=candidate_sets(),
    acked=st.lists(st.sampled_from(RULES[:2]), unique=True),
    override=st.booleans(),
    adv=st.none() | st.tuples(st.floats(-30, 30), st.floats(0, 20)),
)
def test_never_recommended_or_first_with_an_unresolved_safety_issue(
    cands: list[Candidate], acked: list[str], override: bool, adv: tuple[float, float] | None
) -> None:
    interval = None if adv is None else (adv[0], adv[0] + adv[1])
    overrides = [Override(rule="r_excl", reason="benefit outweighs", clinician="Dr A")]
    d = decide(
        cands,
        advantage_interval=lambda a, b: interval,
        acknowledged=acked,
        overrides=overrides if override else [],
    )
    by_id = {c.treatment: c for c in cands}
    first = _first_open(d.order, dict(d.statuses))
    unsafe = [t for t, s in d.statuses.items() if s == "recommended"]
    if first is not None and any(r not in acked for r in by_id[first].major_cautions):
        # listed first only when every open option has one: then nothing is "first-ranked",
        # the decision abstains and names the cautions
        open_ = [t for t, s in d.statuses.items() if s == "alternative"]
        assert all(any(r not in acked for r in by_id[t].major_cautions) for t in open_)
        assert d.abstained and d.first is None
        assert "major caution nobody has acknowledged" in (d.abstention_reason or "")
    elif first is not None:
        assert d.first == first
        unsafe.append(first)
    for tid in unsafe:
        c = by_id[tid]
        assert not any(r not in acked for r in c.major_cautions), "unacknowledged major caution"
        assert not c.contraindications and c.screening_status != "contraindicated"
        assert c.screening_status != "hold"
        if c.screening_status == "excluded":
            assert override, "an exclusion without a recorded override"
    if any(c.screening_status == "hold" for c in cands):
        assert d.held and d.abstained
        assert set(d.statuses.values()) <= {"hold", "contraindicated"}
    for c in cands:
        if c.contraindications:
            assert d.statuses[c.treatment] in ("contraindicated",)


@settings(max_examples=300, deadline=None)
@given(cands=candidate_sets(), data=st.data())
def test_acknowledging_a_major_caution_moves_only_that_option(
    cands: list[Candidate], data: st.DataObject
) -> None:
    cautioned = [c for c in cands if c.major_cautions]
    if not cautioned:
        return
    target = data.draw(st.sampled_from(cautioned))
    # the rule id is unique to the target, so the acknowledgement touches nothing else
    mine = f"only_{target.treatment}"
    cands = [
        Candidate(**{**c.__dict__, "major_cautions": (mine,)}) if c is target else c for c in cands
    ]
    before = decide(cands)
    after = decide(cands, acknowledged=[mine])
    rest_before = [t for t in before.order if t != target.treatment]
    rest_after = [t for t in after.order if t != target.treatment]
    assert rest_before == rest_after
    for t in rest_before:
        if before.statuses[t] != after.statuses[t]:
            # only the single "recommended" slot can pass to (or from) the acknowledged option
            assert {before.statuses[t], after.statuses[t]} == {"recommended", "alternative"}
    assert after.safety[target.treatment] in ("acknowledged major caution", "none")


def _c(tid: str, mean: float, half: float = 2.0, **kw: object) -> Candidate:
    return Candidate(
        treatment=tid,
        screening_status=kw.pop("screening_status", "eligible"),  # type: ignore[arg-type]
        availability=kw.pop("availability", "approved"),  # type: ignore[arg-type]
        expected_pcl5=mean,
        interval=(mean - half, mean + half),
        **kw,  # type: ignore[arg-type]
    )


def test_safety_tiers_order_before_guideline_and_prediction() -> None:
    d = decide(
        [
            _c("paroxetine", 10, screening_status="caution", major_cautions=("parox_preg",)),
            _c("sertraline", 30, screening_status="caution", minor_cautions=("sert_preg",)),
            _c("venlafaxine", 20),
        ]
    )
    # none < minor caution < unacknowledged major caution, whatever the predictions
    assert d.order == ("venlafaxine", "sertraline", "paroxetine")
    assert d.statuses["paroxetine"] == "alternative"
    acked = decide(
        [
            _c("paroxetine", 10, screening_status="caution", major_cautions=("parox_preg",)),
            _c("sertraline", 30, screening_status="caution", minor_cautions=("sert_preg",)),
        ],
        acknowledged=["parox_preg"],
    )
    # minor caution < acknowledged major caution
    assert acked.order == ("sertraline", "paroxetine")


def test_all_open_options_with_unacknowledged_major_cautions_abstain_and_name_them() -> None:
    d = decide(
        [
            _c("paroxetine", 10, screening_status="caution", major_cautions=("parox_preg",)),
            _c("sertraline", 40, screening_status="caution", major_cautions=("sert_bip",)),
        ]
    )
    assert d.abstained and "recommended" not in d.statuses.values()
    why = d.abstention_reason or ""
    assert "major caution nobody has acknowledged" in why
    assert "paroxetine (parox_preg)" in why and "sertraline (sert_bip)" in why


def test_a_tier_is_crossed_only_beyond_the_mid_on_an_interval() -> None:
    mid = default_guideline().promotion.min_advantage_pcl5
    assert mid == 9.0  # Blanchard 2023: MID 9-12 PCL-5 points, the lower end
    # the point estimate is 20 points better, but the advantage interval's lower bound is 8
    near = decide([_c("cpt", 30), _c("sertraline", 10)], advantage_interval=lambda a, b: (8, 32))
    assert near.order[0] == "cpt" and near.tiers["sertraline"] == 2
    far = decide([_c("cpt", 30), _c("sertraline", 10)], advantage_interval=lambda a, b: (9.5, 30))
    assert far.order[0] == "sertraline" and far.tiers["sertraline"] == 1
    assert any("minimal important difference" in r.text for r in far.reasons["sertraline"])
    # an uncontrolled pre-post estimate never crosses a tier against a controlled one
    uncontrolled = decide(
        [_c("cpt", 30), _c("ketamine_iv", 5, controlled=False)],
        advantage_interval=lambda a, b: (20, 30),
    )
    assert uncontrolled.order == ("cpt", "ketamine_iv")
    # and is not called better than one either
    same_tier = decide([_c("ketamine_iv", 5, controlled=False), _c("esketamine", 40)])
    assert same_tier.order == ("esketamine", "ketamine_iv") and same_tier.abstained


def test_restricted_route_needs_documented_failure_of_tiers_1_and_2() -> None:
    mdma = _c("mdma_at", 10, 10, availability="authorised_prescriber")
    naive = decide([mdma, _c("cpt", 30)])
    assert naive.statuses["mdma_at"] == "not preferred"
    assert any("Restricted access" in r.text for r in naive.reasons["mdma_at"])
    failed = [
        PriorTreatment(treatment="cpt", adequate=True, response="none"),
        PriorTreatment(treatment="sertraline", adequate=True, response="worsened"),
    ]
    only_cpt = decide([mdma, _c("pe", 30)], courses=failed[:1])
    assert only_cpt.statuses["mdma_at"] == "not preferred"  # tier 2 not yet tried
    both = decide([mdma, _c("pe", 30)], courses=failed)
    assert both.statuses["mdma_at"] == "alternative"
    assert both.order == ("pe", "mdma_at")  # tier 4 after tier 1 unless it clears the MID


def test_prazosin_is_never_the_only_treatment_offered_nor_first() -> None:
    alone = decide([_c("prazosin", 5), _c("cpt", 30, screening_status="excluded")])
    assert alone.statuses["prazosin"] == "not preferred"
    assert "adjunct" in alone.reasons["prazosin"][-1].text
    with_others = decide([_c("prazosin", 5), _c("ketamine_iv", 30)])
    assert with_others.order[0] == "ketamine_iv"


def test_overrides_reopen_exclusions_but_never_contraindications() -> None:
    ov = Override(rule="parox_preg", reason="stable on it for years", clinician="Dr B")
    cands = [
        _c("paroxetine", 10, screening_status="excluded", exclusions=("parox_preg",)),
        _c("cpt", 30),
    ]
    assert decide(cands).statuses["paroxetine"] == "excluded"
    reopened = decide(cands, overrides=[ov])
    assert reopened.statuses["paroxetine"] in ("alternative", "recommended")
    assert "overridden by Dr B" in reopened.reasons["paroxetine"][0].text
    contra = [_c("paroxetine", 10, screening_status="contraindicated", contraindications=("x",))]
    forced = decide(contra, overrides=[Override(rule="x", reason="please", clinician="Dr B")])
    assert forced.statuses["paroxetine"] == "contraindicated"


def test_recommend_acknowledgement_and_override_on_example_patients() -> None:
    bipolar = load_record(str(EXAMPLES / "bipolar_i.json"))
    plain = recommend(bipolar)
    assert plain.option("sertraline").safety_tier == "major caution"
    acked = recommend(bipolar, acknowledged=["antidepressant_bipolar"], clinician="Dr C")
    sert = acked.option("sertraline")
    assert sert.safety_tier == "acknowledged major caution"
    assert sert.status_label.startswith("alternative · acknowledged major caution")
    assert acked.acknowledged == ("antidepressant_bipolar",) and acked.clinician == "Dr C"
    assert acked.to_dict()["acknowledged"] == ["antidepressant_bipolar"]
    with pytest.raises(ValueError, match="'cpt_typo' is not a major caution"):
        recommend(bipolar, acknowledged=["cpt_typo"])
    vet = load_record(str(EXAMPLES / "veteran_hypertension.json"))
    over = recommend(
        vet,
        overrides=[("mdma_uncontrolled_hypertension", "BP controlled at the session")],
        clinician="Dr D",
    )
    mdma = over.option("mdma_at")
    assert mdma.status != "excluded" and mdma.override is not None
    assert mdma.override.clinician == "Dr D"
    stored = json.loads(over.to_json())["overrides"]
    assert stored == [
        {
            "rule": "mdma_uncontrolled_hypertension",
            "reason": "BP controlled at the session",
            "clinician": "Dr D",
        }
    ]
    with pytest.raises(ValueError, match="needs the clinician's name"):
        recommend(vet, overrides=[("mdma_uncontrolled_hypertension", "fine")])
    maoi = load_record(str(EXAMPLES / "maoi.json"))
    contra = next(
        r.id
        for r in recommend(maoi).option("paroxetine").rules
        if r.effect == "contraindicated" and r.outcome == "fired"
    )
    with pytest.raises(ValueError, match="contraindications can never be overridden"):
        recommend(maoi, overrides=[(contra, "patient insists")], clinician="Dr E")


def test_recommend_cli_acknowledge_override_and_errors() -> None:
    patient = str(EXAMPLES / "veteran_hypertension.json")
    out = runner.invoke(
        app,
        [
            "recommend",
            patient,
            "--json",
            "--acknowledge",
            "ketamine_substance_use_history",
            "--override",
            "mdma_uncontrolled_hypertension=BP controlled at the session",
            "--clinician",
            "Dr D",
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["acknowledged"] == ["ketamine_substance_use_history"]
    assert data["overrides"][0]["clinician"] == "Dr D"
    bad = runner.invoke(app, ["recommend", patient, "--override", "no_equals_sign"])
    assert bad.exit_code == 2 and "expected RULE=REASON" in bad.output
    maoi = str(EXAMPLES / "maoi.json")
    contra = runner.invoke(
        app,
        ["recommend", maoi, "--override", "sertraline_maoi=insists", "--clinician", "Dr E"],
    )
    assert contra.exit_code == 2
    assert "can never be overridden" in contra.output


def test_crisis_text_from_the_site_is_carried_into_recommendation_table_and_report(
    tmp_path: Path,
) -> None:
    from ptsdrx.reports import render_html
    from ptsdrx.screening import load_site

    site_file = tmp_path / "site.yaml"
    site_file.write_text(
        "site: Test clinic\n"
        "safety:\n"
        "  crisis:\n"
        "    - jurisdiction: US\n"
        "      text: Call or text 988 now; stay with the patient.\n"
        "      source: Test clinic protocol 2026-12\n",
        encoding="utf-8",
    )
    record = load_record(str(EXAMPLES / "suicide_risk.json"))
    rec = recommend(record, site=load_site(site_file))
    assert rec.crisis is not None and not rec.crisis_missing
    assert rec.crisis_warning == "Call or text 988 now; stay with the patient."
    assert "988" in render_html(rec, record)
    table = runner.invoke(
        app, ["recommend", str(EXAMPLES / "suicide_risk.json"), "--site", str(site_file)]
    )
    assert table.exit_code == 0, table.output
    assert "988" in table.stdout and "On hold" in table.stdout
    # no site: a loud warning, never silence
    bare = recommend(record)
    assert bare.crisis_missing and bare.crisis_warning == NO_CRISIS_TEXT
    assert "NO CRISIS TEXT CONFIGURED" in render_html(bare, record)


def test_policy_guideline_covers_every_treatment_with_a_source() -> None:
    g = default_policy().guideline
    assert {t for tier in g.tiers for t in tier.treatments} == set(TREATMENT_IDS)
    assert [g.tier_of(t) for t in ("pe", "sertraline", "prazosin", "mdma_at", "ibogaine")] == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert g.tier(1).verification == "V" and "VA/DoD" in g.tier(1).source
