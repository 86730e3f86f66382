"""Each arm's prediction as a sum of ``coefficient * base_model(x)`` terms.

One representation drives ``predict_outcomes``, the SHAP explanations (Shapley values are
linear, so an arm's contributions are the same weighted sum) and the compact scorer's
targets, so an explanation always adds up to the prediction. It is computed from the
model's public fitted attributes only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ptsdrx.response._base_learners import FloatArray, Regressor
from ptsdrx.response._learners import Term, learner
from ptsdrx.response._nuisance import clip_propensity, predict_propensity


class FittedResponseModel(Protocol):
    """The fitted attributes of a ``TreatmentResponseModel`` that its terms are built from."""

    arms_: list[Any]
    reference_: Any
    outcome_type_: str
    outcome_direction_: str
    feature_names_in_: Any
    folds_n_: int
    weights_: dict[str, float]
    outcome_models_: list[list[Regressor]]
    effect_models_: dict[str, list[dict[str, Any]]]
    propensity_models_: list[Any]
    propensity_blend_: float
    arm_shares_: FloatArray
    propensity_clip: float


@dataclass(frozen=True)
class ArmTerms:
    """Per arm, the terms whose sum is that arm's predicted outcome on some rows."""

    terms: list[list[Term]]
    binary: bool

    def outcomes(self, Xa: FloatArray) -> FloatArray:
        """``[n, arms]`` predicted outcomes (each base model evaluated once)."""
        cache: dict[int, FloatArray] = {}
        pred = np.zeros((len(Xa), len(self.terms)))
        for a, arm_terms in enumerate(self.terms):
            for coef, model in arm_terms:
                key = id(model)
                if key not in cache:
                    cache[key] = np.asarray(model.predict(Xa), dtype=float)
                pred[:, a] += coef * cache[key]
        if self.binary:
            pred = np.clip(pred, 0.0, 1.0)
        return pred


def propensity(model: FittedResponseModel, Xa: FloatArray) -> FloatArray:
    """The model's (unclipped) arm propensities on ``Xa``."""
    return predict_propensity(
        model.propensity_models_, model.propensity_blend_, model.arm_shares_, Xa
    )


def arm_terms(model: FittedResponseModel, Xa: FloatArray) -> ArmTerms:
    """The terms of every arm's prediction on the rows ``Xa``."""
    arms = list(model.arms_)
    ref, K = arms.index(model.reference_), model.folds_n_
    weighted = {name: w for name, w in model.weights_.items() if w != 0}
    needs_g = any(learner(name).uses_propensity for name in weighted)
    g_all = clip_propensity(propensity(model, Xa), model.propensity_clip) if needs_g else None
    base: list[Term] = [(1.0 / K, fm[ref]) for fm in model.outcome_models_]
    out: list[list[Term]] = []
    for a in range(len(arms)):
        terms = list(base)
        if a != ref:
            g = None if g_all is None else g_all[:, a] / (g_all[:, a] + g_all[:, ref])
            for name, w in weighted.items():
                ml = learner(name)
                for k, fitted in enumerate(model.effect_models_[name]):
                    terms += ml.terms(fitted, a, w / K, model.outcome_models_[k], ref, g)
        out.append(terms)
    return ArmTerms(out, binary=model.outcome_type_ == "binary")


def predict_outcomes(model: FittedResponseModel, Xa: FloatArray) -> FloatArray:
    """``[n, arms]`` predicted outcomes of a fitted model on checked features ``Xa``."""
    return arm_terms(model, Xa).outcomes(Xa)
