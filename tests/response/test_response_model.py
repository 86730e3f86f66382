"""TreatmentResponseModel: recovery of known effects, intervals, overlap, determinism, errors.

Tolerances: sqrt(PEHE) must beat predicting the true average effect for everyone (the
ATE-only baseline, whose error is the sd of the true effect) by a stated margin, on data
where the truth is known (``ptsdrx.response.synthetic``), in both designs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from ptsdrx.response import OverlapWarning, TreatmentResponseModel, multiarm, nie_wager

FAST = {"fast": True, "n_folds": 2}


def _pehe(model: TreatmentResponseModel, test, a: str, b: str) -> float:
    return float(np.sqrt(np.mean((model.effect(test.X, T0=a, T1=b) - test.tau(a, b)) ** 2)))


@pytest.fixture
def randomized(three_arm) -> tuple[TreatmentResponseModel, object, object]:
    """The session's 3-arm randomized model (``conftest.py``)."""
    return three_arm


def _difference_in_means(train, a: str, b: str) -> tuple[float, float]:
    """The naive difference in mean outcome of arms ``b`` and ``a``, and its standard error."""
    y, t = np.asarray(train.Y, dtype=float), np.asarray(train.T)
    ya, yb = y[t == a], y[t == b]
    return float(yb.mean() - ya.mean()), float(np.sqrt(ya.var() / len(ya) + yb.var() / len(yb)))


@pytest.mark.parametrize("fitted", ["three_arm", "three_arm_observational"])
def test_recovers_heterogeneous_effects(fitted: str, request: pytest.FixtureRequest) -> None:
    m, train, test = request.getfixturevalue(fitted)
    for b in ("arm1", "arm2"):
        tau = test.tau("arm0", b)
        assert _pehe(m, test, "arm0", b) < 0.85 * tau.std()  # beats the ATE-only oracle
        # the average effect within 3 standard errors of an unconfounded comparison (about
        # 1.3-1.5 points here); on confounded data the naive comparison is off by far more
        naive, se = _difference_in_means(train, "arm0", b)
        assert abs(m.ate(test.X, T0="arm0", T1=b) - tau.mean()) < 3 * se
        if fitted == "three_arm_observational":
            assert abs(naive - train.tau("arm0", b).mean()) > 3 * se
        assert np.corrcoef(m.effect(test.X, T0="arm0", T1=b), tau)[0, 1] > 0.6


@pytest.mark.parametrize("setup", ["B", "D"])
def test_nie_wager_setups(setup: str) -> None:
    train, test = nie_wager(setup, 1500, random_state=1), nie_wager(setup, 1000, random_state=2)
    m = TreatmentResponseModel(**FAST).fit(train.Y, train.T, X=train.X)
    assert _pehe(m, test, 0, 1) < 0.7 * test.tau(0, 1).std()


def test_binary_outcome_gives_probabilities(binary_three_arm) -> None:
    m, _, test = binary_three_arm
    assert m.outcome_type_ == "binary" and m.outcome_direction_ == "higher_is_better"
    p = m.predict_outcomes(test.X)
    assert ((p >= 0) & (p <= 1)).all().all()
    assert abs(float(p["arm1"].mean()) - float(test.mu["arm1"].mean())) < 0.05
    with pytest.raises(ValueError, match="continuous outcomes"):
        m.predict_interval(test.X)


def test_prediction_intervals_cover(randomized) -> None:
    m, _, test = randomized
    rng = np.random.default_rng(9)
    intervals = m.predict_interval(test.X, alpha=0.1)
    for arm, iv in intervals.items():
        y = test.mu[arm].to_numpy() + rng.normal(0, 5, len(test.Y))  # fresh outcomes
        coverage = np.mean((iv["lo"].to_numpy() <= y) & (y <= iv["hi"].to_numpy()))
        assert 0.85 <= coverage <= 0.96, (arm, coverage)


