"""EconML estimators as optional learners, with the same LightGBM bases as ours.

They are cross-fitted like the native learners and compete in the same causal loss, so
choosing them is a measured decision. EconML does not accept missing values, so features
are median-imputed with missingness indicators (scikit-learn ``SimpleImputer``) first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.impute import SimpleImputer

from ptsdrx.response._base_learners import FloatArray


class EconmlLearner:
    """One EconML estimator (``econml_dr``, ``econml_x`` or ``econml_cf``) plus its imputer."""

    def __init__(self, name: str, *, seed: int, n_jobs: int, params: dict[str, dict[str, Any]]):
        self.name, self.seed, self.n_jobs, self.params = name, seed, n_jobs, params

    def _estimator(self) -> Any:
        from econml.dml import CausalForestDML
        from econml.dr import DRLearner
        from econml.metalearners import XLearner

        common: dict[str, Any] = {"random_state": self.seed, "n_jobs": self.n_jobs, "verbose": -1}
        outcome = LGBMRegressor(**common, **self.params["outcome"])
        effect = LGBMRegressor(**common, **self.params["effect"])
        prop = LGBMClassifier(**common, **self.params["propensity"])
        if self.name == "econml_dr":
            return DRLearner(
                model_propensity=prop,
                model_regression=outcome,
                model_final=effect,
                cv=2,
                random_state=self.seed,
            )
        if self.name == "econml_x":
            return XLearner(models=outcome, cate_models=effect, propensity_model=prop)
        if self.name == "econml_cf":
            return CausalForestDML(
                model_y=outcome,
                model_t=prop,
                discrete_treatment=True,
                cv=2,
                n_estimators=200,
                random_state=self.seed,
                n_jobs=self.n_jobs,
            )
        raise ValueError(f"unknown EconML learner {self.name!r}")

    def fit(self, y: FloatArray, codes: Any, X: FloatArray) -> EconmlLearner:
        """Impute, then fit the EconML estimator on integer arm codes."""
        self.imputer_ = SimpleImputer(
            strategy="median", add_indicator=True, keep_empty_features=True
        )
        Xi = self.imputer_.fit_transform(X)
        self.est_ = self._estimator()
        self.est_.fit(y, np.asarray(codes), X=Xi)
        return self

    def effect(self, X: FloatArray, *, T0: int, T1: int) -> FloatArray:
        """Effect of arm code ``T1`` versus ``T0``."""
        Xi = self.imputer_.transform(X)
        return np.asarray(self.est_.effect(Xi, T0=T0, T1=T1), dtype=float).ravel()


class EffectAdapter:
    """``predict(X)`` = an EconML learner's effect of arm ``a`` versus ``ref``."""

    def __init__(self, learner: EconmlLearner, ref: int, a: int) -> None:
        self.learner, self.ref, self.a = learner, ref, a

    def predict(self, X: FloatArray) -> FloatArray:
        return self.learner.effect(X, T0=self.ref, T1=self.a)
