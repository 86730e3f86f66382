"""CompactScorer: fidelity to the full model on unseen rows, determinism, NaN, binary, errors.

Tolerance: on a fresh sample, the compact scorer's effects differ from the full model's by at
most 35% of the full model's own sqrt(PEHE) (its error against the simulator's truth), in
RMSE, and its sqrt(PEHE) against the truth is at most 10% worse than the full model's (for a
binary outcome: probabilities within 50% of the full model's RMSE against the truth).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from ptsdrx.response import CompactScorer, TreatmentResponseModel

pytestmark = pytest.mark.filterwarnings("ignore:.*propensity below")


def _effects(outcomes: np.ndarray, ref: int) -> np.ndarray:
    return np.delete(outcomes - outcomes[:, [ref]], ref, axis=1)


@pytest.fixture
def fitted(compact) -> tuple[TreatmentResponseModel, CompactScorer, object]:
    """The session's 4-arm model and its CompactScorer (``conftest.py``)."""
    model, scorer, _, test = compact
    return model, scorer, test


def test_fidelity_on_unseen_rows_within_pehe_scale(fitted) -> None:
    model, scorer, test = fitted
    ref = model.arms_.index(model.reference_)
    full = model.predict_outcomes(test.X).to_numpy()
    compact = scorer.predict_outcomes(test.X).to_numpy()
    truth = test.mu[model.arms_].to_numpy()
    pehe_full = np.sqrt(np.mean((_effects(full, ref) - _effects(truth, ref)) ** 2))
    pehe_compact = np.sqrt(np.mean((_effects(compact, ref) - _effects(truth, ref)) ** 2))
    gap = np.sqrt(np.mean((_effects(compact, ref) - _effects(full, ref)) ** 2))
    assert gap < 0.35 * pehe_full
    assert pehe_compact < 1.10 * pehe_full
    assert np.mean(full.argmin(1) == compact.argmin(1)) > 0.85


def test_fidelity_report_is_measured_on_held_out_rows(fitted) -> None:
    _, scorer, _ = fitted
    f = scorer.fidelity_
    assert f["n_distil"] + f["n_holdout"] == 4000 and f["n_holdout"] == 800
    assert 0 < f["effect_rmse"] <= f["effect_max_abs"]
    assert 0 < f["outcome_rmse"] <= f["outcome_max_abs"]
    assert f["effect_rmse"] < 0.2 * f["effect_sd_full"]
    assert 0.85 < f["best_arm_agreement"] <= 1


def test_contract_matches_the_model(fitted) -> None:
    model, scorer, test = fitted
    X = test.X.iloc[:50].copy()
    X.index = [f"p{i}" for i in range(50)]
    out = scorer.predict_outcomes(X)
    assert list(out.columns) == list(model.arms_) and list(out.index) == list(X.index)
    reordered = scorer.predict_outcomes(X[X.columns[::-1]])
    pd.testing.assert_frame_equal(out, reordered)
    for fn in (model.predict_outcomes, scorer.predict_outcomes):  # unnamed columns: x0..x7
        with pytest.raises(ValueError, match="missing \\['x8'\\], unexpected \\['x0'\\]"):
            fn(X.to_numpy())


def test_threads_give_the_same_predictions(fitted) -> None:
    _, scorer, test = fitted
    X = pd.concat([test.X] * 5, ignore_index=True)  # several chunks
    one = scorer.predict_outcomes(X)
    scorer.n_jobs = 2
    try:
        pd.testing.assert_frame_equal(one, scorer.predict_outcomes(X))
    finally:
        scorer.n_jobs = 1