def _group_coverage(m, test, a: str, b: str) -> list[bool]:
    """Does each predicted-effect group's interval cover that group's true mean effect?"""
    eff, tau = m.effect(test.X, T0=a, T1=b), test.tau(a, b)
    covered = []
    i, j = m._code(a, "T0"), m._code(b, "T1")
    sign = 1.0 if i < j else -1.0
    groups = m.effect_groups_[f"{min(i, j)}|{max(i, j)}"]
    g = np.searchsorted(groups["cuts"], sign * eff, side="right")
    for k in np.unique(g):
        theta, se = sign * groups["theta"][k], groups["se"][k]
        covered.append(bool(abs(tau[g == k].mean() - theta) <= 1.645 * se))
    return covered


@pytest.mark.parametrize("design", ["randomized", "observational"])
def test_effect_intervals_cover_group_effects(design: str) -> None:
    """``kind="group"``: about 90% of groups' true mean effects inside their 90% CI."""
    train = multiarm(2400, n_arms=4, design=design, random_state=1)
    test = multiarm(5000, n_arms=4, design=design, random_state=2)
    m = TreatmentResponseModel(**FAST).fit(train.Y, train.T, X=train.X)
    covered = [
        c
        for a, b in [("arm0", "arm1"), ("arm1", "arm3"), ("arm3", "arm2")]
        for c in _group_coverage(m, test, a, b)
    ]
    assert len(covered) >= 15
    # measured over 5 seeds x 2 designs (30 groups each): 0.80-0.97, mean 0.87; with 30
    # groups a binomial sd is 0.055, so 0.8 is as tight as a 90% level can be checked here
    assert np.mean(covered) >= 0.8, np.mean(covered)
    lo, hi = m.effect_interval(test.X, T0="arm0", T1="arm1")
    eff = m.effect(test.X, T0="arm0", T1="arm1")
    assert np.all((lo <= eff) & (eff <= hi))  # the point prediction is always inside
    assert np.mean(hi - lo) < 2 * test.tau("arm0", "arm1").std() + 4  # useful, not +-65


def test_effect_intervals_orientation_and_individual_kind(randomized) -> None:
    m, _, test = randomized
    for kind in ("group", "individual"):
        lo, hi = m.effect_interval(test.X, T0="arm0", T1="arm2", alpha=0.1, kind=kind)
        lo2, hi2 = m.effect_interval(test.X, T0="arm2", T1="arm0", alpha=0.1, kind=kind)
        np.testing.assert_allclose(lo2, -hi)
        np.testing.assert_allclose(hi2, -lo)
    # individual: conformalised pseudo-outcomes, conservative for each patient's effect
    lo, hi = m.effect_interval(test.X, T0="arm0", T1="arm2", kind="individual")
    tau = test.tau("arm0", "arm2")
    assert np.mean((lo <= tau) & (tau <= hi)) >= 0.9
    glo, ghi = m.effect_interval(test.X, T0="arm0", T1="arm2")
    assert np.mean(ghi - glo) < np.mean(hi - lo)
    with pytest.raises(ValueError, match="kind must be"):
        m.effect_interval(test.X, T0="arm0", T1="arm2", kind="pointwise")  # type: ignore[arg-type]


def test_same_seed_same_predictions(global_random_seed: int) -> None:
    d = multiarm(600, random_state=5)
    seed = global_random_seed
    a = TreatmentResponseModel(**FAST, random_state=seed).fit(d.Y, d.T, X=d.X)
    b = TreatmentResponseModel(**FAST, random_state=seed).fit(d.Y, d.T, X=d.X)
    c = TreatmentResponseModel(**FAST, random_state=seed + 1).fit(d.Y, d.T, X=d.X)
    pd.testing.assert_frame_equal(a.predict_outcomes(d.X), b.predict_outcomes(d.X))
    assert not np.allclose(a.predict_outcomes(d.X), c.predict_outcomes(d.X))


