"""Observational confounding, durability trajectories and the effect modifiers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter

from ptsdrx.cohort import default_config, simulate


def _true_and_naive(df: pd.DataFrame, a: str, b: str) -> tuple[float, float]:
    true = float((df[f"mu_pcl5_w12__{a}"] - df[f"mu_pcl5_w12__{b}"]).mean())
    obs = df.groupby("arm", observed=True)["pcl5_w12"].mean()
    return true, float(obs[a] - obs[b])


def test_naive_comparison_fails_in_observational_design() -> None:
    df = simulate(30_000, design="observational", random_state=1)
    true, naive = _true_and_naive(df, "ketamine_iv", "sertraline")
    # ketamine is truly better on average, but sicker, SSRI-resistant people get it
    assert true < -1.5
    assert naive > 0


def test_strength_zero_removes_confounding() -> None:
    cfg = default_config().with_overrides({"observational": {"strength": 0.0}})
    df = simulate(30_000, design="observational", random_state=1, config=cfg)
    true, naive = _true_and_naive(df, "ketamine_iv", "sertraline")
    assert naive == pytest.approx(true, abs=1.0)


def test_observational_assignment_follows_the_stated_propensity() -> None:
    df = simulate(30_000, design="observational", random_state=2)
    # severe patients get ketamine more often, and contraindications keep MDMA away
    severe = df["pcl5_w0"] >= 60
    assert (df.loc[severe, "arm"] == "ketamine_iv").mean() > (
        df.loc[~severe, "arm"] == "ketamine_iv"
    ).mean()
    contraindicated = df["psychotic_disorder"] | df["bipolar_i"]
    assert (df.loc[contraindicated, "arm"] == "mdma_at").mean() < 0.01
    # the realised arm shares match the mean propensities
    shares = df["arm"].value_counts(normalize=True)
    for arm in ("sertraline", "cpt", "ketamine_iv"):
        assert shares[arm] == pytest.approx(df[f"propensity__{arm}"].mean(), abs=0.01)


def test_ketamine_median_time_to_loss_of_response_is_feder_2021() -> None:
    df = simulate(20_000, arms=["ketamine_iv"], random_state=3)
    responders = df[df["responder_w12"]]
    km = KaplanMeierFitter().fit(responders["relapse_weeks"], responders["relapse_event"])
    # Feder 2021: median time to loss of response 27.5 days = 3.93 weeks
    assert km.median_survival_time_ * 7 == pytest.approx(27.5, rel=0.08)
    assert df["relapse_weeks"].isna().equals(~df["responder_w12"])


def test_mdma_is_durable_and_ketamine_fades() -> None:
    df = simulate(20_000, arms=["mdma_at", "ketamine_iv"], random_state=4)
    thr = default_config().outcome.remission_pcl5_below
    for arm, rises in (("mdma_at", True), ("ketamine_iv", False)):
        sub = df[df["arm"] == arm]
        w12 = (sub["pcl5_w12"] < thr).mean()
        w52 = (sub["pcl5_w52"].dropna() < thr).mean()
        assert bool(w52 > w12) is rises, (arm, w12, w52)


def test_trajectory_starts_at_baseline_and_reaches_week_12() -> None:
    df = simulate(5_000, arms=["cpt"], random_state=5)
    means = df[[f"pcl5_w{w}" for w in (0, 4, 8, 12)]].mean()
    assert means.is_monotonic_decreasing
    assert means["pcl5_w12"] == pytest.approx(df["pcl5_w12__cpt"].mean())


@settings(max_examples=15, deadline=None)
@given(
    arm=st.sampled_from(["mdma_at", "ketamine_iv", "pe", "sertraline"]),
    effect=st.floats(-0.2, 0.2).filter(lambda e: abs(e) > 0.02),
)
def test_a_modifier_moves_the_expected_outcome_by_its_size(arm: str, effect: float) -> None:
    """Setting a modifier changes mu by effect x baseline PCL-5 for people with the feature."""
    base = default_config()
    mods = [m.model_dump() for m in base.modifiers if arm not in m.arms]
    mods.append(
        {
            "id": "test",
            "feature": "dissociative_subtype",
            "arms": [arm],
            "effect": effect,
            "hypothesis": "test",
            "source": "test",
            "tag": "test",
        }
    )
    cfg = base.with_overrides({"modifiers": mods})
    df = simulate(400, arms=[arm, "waitlist"], random_state=0, config=cfg)
    diss = df["dissociative_subtype"]
    mu = df[f"mu_pcl5_w12__{arm}"]
    expected = df["pcl5_w0"] * (1 - cfg.arms[arm].fraction - effect * diss)
    inside = (expected > 0) & (expected < 80)
    assert np.allclose(mu[inside], expected[inside], atol=1e-3)


def test_config_override_errors_name_the_field() -> None:
    with pytest.raises(ValueError, match=r"unknown field 'population\.p_unicorn'"):
        default_config().with_overrides({"population": {"p_unicorn": 0.1}})
    with pytest.raises(ValueError, match="p_female"):
        default_config().with_overrides({"population": {"p_female": 1.5}})
    with pytest.raises(ValueError, match="unknown arm"):
        default_config().with_overrides({"observational": {"base_log_odds": {"lsd": 1.0}}})


def test_plot_cohort(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ptsdrx.cohort import plot_cohort

    df = simulate(2_000, random_state=0)
    png = plot_cohort(df, tmp_path / "cohort.png")
    assert png.stat().st_size > 20_000
    with pytest.raises(ValueError, match="reference must be a simulated arm"):
        plot_cohort(df, tmp_path / "x.png", reference="lsd")
