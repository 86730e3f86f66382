"""Per-patient SHAP explanations of predicted outcomes and advantages, in readable names.

TreeSHAP (Lundberg et al. 2020, Nat Mach Intell 2:56) on every LightGBM base learner; an
arm's prediction is a weighted sum of base learners (see ``_terms.arm_terms``),
and Shapley values are linear, so the arm's contributions are the same weighted sum. For a
binary outcome each base learner's log-odds contributions are rescaled to its probability
change (proportional allocation), an approximation that keeps the sum exact.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from lightgbm import LGBMRegressor

from ptsdrx.response._base_learners import FloatArray
from ptsdrx.response._checks import check_arm, check_features, check_fitted
from ptsdrx.response._terms import FittedResponseModel, arm_terms

_NOT_FITTED = "This TreatmentResponseModel is not fitted yet; call fit(Y, T, X=X) first."


@dataclass(frozen=True)
class Contribution:
    """One feature's push on a prediction (in outcome units)."""

    feature: str
    value: float | None
    contribution: float


@dataclass(frozen=True)
class ArmExplanation:
    """Why one arm's prediction (or one advantage) is what it is for one patient."""

    target: str
    prediction: float
    baseline: float
    top: tuple[Contribution, ...]

    def summary(self) -> str:
        """One line: prediction = baseline + the top pushes."""
        parts = ", ".join(f"{c.feature}={_fmt(c.value)} ({c.contribution:+.2f})" for c in self.top)
        return f"{self.target}: {self.prediction:.2f} (baseline {self.baseline:.2f}; {parts})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "target": self.target,
            "prediction": self.prediction,
            "baseline": self.baseline,
            "top": [c.__dict__ for c in self.top],
        }


@dataclass(frozen=True)
class PatientExplanation:
    """SHAP explanation of every arm's predicted outcome for one row."""

    row: Hashable
    arms: tuple[ArmExplanation, ...]

    def summary(self) -> str:
        """One line per arm."""
        return f"row {self.row}\n" + "\n".join("  " + a.summary() for a in self.arms)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"row": str(self.row), "arms": [a.to_dict() for a in self.arms]}


def _fmt(v: float | None) -> str:
    return "missing" if v is None else f"{v:.3g}"


def _phi(model: Any, Xa: FloatArray, binary: bool) -> FloatArray:
    """SHAP matrix of one base learner, in prediction units (zeros when not a tree).

    LightGBM's ``pred_contrib`` is its built-in TreeSHAP (the algorithm of
    ``shap.TreeExplainer``, same values; a test checks), without building an explainer.
    """
    if not isinstance(model, LGBMRegressor):
        return np.zeros_like(Xa)
    contrib = np.asarray(model.predict(Xa, pred_contrib=True), dtype=float)
    phi = contrib[:, :-1]
    if binary and model.objective == "cross_entropy":
        pred = np.asarray(model.predict(Xa), dtype=float)
        base = 1.0 / (1.0 + np.exp(-contrib[:, -1]))
        total = phi.sum(axis=1)
        scale = np.divide(pred - base, total, out=np.zeros_like(total), where=total != 0)
        phi = phi * scale[:, None]
    return phi


def _arm_contributions(model: FittedResponseModel, Xa: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Predictions ``[n, arms]`` and SHAP values ``[n, arms, features]``."""
    binary = model.outcome_type_ == "binary"
    terms = arm_terms(model, Xa).terms
    cache: dict[int, tuple[FloatArray, FloatArray]] = {}
    n, p = Xa.shape
    pred = np.zeros((n, len(terms)))
    phi = np.zeros((n, len(terms), p))
    for a, one_arm in enumerate(terms):
        for coef, m in one_arm:
            if id(m) not in cache:
                cache[id(m)] = (np.asarray(m.predict(Xa), dtype=float), _phi(m, Xa, binary))
            pr, ph = cache[id(m)]
            c = np.asarray(coef, dtype=float)
            pred[:, a] += c * pr
            phi[:, a, :] += (c[:, None] if c.ndim else c) * ph
    return pred, phi


def _top(
    target: str, pred: float, phi: FloatArray, row: FloatArray, names: list[str], top: int
) -> ArmExplanation:
    order = np.argsort(-np.abs(phi))[:top]
    return ArmExplanation(
        target=target,
        prediction=float(pred),
        baseline=float(pred - phi.sum()),
        top=tuple(
            Contribution(
                feature=names[j],
                value=None if np.isnan(row[j]) else float(row[j]),
                contribution=float(phi[j]),
            )
            for j in order
        ),
    )


def explain_rows(model: FittedResponseModel, X: Any, *, top: int = 5) -> list[PatientExplanation]:
    """Explain each row's predicted outcome under every arm."""
    check_fitted(model, "arms_", _NOT_FITTED)
    Xa = check_features(X, list(model.feature_names_in_))[0]
    index = X.index if isinstance(X, pd.DataFrame) else range(len(Xa))
    names = [str(c) for c in model.feature_names_in_]
    pred, phi = _arm_contributions(model, Xa)
    return [
        PatientExplanation(
            row=idx,
            arms=tuple(
                _top(str(arm), pred[i, a], phi[i, a], Xa[i], names, top)
                for a, arm in enumerate(model.arms_)
            ),
        )
        for i, idx in enumerate(index)
    ]


def explain_advantage(
    model: FittedResponseModel, X: Any, *, a: Hashable, b: Hashable, top: int = 5
) -> list[ArmExplanation]:
    """Explain each row's advantage of arm ``a`` over ``b`` (the PAI, same sign convention)."""
    check_fitted(model, "arms_", _NOT_FITTED)
    Xa = check_features(X, list(model.feature_names_in_))[0]
    i, j = check_arm(model.arms_, b, "b"), check_arm(model.arms_, a, "a")
    names = [str(c) for c in model.feature_names_in_]
    pred, phi = _arm_contributions(model, Xa)
    sign = 1.0 if model.outcome_direction_ == "higher_is_better" else -1.0
    adv = sign * (pred[:, j] - pred[:, i])
    dphi = sign * (phi[:, j] - phi[:, i])
    return [_top(f"{a} vs {b}", adv[r], dphi[r], Xa[r], names, top) for r in range(len(Xa))]