def test_overlap_warning_and_support() -> None:
    rng = np.random.default_rng(0)
    n = 1500
    x = rng.normal(size=n)
    T = np.where(rng.uniform(size=n) < 1 / (1 + np.exp(-10 * x)), "b", "a")  # near-deterministic
    X = pd.DataFrame({"x": x, "z": rng.normal(size=n)})
    with pytest.warns(OverlapWarning):
        m = TreatmentResponseModel(**FAST).fit(x + (T == "b") + rng.normal(size=n), T, X=X)
    assert m.overlap_.share_below_threshold > 0.05
    grid = pd.DataFrame({"x": [0.0, 3.5, 100.0, np.nan], "z": [0.0, 0.0, 0.0, 0.0]})
    inside = m.in_support(grid)
    assert inside[0] and not inside[1] and not inside[2]
    assert not inside[3]  # x was never missing in training


def test_best_arm_and_pai(randomized) -> None:
    m, _, test = randomized
    pred = m.predict_outcomes(test.X)
    best = m.best_arm(test.X, policy="argmax")
    assert (best == pred.idxmin(axis=1)).all()  # PCL-5: lower is better
    from ptsdrx.response import DEFAULT_POLICY, TreatmentPolicy

    default = m.best_arm(test.X)  # the default policy's choice, by name or object
    assert (default == TreatmentPolicy(DEFAULT_POLICY).choose(m, test.X)).all()
    pai = m.pai(test.X, a="arm1", b="arm0")
    np.testing.assert_allclose(pai, pred["arm0"] - pred["arm1"])
    elig = pd.DataFrame({"arm0": True, "arm1": False}, index=test.X.index)
    restricted = m.best_arm(test.X, eligible=elig)
    assert set(restricted.unique()) == {"arm0"}
    none = m.best_arm(test.X.head(2), eligible=pd.DataFrame({"arm0": [False, False]}))
    assert none.isna().all()


def test_explanations_add_up(randomized) -> None:
    m, _, test = randomized
    ex = m.explain(test.X.head(2), top=len(test.X.columns))
    pred = m.predict_outcomes(test.X.head(2))
    for i, row in enumerate(ex):
        for arm_ex in row.arms:
            total = arm_ex.baseline + sum(c.contribution for c in arm_ex.top)
            assert total == pytest.approx(arm_ex.prediction, abs=1e-6)
            assert arm_ex.prediction == pytest.approx(pred.iloc[i][arm_ex.target], abs=1e-6)
    assert "arm0" in ex[0].summary()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"learners": ("t", "nope")}, "learners"),
        ({"n_folds": 1}, "n_folds"),
        ({"combine": "mean"}, "combine"),
        ({"random_state": -1}, "random_state"),
    ],
)
def test_bad_parameters_name_the_parameter(kwargs: dict, message: str) -> None:
    d = multiarm(100, random_state=0)
    with pytest.raises(ValueError, match=message):
        TreatmentResponseModel(**kwargs).fit(d.Y, d.T, X=d.X)


def test_bad_inputs_are_named() -> None:
    d = multiarm(200, random_state=0)
    m = TreatmentResponseModel(**FAST)
    with pytest.raises(NotFittedError):
        m.predict_outcomes(d.X)
    y = d.Y.copy()
    y[3] = np.nan
    with pytest.raises(ValueError, match="Y has 1 missing"):
        m.fit(y, d.T, X=d.X)
    with pytest.raises(ValueError, match="at least two arms"):
        m.fit(d.Y, np.full(200, "a"), X=d.X)
    with pytest.raises(ValueError, match="numeric"):
        m.fit(d.Y, d.T, X=d.X.assign(s="text"))
    with pytest.raises(ValueError, match="W"):
        m.fit(d.Y, d.T, X=d.X, W=d.X)
    m.fit(d.Y, d.T, X=d.X)
    with pytest.raises(ValueError, match="missing \\['x8'\\]"):
        m.predict_outcomes(d.X.drop(columns="x8"))
    with pytest.raises(ValueError, match="not an arm"):
        m.effect(d.X, T0="arm0", T1="zzz")


def test_econml_learner_competes_in_the_same_loss() -> None:
    d = multiarm(800, n_arms=2, random_state=6)
    m = TreatmentResponseModel(learners=("x", "econml_dr"), **FAST).fit(d.Y, d.T, X=d.X)
    assert set(m.cv_loss_) == {"x", "econml_dr"}
    assert m.predict_outcomes(d.X.head(3)).shape == (3, 2)


