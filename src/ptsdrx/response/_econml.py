"""EconML estimators as optional learners, with the same LightGBM bases as ours.

They are cross-fitted like the native learners and compete in the same DR loss, so
choosing them is a measured decision, not a leap of faith.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from lightgbm import LGBMClassifier, LGBMRegressor

from ptsdrx.response._base_learners import FloatArray


def fit_econml(
    name: str,
    y: FloatArray,
    codes: Any,
    X: FloatArray,
    *,
    binary: bool,
    out_params: dict[str, Any],
    eff_params: dict[str, Any],
    prop_params: dict[str, Any],
    seed: int,
    n_jobs: int,
) -> Any:
    """Fit EconML's DRLearner, XLearner or CausalForestDML on integer arm codes."""
    from econml.dml import CausalForestDML
    from econml.dr import DRLearner
    from econml.metalearners import XLearner

    common: dict[str, Any] = {"random_state": seed, "n_jobs": n_jobs, "verbose": -1}
    outcome = LGBMRegressor(**common, **out_params)
    effect = LGBMRegressor(**common, **eff_params)
    prop = LGBMClassifier(**common, **prop_params)
    est: Any
    if name == "econml_dr":
        est = DRLearner(
            model_propensity=prop,
            model_regression=outcome,
            model_final=effect,
            cv=2,
            random_state=seed,
        )
    elif name == "econml_x":
        est = XLearner(models=outcome, cate_models=effect, propensity_model=prop)
    elif name == "econml_cf":
        est = CausalForestDML(
            model_y=outcome,
            model_t=prop,
            discrete_treatment=True,
            cv=2,
            n_estimators=200,
            random_state=seed,
            n_jobs=n_jobs,
        )
    else:
        raise ValueError(f"unknown EconML learner {name!r}")
    est.fit(y, np.asarray(codes), X=X)
    return est


class EffectAdapter:
    """``predict(X)`` = the EconML estimator's effect of arm ``a`` versus ``ref``."""

    def __init__(self, est: Any, ref: int, a: int) -> None:
        self.est, self.ref, self.a = est, ref, a

    def predict(self, X: FloatArray) -> FloatArray:
        return np.asarray(self.est.effect(X, T0=self.ref, T1=self.a), dtype=float).ravel()
