"""LightGBM base learners used inside every meta-learner, with reproducible seeds.

Binary outcomes use LightGBM's ``cross_entropy`` objective so that ``predict`` returns a
probability and the same regressor interface serves both outcome types. Every booster trains
on one thread; :func:`run_jobs` trains independent boosters side by side instead, so a fit
gives the same model whatever its ``n_jobs``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np
from lightgbm import LGBMClassifier, LGBMRegressor
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: Outcome and final-stage (effect) regressors: shallow, shrunk boosted trees.
DEFAULT_OUTCOME_PARAMS: dict[str, Any] = {
    "n_estimators": 200,
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_child_samples": 20,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
}
#: Effect models see noisy pseudo-outcomes: few leaves and a low rate keep them smooth; the
#: leaf size and L2 were relaxed (40 -> 20 rows, 5 -> 1) on 2026-12-04, which sharpened the
#: effects on 7 of 8 benchmark sets and left the others level (docs/decisions.md).
DEFAULT_EFFECT_PARAMS: dict[str, Any] = {
    "n_estimators": 150,
    "learning_rate": 0.04,
    "num_leaves": 7,
    "min_child_samples": 20,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
}
#: Propensity: a smooth multinomial model, hard to overfit in randomized data.
DEFAULT_PROPENSITY_PARAMS: dict[str, Any] = {
    "n_estimators": 100,
    "learning_rate": 0.1,
    "num_leaves": 7,
    "min_child_samples": 50,
    "subsample": 0.8,
    "subsample_freq": 1,
    "reg_lambda": 5.0,
}
FAST_SCALE = 0.4  # the ``fast`` preset keeps this share of trees and doubles the rate
BOOSTER_THREADS = 1  # LightGBM threads per booster: fixed, so n_jobs cannot change a model

_T = TypeVar("_T")


def run_jobs(jobs: Sequence[Callable[[], _T]], n_jobs: int) -> list[_T]:
    """The results of ``jobs``, in order; on ``n_jobs`` threads side by side when above 1.

    joblib's thread backend (``n_jobs`` as scikit-learn reads it: -1 is every CPU). LightGBM
    releases the GIL while it builds datasets, trains and predicts, so threads fit independent
    boosters in parallel. Each job must be deterministic on its own (its own seed, its own
    rows): then the results do not depend on ``n_jobs`` or on the order jobs finish.
    """
    from joblib import Parallel, delayed

    return list(Parallel(n_jobs=n_jobs, prefer="threads")(delayed(job)() for job in jobs))


def seed(random_state: int, *parts: int) -> int:
    """A seed for one model of a fit: independent streams per ``parts``, same inputs same seed."""
    seq = np.random.SeedSequence([random_state, *parts])
    return int(seq.generate_state(1)[0] % (2**31 - 1))


class Regressor(Protocol):
    """Anything with ``predict`` returning one float per row."""

    def predict(self, X: Any) -> Any: ...


class ConstantModel:
    """Predicts one constant; used when a fold has a single outcome value."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = float(value)

    def predict(self, X: Any) -> FloatArray:
        return np.full(len(X), self.value)


def _params(base: dict[str, Any], override: dict[str, Any] | None, fast: bool) -> dict[str, Any]:
    params = dict(base)
    if fast:
        params["n_estimators"] = max(20, int(params["n_estimators"] * FAST_SCALE))
        params["learning_rate"] = min(0.3, params["learning_rate"] * 2)
    params.update(override or {})
    return params


def fit_regressor(
    X: FloatArray,
    y: FloatArray,
    *,
    binary: bool,
    params: dict[str, Any],
    seed: int,
) -> Regressor:
    """Fit one LightGBM regressor (``cross_entropy`` objective for 0/1 targets)."""
    if len(y) == 0:
        raise ValueError("cannot fit a base learner on zero rows")
    if np.ptp(y) == 0:
        return ConstantModel(float(y[0]))
    objective = "cross_entropy" if binary else "regression"
    model = LGBMRegressor(
        objective=objective, random_state=seed, n_jobs=BOOSTER_THREADS, verbose=-1, **params
    )
    model.fit(X, y)
    return model


def fit_classifier(
    X: FloatArray,
    labels: NDArray[np.int64],
    *,
    n_classes: int,
    params: dict[str, Any],
    seed: int,
) -> LGBMClassifier:
    """Fit the multinomial propensity model on integer arm codes ``0..n_classes-1``."""
    model = LGBMClassifier(
        objective="multiclass" if n_classes > 2 else "binary",
        random_state=seed,
        n_jobs=BOOSTER_THREADS,
        verbose=-1,
        **params,
    )
    model.fit(X, labels)
    return model


def predict_proba_all(model: LGBMClassifier, X: FloatArray, n_classes: int) -> FloatArray:
    """Class probabilities with one column per arm, even if a fold missed an arm."""
    proba = np.asarray(model.predict_proba(X), dtype=float)
    out = np.zeros((len(X), n_classes))
    out[:, np.asarray(model.classes_, dtype=int)] = proba
    return out


def params_for(kind: str, override: dict[str, Any] | None, fast: bool) -> dict[str, Any]:
    """Resolved LightGBM parameters for ``outcome``, ``effect`` or ``propensity`` models."""
    base = {
        "outcome": DEFAULT_OUTCOME_PARAMS,
        "effect": DEFAULT_EFFECT_PARAMS,
        "propensity": DEFAULT_PROPENSITY_PARAMS,
    }[kind]
    return _params(base, override, fast)
