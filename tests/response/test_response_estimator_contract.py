"""The estimator contract, checked the same way for every estimator in ``ptsdrx.response``.

In the style of EconML's ``test_sklearn_compat.py`` and ``test_random_state.py``: our
``fit`` signatures are not scikit-learn's ``fit(X, y)`` (the model fits ``(Y, T, X=X)``,
the scorer distils a fitted model), so ``parametrize_with_checks`` cannot run as is; the
checks below are the ones that apply, plus what our own contract promises.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from ptsdrx.response import CompactScorer, TreatmentResponseModel

# small, fast settings for each estimator, a non-default parameter to round-trip, and a bad one
CASES: dict[str, dict[str, Any]] = {
    "TreatmentResponseModel": {
        "cls": TreatmentResponseModel,
        "params": {"fast": True, "n_folds": 2},
        "other": ("trim", 0.01),
        "bad": ("n_folds", 1),
    },
    "CompactScorer": {
        "cls": CompactScorer,
        "params": {"n_trees": 20, "depth": 4},
        "other": ("reg_lambda", 3.0),
        "bad": ("depth", 11),
    },
}


def _fit(est: Any, two_arm: tuple[Any, Any, Any]) -> Any:
    model, train, _ = two_arm
    if isinstance(est, CompactScorer):
        return est.fit(model, train.X)
    return est.fit(train.Y, train.T, X=train.X)


@pytest.fixture(params=list(CASES))
def case(request: pytest.FixtureRequest) -> dict[str, Any]:
    return CASES[request.param]


def test_init_stores_only_its_arguments(case: dict[str, Any]) -> None:
    name = case["cls"].__name__
    est = case["cls"](**case["params"])
    check_no_attributes_set_in_init(name, est)
    check_parameters_default_constructible(name, case["cls"]())
    assert {k: getattr(est, k) for k in case["params"]} == case["params"]


def test_get_set_params_and_clone_round_trip(case: dict[str, Any]) -> None:
    name = case["cls"].__name__
    est = case["cls"](**case["params"])
    check_get_params_invariance(name, est)
    check_set_params(name, est)
    key, value = case["other"]
    est.set_params(**{key: value})
    assert est.get_params()[key] == value
    twin = clone(est)
    assert twin is not est and twin.get_params() == est.get_params()


def test_parameters_are_checked_in_fit_not_init(case: dict[str, Any], two_arm) -> None:
    key, value = case["bad"]
    est = case["cls"](**{**case["params"], key: value})  # constructing never raises
    assert getattr(est, key) == value
    with pytest.raises(ValueError, match=f"parameter {key!r} must be"):
        _fit(est, two_arm)


def test_not_fitted_error_before_fit(case: dict[str, Any], two_arm) -> None:
    X = two_arm[2].X.head(3)
    with pytest.raises(NotFittedError):
        case["cls"](**case["params"]).predict_outcomes(X)


def test_same_seed_same_output(case: dict[str, Any], two_arm, global_random_seed: int) -> None:
    X = two_arm[2].X
    fits = [
        _fit(case["cls"](**case["params"], random_state=s), two_arm).predict_outcomes(X)
        for s in (global_random_seed, global_random_seed, global_random_seed + 1)
    ]
    pd.testing.assert_frame_equal(fits[0], fits[1])
    assert not np.allclose(fits[0].to_numpy(), fits[2].to_numpy())


def test_skops_round_trip(case: dict[str, Any], two_arm) -> None:
    est = _fit(case["cls"](**case["params"]), two_arm)
    blob = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=blob)
    assert all(
        t.startswith(("ptsdrx.", "lightgbm.", "sklearn.", "crepes.", "numpy.", "collections."))
        for t in untrusted
    ), untrusted
    loaded = sio.loads(blob, trusted=untrusted)
    assert type(loaded) is type(est) and loaded.get_params() == est.get_params()
    X = two_arm[2].X
    pd.testing.assert_frame_equal(loaded.predict_outcomes(X), est.predict_outcomes(X))