def test_same_seed_same_predictions(compact) -> None:
    """Builds on a 2,000-row reference with 30 trees (determinism does not depend on the
    size): same seed, same trees; another seed differs."""
    model, _, train, test = compact
    reference = train.X.iloc[:2000]
    first = CompactScorer.from_model(model, reference, n_trees=30)
    again = CompactScorer.from_model(model, reference, n_trees=30)
    pd.testing.assert_frame_equal(first.predict_outcomes(test.X), again.predict_outcomes(test.X))
    assert again.fidelity_ == first.fidelity_
    other = CompactScorer.from_model(model, reference, n_trees=30, random_state=1)
    assert not np.allclose(other.predict_outcomes(test.X), again.predict_outcomes(test.X))


def test_missing_values_follow_the_model(fitted) -> None:
    model, scorer, test = fitted
    ref = model.arms_.index(model.reference_)
    scale = _effects(model.predict_outcomes(test.X).to_numpy(), ref).std()

    def gap(X: pd.DataFrame, rows: np.ndarray) -> float:
        full = _effects(model.predict_outcomes(X).to_numpy(), ref)[rows]
        compact = _effects(scorer.predict_outcomes(X).to_numpy(), ref)[rows]
        assert np.isfinite(compact).all()
        return float(np.sqrt(np.mean((compact - full) ** 2)))

    missing = test.X["x4"].isna().to_numpy()  # missing in training: learned direction
    assert missing.sum() > 200 and gap(test.X, missing) < 0.2 * scale
    X = test.X.copy()
    X[["x1", "x5"]] = np.nan  # never missing in training: routed like the model (as 0)
    assert gap(X, np.ones(len(X), dtype=bool)) < 0.2 * scale
    nothing = scorer.predict_outcomes(pd.DataFrame(np.nan, index=[0], columns=test.X.columns))
    assert np.isfinite(nothing.to_numpy()).all()


def test_binary_outcome_is_a_probability(binary_three_arm) -> None:
    model, train, test = binary_three_arm
    scorer = CompactScorer.from_model(model, train.X)
    assert scorer.outcome_type_ == "binary"
    p = scorer.predict_outcomes(test.X).to_numpy()
    assert ((p >= 0) & (p <= 1)).all()
    full = model.predict_outcomes(test.X).to_numpy()
    truth = test.mu[model.arms_].to_numpy()
    err_full = np.sqrt(np.mean((full - truth) ** 2))  # the model's own error scale
    assert np.sqrt(np.mean((p - full) ** 2)) < 0.5 * err_full
    assert np.sqrt(np.mean((p - truth) ** 2)) < 1.1 * err_full


def test_bad_input(fitted) -> None:
    model, scorer, test = fitted
    with pytest.raises(ValueError, match="missing \\['x8'\\]"):
        scorer.predict_outcomes(test.X.drop(columns="x8"))
    with pytest.raises(ValueError, match="not numeric: \\['x2'\\]"):
        scorer.predict_outcomes(test.X.assign(x2="high"))
    with pytest.raises(ValueError, match="infinite values in columns \\['x3'\\]"):
        scorer.predict_outcomes(test.X.assign(x3=np.inf))
    with pytest.raises(ValueError, match="2-D"):
        scorer.predict_outcomes(np.zeros(8))
    # parameters are checked in fit (scikit-learn's contract), not in __init__
    with pytest.raises(ValueError, match="'depth' must be an integer from 1 to 10; got 11"):
        CompactScorer(depth=11).fit(model, test.X)
    with pytest.raises(ValueError, match="'n_trees' must be an integer"):
        CompactScorer(n_trees=2.5).fit(model, test.X)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'random_state' must be a non-negative integer"):
        CompactScorer.from_model(model, test.X, random_state=-1)
    with pytest.raises(ValueError, match="at least 50 rows"):
        CompactScorer.from_model(model, test.X.iloc[:10])
    with pytest.raises(NotFittedError, match="fitted TreatmentResponseModel"):
        CompactScorer.from_model(TreatmentResponseModel(), test.X)
    with pytest.raises(NotFittedError, match="not built yet"):
        CompactScorer().predict_outcomes(test.X)
