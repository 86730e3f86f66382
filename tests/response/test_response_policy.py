"""Treatment policies: open arms only, each rule does what it says, evaluation in validate."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from ptsdrx.response import (
    DEFAULT_POLICY,
    HIGH_HETEROGENEITY_ASSUMPTIONS,
    POLICIES,
    TreatmentPolicy,
    high_heterogeneity,
    validate,
)


def _open(index: pd.Index, arms: list[str], seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mask = rng.uniform(size=(len(index), len(arms))) < 0.6
    mask[:5] = False  # nothing open: no arm
    mask[5:10] = [True] + [False] * (len(arms) - 1)  # only the first arm open
    return pd.DataFrame(mask, columns=arms, index=index)


@pytest.mark.parametrize("rule", POLICIES)
def test_every_rule_chooses_an_open_arm(three_arm, rule: str) -> None:
    m, _, test = three_arm
    open_arms = _open(test.X.index, list(m.arms_))
    chosen = TreatmentPolicy(rule).choose(m, test.X, open_arms=open_arms)  # type: ignore[arg-type]
    assert chosen.iloc[:5].isna().all()
    assert (chosen.iloc[5:10] == m.arms_[0]).all()
    has = open_arms.any(axis=1)
    for i in np.flatnonzero(has):
        assert open_arms.iloc[i][chosen.iloc[i]], (i, chosen.iloc[i])


def test_argmax_is_the_predicted_best_open_arm(three_arm) -> None:
    m, _, test = three_arm
    open_arms = _open(test.X.index, list(m.arms_), seed=1)
    pred = m.predict_outcomes(test.X).where(open_arms)
    has = open_arms.any(axis=1)
    expected = pred[has].idxmin(axis=1)  # PCL-5: lower is better
    got = m.best_arm(test.X, eligible=open_arms, policy="argmax")
    assert (got[has] == expected).all()


def test_one_size_is_the_best_open_arm_on_average(three_arm) -> None:
    m, _, test = three_arm
    ev = m.policy_evidence_
    order = np.argsort(ev.arm_value)  # lower is better: best first
    open_arms = _open(test.X.index, list(m.arms_), seed=2)
    got = TreatmentPolicy("one_size").choose(m, test.X, open_arms=open_arms)
    for i in np.flatnonzero(open_arms.any(axis=1)):
        first_open = next(m.arms_[a] for a in order if open_arms.iloc[i, a])
        assert got.iloc[i] == first_open


def test_shrink_uses_the_calibration_slopes(three_arm) -> None:
    m, _, test = three_arm
    ev = m.policy_evidence_
    ref = ev.reference
    assert ev.slope[ref] == 1.0 and all(0.0 <= s <= 1.0 for s in ev.slope)
    P = m.predict_outcomes(test.X).to_numpy()
    mean, slope = np.asarray(ev.effect_mean), np.asarray(ev.slope)
    shrunk = P[:, [ref]] + mean + slope * (P - P[:, [ref]] - mean)
    got = TreatmentPolicy("shrink").choose(m, test.X)
    assert (got.to_numpy() == np.asarray(m.arms_, dtype=object)[shrunk.argmin(axis=1)]).all()
    flat = copy.copy(m)
    flat.policy_evidence_ = replace(ev, slope=tuple(1.0 if a == ref else 0.0 for a in range(3)))
    one = TreatmentPolicy("one_size").choose(flat, test.X)
    pd.testing.assert_series_equal(TreatmentPolicy("shrink").choose(flat, test.X), one)


def test_lcb_switches_only_when_the_lower_bound_is_positive(three_arm) -> None:
    m, _, test = three_arm
    d = TreatmentPolicy("lcb", alpha=0.1).decide(m, test.X)
    moved = d["arm"] != d["one_size_arm"]
    assert (d.loc[moved, "advantage_lo"] > 0).all()
    assert (d.loc[~moved, ["advantage", "advantage_lo", "advantage_hi"]] == 0).all().all()
    assert (d["advantage_lo"] <= d["advantage"]).all() and (
        d["advantage"] <= d["advantage_hi"]
    ).all()
    wider = TreatmentPolicy("lcb", alpha=0.01).decide(m, test.X)
    assert (wider["arm"] != wider["one_size_arm"]).sum() <= moved.sum()


def test_switch_follows_the_out_of_fold_evidence(three_arm) -> None:
    m, _, test = three_arm
    ev = m.policy_evidence_
    assert ev.personalise == (ev.gain_lo > 0) and ev.gain_lo <= ev.gain <= ev.gain_hi
    for personalise, same_as in ((True, "argmax"), (False, "one_size")):
        twin = copy.copy(m)
        twin.policy_evidence_ = replace(ev, personalise=personalise)
        pd.testing.assert_series_equal(
            TreatmentPolicy("switch").choose(twin, test.X),
            TreatmentPolicy(same_as).choose(twin, test.X),  # type: ignore[arg-type]
        )


def test_best_arm_uses_the_default_policy(three_arm) -> None:
    m, _, test = three_arm
    pd.testing.assert_series_equal(
        m.best_arm(test.X), TreatmentPolicy(DEFAULT_POLICY).choose(m, test.X)
    )
    with pytest.raises(ValueError, match="policy rule must be one of"):
        m.best_arm(test.X, policy="vote")


def test_high_heterogeneity_has_something_to_capture() -> None:
    d = high_heterogeneity(20_000, random_state=3)
    mu = d.mu.to_numpy()
    one_size_regret = mu.mean(axis=0).min() - mu.min(axis=1).mean()
    assert one_size_regret > 2.0  # PCL-5 points the oracle gains over one size
    assert np.ptp(mu.mean(axis=0)) < 2.0  # no arm is much better on average
    assert np.bincount(mu.argmin(axis=1)).max() < 0.6 * len(mu)
    assert len(HIGH_HETEROGENEITY_ASSUMPTIONS) >= 6
    assert d.X[["x4", "x5"]].isna().mean().between(0.15, 0.25).all()
    with pytest.raises(ValueError, match="design"):
        high_heterogeneity(10, design="cluster")  # type: ignore[arg-type]


def test_validate_compares_every_policy(three_arm_observational) -> None:
    m, _, test = three_arm_observational
    open_arms = _open(test.X.index, list(m.arms_), seed=4)
    v = validate(m, test.X, test.Y, test.T, truth=test.mu, eligible=open_arms)
    c = v.policies
    assert c is not None and c.default == DEFAULT_POLICY
    assert [r.policy for r in c.rows] == [*POLICIES, "random", "oracle"]
    assert c.n == int(open_arms.any(axis=1).sum())
    one = c.row("one_size")
    assert one.gain_vs_one_size == 0 and one.switched == 0
    oracle = c.row("oracle")
    assert oracle.true_regret == pytest.approx(0.0, abs=1e-9)
    assert all(r.true_regret is not None and r.true_regret >= -1e-9 for r in c.rows)
    assert c.row("random").true_regret > one.true_regret  # the one-size arm beats chance
    for r in c.rows:
        assert r.lo <= r.value <= r.hi and r.gain_lo <= r.gain_vs_one_size <= r.gain_hi
    frame = c.summary()
    assert list(frame["policy"]) == [r.policy for r in c.rows]
    assert "policies" in v.figures and "Treatment policies" in v.to_html()
    assert f"default {DEFAULT_POLICY}" in v.to_text()