def test_generic_sklearn_checks_that_apply() -> None:
    """The checks that do not call ``fit(X, y)`` (ours is ``fit(Y, T, X=X)``)."""
    from sklearn.utils.estimator_checks import (
        check_get_params_invariance,
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_set_params,
    )

    est = TreatmentResponseModel()
    check_no_attributes_set_in_init("TreatmentResponseModel", est)
    check_parameters_default_constructible("TreatmentResponseModel", est)
    check_get_params_invariance("TreatmentResponseModel", est)
    check_set_params("TreatmentResponseModel", est)
    assert clone(est).get_params() == est.get_params()


def test_lightgbm_contributions_equal_shap_treeexplainer(randomized) -> None:
    import shap

    from ptsdrx.response._explain import _phi

    m, _, test = randomized
    base = m.outcome_models_[0][0]
    Xa = test.X.head(20).to_numpy()
    expected = shap.TreeExplainer(base).shap_values(Xa)
    np.testing.assert_allclose(_phi(base, Xa, binary=False), expected, atol=1e-6)


def test_large_data_takes_weights_from_a_nested_subsample(monkeypatch) -> None:
    """Above NESTED_ROWS the weights come from a subsample; weighted learners use every row."""
    import ptsdrx.response._ensemble as ensemble_module

    monkeypatch.setattr(ensemble_module, "NESTED_ROWS", 1200)
    train = multiarm(2400, n_arms=3, design="observational", random_state=1)
    test = multiarm(1500, n_arms=3, design="observational", random_state=2)
    steps: list[str] = []
    m = TreatmentResponseModel(**FAST).fit(train.Y, train.T, X=train.X, progress=steps.append)
    assert "ensemble weights on a subsample" in steps
    assert abs(sum(m.weights_.values()) - 1) < 1e-9
    assert set(m.effect_models_) == {k for k, w in m.weights_.items() if w > 0}
    for b in ("arm1", "arm2"):
        assert _pehe(m, test, "arm0", b) < 0.85 * test.tau("arm0", b).std()


def test_propensity_shrinks_to_arm_shares_in_a_randomized_trial() -> None:
    """Randomized: the boosted propensity only adds noise, so the arm shares win."""
    rnd = multiarm(3000, n_arms=6, design="randomized", random_state=1)
    m = TreatmentResponseModel(**FAST).fit(rnd.Y, rnd.T, X=rnd.X)
    assert m.propensity_blend_ == 0.0
    assert m.overlap_.share_below_threshold < 0.01
    assert m.in_support(rnd.X.fillna(0.0)).mean() > 0.95
    obs = multiarm(3000, n_arms=6, design="observational", random_state=1)
    mo = TreatmentResponseModel(**FAST).fit(obs.Y, obs.T, X=obs.X)
    assert mo.propensity_blend_ == 1.0  # confounded: the model's propensities win
    e = mo.propensity(obs.X).to_numpy()
    assert np.corrcoef(e[:, 0], obs.propensity.to_numpy()[:, 0])[0, 1] > 0.8
    assert "arm shares" in mo.fit_summary_.to_text()


def test_row_limit_for_whole_fold_models(monkeypatch) -> None:
    """Propensity and DR models train on a seeded subset above MAX_FIT_ROWS; still accurate."""
    import ptsdrx.response._nuisance as nuisance_module

    monkeypatch.setattr(nuisance_module, "MAX_FIT_ROWS", 700)
    rows = np.arange(2000)
    limited = nuisance_module.limit_rows(rows, seed=1)
    assert len(limited) == 700 and np.all(np.diff(limited) > 0)
    np.testing.assert_array_equal(limited, nuisance_module.limit_rows(rows, seed=1))
    train = multiarm(2400, n_arms=3, design="observational", random_state=1)
    test = multiarm(1500, n_arms=3, design="observational", random_state=2)
    m = TreatmentResponseModel(**FAST).fit(train.Y, train.T, X=train.X)
    for b in ("arm1", "arm2"):
        assert _pehe(m, test, "arm0", b) < 0.85 * test.tau("arm0", b).std()
