"""The decision logic over plain inputs: gates, ranking, abstention, and the policy file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import ptsdrx.recommend
from ptsdrx.recommend import NEVER_RECOMMENDED, OPTION_STATUSES, Candidate, decide, default_policy
from ptsdrx.recommend._history import demotion_grounds
from ptsdrx.recommend._policy import parse_policy
from ptsdrx.records import PriorTreatment

IDS = ["ketamine_iv", "mdma_at", "psilocybin_at", "sertraline", "paroxetine", "cpt", "pe"]

courses = st.builds(
    PriorTreatment,
    treatment=st.sampled_from(IDS),
    adequate=st.none() | st.booleans(),
    response=st.sampled_from([None, "remission", "response", "partial", "none", "worsened"]),
    stopped_for_adverse_effects=st.none() | st.booleans(),
)


@st.composite
def candidates(draw: st.DrawFn) -> list[Candidate]:
    ids = draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=len(IDS), unique=True))
    out = []
    for tid in ids:
        mean = draw(st.none() | st.floats(0, 80))
        width = draw(st.none() | st.floats(0, 30))
        out.append(
            Candidate(
                treatment=tid,
                screening_status=draw(
                    st.sampled_from([None, "eligible", "caution", "excluded", "needs_information"])
                ),
                availability=draw(
                    st.sampled_from(
                        [
                            None,
                            "approved",
                            "off_label",
                            "trial_only",
                            "not_available",
                            "authorised_prescriber",
                        ]
                    )
                ),
                investigational=draw(st.booleans()),
                preference_conflicts=draw(st.sampled_from([(), ("declined",)])),
                expected_pcl5=mean,
                interval=None if mean is None or width is None else (mean - width, mean + width),
                history=tuple(draw(st.lists(courses, max_size=3))),
            )
        )
    return out


@settings(max_examples=300, deadline=None)
@given(
    cands=candidates(),
    in_support=st.none() | st.booleans(),
    adv=st.none() | st.tuples(st.floats(-20, 20), st.floats(0, 20)),
)
def test_recommend_never_gated_and_at_most_one(
    cands: list[Candidate], in_support: bool | None, adv: tuple[float, float] | None
) -> None:
    adv_interval = None if adv is None else (adv[0], adv[0] + adv[1])
    policy = default_policy()
    d = decide(cands, advantage_interval=lambda a, b: adv_interval, in_support=in_support)
    assert sorted(d.order) == sorted(c.treatment for c in cands)
    recommended = [t for t, s in d.statuses.items() if s == "recommended"]
    assert len(recommended) <= 1
    by_id = {c.treatment: c for c in cands}
    for tid in recommended:
        c = by_id[tid]
        # the gates a recommended option must have passed
        assert c.screening_status in ("eligible", "caution")
        assert c.availability not in ("trial_only", "not_available")
        assert not c.investigational
        assert not c.preference_conflicts
        assert c.expected_pcl5 is not None
        assert not d.abstained
        assert in_support is not False
        # never recommended when demoted by history (a failed course of this treatment)
        assert not any(demotion_grounds(h, policy.history) for h in c.history if h.treatment == tid)
    for c in cands:
        if c.screening_status == "excluded":
            assert d.statuses[c.treatment] == "excluded"
        if c.screening_status in (None, "needs_information"):
            assert d.statuses[c.treatment] == "needs information"
        failed = any(
            h.treatment == c.treatment and demotion_grounds(h, policy.history) for h in c.history
        )
        offerable = not c.investigational and c.availability != "trial_only"
        if failed and offerable and c.screening_status in ("eligible", "caution"):
            assert d.statuses[c.treatment] == "not preferred"
    # listed in status order
    ranks = [OPTION_STATUSES.index(d.statuses[t]) for t in d.order]
    assert ranks == sorted(ranks)
    assert NEVER_RECOMMENDED.isdisjoint({"recommended", "alternative", "not preferred"})


def _c(tid: str, mean: float, half: float, **kw: object) -> Candidate:
    return Candidate(
        treatment=tid,
        screening_status=kw.pop("screening_status", "eligible"),  # type: ignore[arg-type]
        availability=kw.pop("availability", "approved"),  # type: ignore[arg-type]
        expected_pcl5=mean,
        interval=(mean - half, mean + half),
        **kw,  # type: ignore[arg-type]
    )


def test_recommend_clear_winner_from_outcome_intervals() -> None:
    # 20 +- 3 vs 40 +- 3: intervals do not overlap, advantage 14..26 > margin 0
    d = decide([_c("cpt", 20, 3), _c("sertraline", 40, 3)])
    assert d.statuses == {"cpt": "recommended", "sertraline": "alternative"}
    assert d.order == ("cpt", "sertraline") and not d.abstained


def test_recommend_abstains_when_intervals_overlap() -> None:
    # 30 +- 10 vs 35 +- 10 overlap: no option is clearly better
    d = decide([_c("cpt", 30, 10), _c("pe", 35, 10)])
    assert d.abstained and "not clearly different" in (d.abstention_reason or "")
    assert set(d.statuses.values()) == {"alternative"}
    assert d.order == ("cpt", "pe")  # still ranked by prediction


def test_recommend_model_interval_takes_precedence() -> None:
    # outcome intervals overlap, but the model's paired advantage interval is 2..9 points
    d = decide([_c("cpt", 30, 10), _c("pe", 35, 10)], advantage_interval=lambda a, b: (2.0, 9.0))
    assert d.statuses["cpt"] == "recommended"


def test_recommend_abstains_outside_support_and_on_hold() -> None:
    cands = [_c("cpt", 20, 3), _c("pe", 40, 3)]
    out = decide(cands, in_support=False)
    assert out.abstained and "outside" in (out.abstention_reason or "")
    held = decide(cands, hold="urgent safety flag")
    assert held.abstained and held.abstention_reason == "urgent safety flag"
    assert "recommended" not in held.statuses.values()


def test_recommend_gates_order_and_best_predicted_gated_option_not_chosen() -> None:
    cands = [
        _c("mdma_at", 10, 2, availability="trial_only"),  # best prediction, but trial only
        _c("ketamine_iv", 12, 2, screening_status="excluded"),
        _c("psilocybin_at", 14, 2, screening_status="needs_information"),
        _c("paroxetine", 15, 2, preference_conflicts=("declined",)),
        _c("sertraline", 45, 2),
        _c("cpt", 25, 2),
    ]
    d = decide(cands)
    assert d.statuses == {
        "cpt": "recommended",
        "sertraline": "alternative",
        "paroxetine": "not preferred",
        "mdma_at": "trial only",
        "psilocybin_at": "needs information",
        "ketamine_iv": "excluded",
    }
    assert d.order == ("cpt", "sertraline", "paroxetine", "mdma_at", "psilocybin_at", "ketamine_iv")


def test_recommend_needs_a_comparison() -> None:
    # one open option: nothing to be clearly better than
    single = decide([_c("cpt", 30, 10), _c("pe", 10, 1, screening_status="excluded")])
    assert single.abstained and "only one option is open" in (single.abstention_reason or "")
    assert single.statuses == {"cpt": "alternative", "pe": "excluded"}
    # an open option without an estimate cannot be beaten "clearly"
    unknown = decide([_c("cpt", 10, 1), Candidate(treatment="pe", screening_status="eligible")])
    assert unknown.abstained and "no outcome estimate for pe" in (unknown.abstention_reason or "")
    none_open = decide([_c("cpt", 30, 10, screening_status="excluded")])
    assert none_open.abstained and none_open.statuses["cpt"] == "excluded"


def test_recommend_unpredicted_options_ordered_by_evidence() -> None:
    # within one guideline tier (issue 12: the tier comes before the evidence grade)
    cands = [
        Candidate(treatment="cpt", screening_status="eligible", evidence_grade="moderate"),
        Candidate(treatment="emdr", screening_status="eligible", evidence_grade="insufficient"),
        Candidate(treatment="pe", screening_status="eligible", evidence_grade="high"),
    ]
    assert decide(cands).order == ("pe", "cpt", "emdr")


def test_recommend_policy_file_and_errors() -> None:
    p = default_policy()
    assert set(p.standard_care) == {"sertraline", "paroxetine", "cpt", "pe"}
    assert "cssrs_high_risk" in p.hold_flags and "phq9_item9_positive" in p.safety_flags
    with pytest.raises(ValueError, match="interval_alpha must be in"):
        parse_policy(
            {
                "version": 1,
                "standard_care": {"treatments": [], "source": "x"},
                "clear_advantage": {"margin_pcl5": 0, "source": "x"},
                "interval_alpha": 2,
            }
        )
    with pytest.raises(ValueError, match="missing required field 'standard_care'"):
        parse_policy({"version": 1})


def test_recommend_unestimated_open_options_follow_the_policy() -> None:
    # venlafaxine shares sertraline's guideline tier (issue 12: the tier comes first)
    cands = [
        _c("cpt", 20, 3),
        _c("sertraline", 40, 3),
        Candidate(treatment="venlafaxine", screening_status="eligible"),  # no estimate at all
    ]
    # packaged policy ("note"): the estimated options are compared, the gap is named
    assert default_policy().unestimated == "note"
    noted = decide(cands)
    assert noted.statuses["cpt"] == "recommended"
    assert noted.statuses["venlafaxine"] == "alternative"
    assert noted.order == ("cpt", "sertraline", "venlafaxine")  # unestimated last in its tier
    texts = [r.text for r in noted.reasons["cpt"]]
    assert any("Not compared (no outcome estimate): venlafaxine." in t for t in texts)
    overlap = decide([_c("cpt", 30, 10), _c("sertraline", 35, 10), cands[2]])
    assert overlap.abstention_reason is not None
    assert overlap.abstention_reason.endswith("not compared, no outcome estimate: venlafaxine")
    # "abstain": any open option without an estimate withholds the recommendation
    strict = decide(cands, policy=replace(default_policy(), unestimated="abstain"))
    reason = strict.abstention_reason or ""
    assert strict.abstained and "no outcome estimate for venlafaxine" in reason
    assert "recommended" not in strict.statuses.values()


def test_recommend_policy_unestimated_action_is_checked() -> None:
    raw = yaml.safe_load(
        (Path(ptsdrx.recommend.__file__).parent / "data/policy.yaml").read_text("utf-8")
    )
    raw["unestimated_open_options"]["action"] = "ignore"
    with pytest.raises(ValueError, match=r"unestimated_open_options\.action must be 'abstain'"):
        parse_policy(raw)
    del raw["unestimated_open_options"]
    with pytest.raises(ValueError, match="missing required field 'unestimated_open_options'"):
        parse_policy(raw)


# --------------------------------------------------------------- treatment history


def _course(treatment: str = "paroxetine", **kw: object) -> PriorTreatment:
    return PriorTreatment.model_validate(
        {"treatment": treatment, "start": "2024-03-01", "stop": "2024-09-01"} | kw
    )


def _with_history(*history: PriorTreatment, policy: object = None) -> dict[str, str]:
    """Statuses when paroxetine (best prediction) carries ``history``; CPT and PE are open."""
    cands = [
        _c("paroxetine", 10, 2, history=history),
        _c("cpt", 30, 2),
        _c("pe", 40, 2),
    ]
    return decide(cands, policy=policy).statuses  # type: ignore[arg-type]


def _history_policy(**switches: bool) -> object:
    return replace(default_policy(), history=replace(default_policy().history, **switches))


@pytest.mark.parametrize("response", ["none", "worsened"])
def test_recommend_history_adequate_nonresponse_demotes(response: str) -> None:
    statuses = _with_history(_course(adequate=True, response=response))
    # the best prediction is set aside: the next open option is compared and recommended
    assert statuses == {"paroxetine": "not preferred", "cpt": "recommended", "pe": "alternative"}


def test_recommend_history_adverse_effects_demote_whatever_the_adequacy() -> None:
    for adequate in (True, False, None):
        course = _course(adequate=adequate, response="response", stopped_for_adverse_effects=True)
        assert _with_history(course)["paroxetine"] == "not preferred", adequate


@pytest.mark.parametrize(
    ("course", "why"),
    [
        (_course(adequate=True, response="partial"), "partial response is not a failure"),
        (_course(adequate=True, response="remission"), "it worked"),
        (_course(adequate=None, response="none"), "unknown adequacy stays unknown"),
        (_course(adequate=False, response="none"), "an inadequate course is not a failed one"),
        (_course(adequate=True, response=None), "unknown response stays unknown"),
        (_course(adequate=True, response="partial", stopped_for_adverse_effects=None), "unknown"),
        (_course(adequate=True, response="partial", stopped_for_adverse_effects=False), "no AE"),
        (_course("sertraline", adequate=True, response="none"), "another treatment failed"),
        (_course("sertraline", stopped_for_adverse_effects=True), "another treatment's AE"),
    ],
)
def test_recommend_history_does_not_demote(course: PriorTreatment, why: str) -> None:
    assert _with_history(course)["paroxetine"] == "recommended", why


def test_recommend_history_conditions_switch_off() -> None:
    failed = _course(adequate=True, response="none")
    side_effects = _course(adequate=None, stopped_for_adverse_effects=True)
    off = _history_policy(adequate_nonresponse=False)
    assert _with_history(failed, policy=off)["paroxetine"] == "recommended"
    assert _with_history(side_effects, policy=off)["paroxetine"] == "not preferred"
    off = _history_policy(adverse_effects=False)
    assert _with_history(side_effects, policy=off)["paroxetine"] == "recommended"
    assert _with_history(failed, policy=off)["paroxetine"] == "not preferred"
    # a site may count only a worsening as failure
    worse_only = _history_policy(failed_responses=frozenset({"worsened"}))
    assert _with_history(failed, policy=worse_only)["paroxetine"] == "recommended"


def test_recommend_history_keeps_prediction_order_and_names_the_course() -> None:
    course = _course(adequate=True, response="none", stopped_for_adverse_effects=True)
    cands = [_c("paroxetine", 10, 2, history=(course,)), _c("cpt", 30, 2), _c("pe", 40, 2)]
    d = decide(cands)
    assert d.order == ("cpt", "pe", "paroxetine")  # after the open options
    (reason,) = d.reasons["paroxetine"]
    assert reason.kind == "history"
    assert reason.text.startswith(
        "Not preferred, tried before (2024-03-01 to 2024-09-01): adequate course, no response; "
        "stopped for adverse effects (an adequate course failed and it was stopped for "
        "adverse effects)."
    )
    assert reason.text.endswith("common practice [U: not verified here; a site can turn this off].")
    assert reason.source is not None and "VA/DoD" in reason.source
    assert reason.source.endswith("[U]")
    # every "not preferred" reason is listed, not only the first
    both = decide([_c("paroxetine", 10, 2, history=(course,), preference_conflicts=("declined",))])
    assert [r.kind for r in both.reasons["paroxetine"]] == ["preference", "history"]
    # screening precedes history: an excluded option stays excluded
    excluded = decide([_c("paroxetine", 10, 2, history=(course,), screening_status="excluded")])
    assert excluded.statuses["paroxetine"] == "excluded"


def test_recommend_history_policy_file_and_errors() -> None:
    h = default_policy().history
    assert h.adequate_nonresponse and h.adverse_effects
    assert h.failed_responses == {"none", "worsened"} and h.verification == "U"
    raw = yaml.safe_load(
        (Path(ptsdrx.recommend.__file__).parent / "data/policy.yaml").read_text("utf-8")
    )
    section = raw["treatment_history"]

    def error(match: str) -> None:
        with pytest.raises(ValueError, match=match):
            parse_policy(raw)

    section["adequate_nonresponse"]["responses"] = ["none", "partial"]
    error(r"treatment_history\.adequate_nonresponse\.responses: 'partial' is not allowed")
    section["adequate_nonresponse"]["responses"] = []
    error(r"treatment_history\.adequate_nonresponse\.responses must be a non-empty list")
    section["adequate_nonresponse"] = {"enabled": "yes", "responses": ["none"]}
    error(r"treatment_history\.adequate_nonresponse\.enabled must be true or false, got 'yes'")
    section["adequate_nonresponse"]["enabled"] = False
    section["stopped_for_adverse_effects"] = {"enabled": True, "enabeld": False}
    error(r"treatment_history\.stopped_for_adverse_effects: unknown field 'enabeld'")
    del section["stopped_for_adverse_effects"]
    error(r"treatment_history: missing required field 'stopped_for_adverse_effects'")
    section["stopped_for_adverse_effects"] = {"enabled": False}
    section["verification"] = "verified"
    error(r"treatment_history\.verification must be one of V, V2, U, D, got 'verified'")
    section["verification"] = "U"
    section["source"] = " "
    error(r"treatment_history\.source must be a non-empty text")
    section["source"] = "site decision"
    parsed = parse_policy(raw).history  # both switched off: valid
    assert not parsed.adequate_nonresponse and not parsed.adverse_effects
    raw["treatment_history"] = ["none"]
    error(r"treatment_history must be a mapping")
    del raw["treatment_history"]
    error("missing required field 'treatment_history'")
