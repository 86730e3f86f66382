"""simulate(): contract columns, determinism, consistency, input errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ptsdrx.cohort import ARMS, BASELINE_COLUMNS, TREATMENTS, default_config, simulate


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return simulate(3000, random_state=7)


def test_contract_columns(cohort: pd.DataFrame) -> None:
    for col in ("arm", *BASELINE_COLUMNS, *(f"pcl5_w{w}" for w in (0, 4, 8, 12, 26, 52))):
        assert col in cohort.columns
    for arm in ARMS:
        for prefix in ("mu_pcl5_w12__", "pcl5_w12__", "remission_w12__"):
            assert f"{prefix}{arm}" in cohort.columns
    assert set(cohort["arm"].cat.categories) == set(ARMS)
    assert len(cohort) == 3000


def test_same_seed_same_cohort() -> None:
    a = simulate(500, random_state=3)
    b = simulate(500, random_state=3)
    pd.testing.assert_frame_equal(a, b)
    c = simulate(500, random_state=4)
    assert not a["pcl5_w12"].equals(c["pcl5_w12"])


def test_observed_equals_potential_outcome_of_assigned_arm(cohort: pd.DataFrame) -> None:
    po = cohort[[f"pcl5_w12__{a}" for a in ARMS]].to_numpy()
    idx = cohort["arm"].cat.codes.to_numpy()
    assert np.array_equal(po[np.arange(len(cohort)), idx], cohort["pcl5_w12"].to_numpy())


def test_remission_matches_threshold(cohort: pd.DataFrame) -> None:
    thr = default_config().outcome.remission_pcl5_below
    for arm in ("mdma_at", "waitlist"):
        assert (cohort[f"remission_w12__{arm}"] == (cohort[f"pcl5_w12__{arm}"] < thr)).all()


def test_scores_in_range_and_missingness(cohort: pd.DataFrame) -> None:
    for col in ("pcl5_w0", "pcl5_w12", "pcl5_w12__mdma_at", "mu_pcl5_w12__cpt"):
        assert cohort[col].between(0, 80).all()
    assert cohort["phq9_w0"].dropna().between(0, 27).all()
    # genetics and imaging are measured for a minority, baseline PCL-5 for everyone
    assert 0.15 < cohort["cyp2d6"].notna().mean() < 0.35
    assert 0.05 < cohort["amygdala_reactivity"].notna().mean() < 0.2
    assert cohort["pcl5_w0"].notna().all()
    # the genetics group is hidden together
    assert (cohort["cyp2d6"].isna() == cohort["bdnf_rs6265_met"].isna()).all()


def test_potential_outcomes_are_heterogeneous(cohort: pd.DataFrame) -> None:
    effect = cohort["mu_pcl5_w12__mdma_at"] - cohort["mu_pcl5_w12__placebo_therapy"]
    assert effect.std() > 2.0
    ket = cohort["mu_pcl5_w12__ketamine_iv"] - cohort["mu_pcl5_w12__midazolam"]
    # concomitant psychotherapy is an effect modifier of ketamine
    by = ket.groupby(cohort["concomitant_psychotherapy"]).mean()
    assert by[True] < by[False] - 3


def test_subset_of_arms() -> None:
    df = simulate(100, arms=["mdma_at", "placebo_therapy"], random_state=0)
    assert set(df["arm"].unique()) <= {"mdma_at", "placebo_therapy"}
    assert "pcl5_w12__cpt" not in df.columns


def test_observational_default_arms_are_treatments() -> None:
    df = simulate(300, design="observational", random_state=0)
    assert list(df["arm"].cat.categories) == list(TREATMENTS)
    probs = df[[f"propensity__{a}" for a in TREATMENTS]].sum(axis=1)
    assert np.allclose(probs, 1.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0}, "n must be a positive integer"),
        ({"n": 10, "design": "cohort"}, "design must be one of"),
        ({"n": 10, "arms": ["mdma"]}, "unknown arm id"),
        ({"n": 10, "arms": []}, "at least one arm"),
        ({"n": 10, "random_state": -1}, "random_state"),
        ({"n": 10, "config": {"x": 1}}, "config must be a SimulationConfig"),
    ],
)
def test_bad_input_names_the_problem(kwargs: dict[str, object], message: str) -> None:
    n = kwargs.pop("n")
    with pytest.raises(ValueError, match=message):
        simulate(n, **kwargs)  # type: ignore[arg-type]
