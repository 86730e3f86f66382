"""Validation: truth metrics agree with direct computation; DR metrics see real heterogeneity."""

from __future__ import annotations

import numpy as np

from ptsdrx.response import validate


def test_validate_observational_with_truth(three_arm_observational) -> None:
    m, _, test = three_arm_observational
    # the headline policy here is plain argmax (the default, "lcb", keeps one size for most of
    # this small cohort); every rule is in v.policies
    v = validate(m, test.X, test.Y, test.T, truth=test.mu, policy="argmax")
    assert v.truth is not None
    est = m.effect(test.X, T0="arm0", T1="arm1")
    direct = float(np.sqrt(np.mean((est - test.tau("arm0", "arm1")) ** 2)))
    assert v.truth.sqrt_pehe["arm1 vs arm0"] == np.float64(direct)
    assert 0 <= v.truth.regret_vs_oracle < v.truth.best_single_value - v.truth.oracle_value
    assert all(b.slope > 0 for b in v.blp)
    assert min(b.p_heterogeneity for b in v.blp) < 0.01
    assert all(c.autoc > 0 for c in v.toc)
    assert all(0.8 <= c <= 0.97 for c in v.interval_coverage.values())
    # effect intervals are confidence intervals for predicted-effect group means
    assert v.truth.effect_interval_group_coverage >= 0.7
    assert 0 < v.truth.effect_interval_row_coverage < 1
    direct_cov = []
    for arm in m.arms_:
        if arm != m.reference_:
            lo, hi = m.effect_interval(test.X, T0=m.reference_, T1=arm)
            tau = test.tau(m.reference_, arm)
            direct_cov.append(np.mean((lo <= tau) & (tau <= hi)))
    assert np.isclose(v.truth.effect_interval_row_coverage, np.mean(direct_cov))
    html = v.to_html()
    assert "Policy value" in html and "data:image/png;base64" in html
    assert "sqrt(PEHE)" in v.to_text()
