"""Predictions for one patient: from a fitted response model, or the evidence prior.

The response model follows the ``ptsdrx.response`` contract (``predict_outcomes``,
``predict_interval``, ``effect_interval``, ``explain``, ``in_support``, ``arms_``). Arms the
model was not trained on fall back to the trial prior, and each prediction says which.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ptsdrx.recommend._protocols import ResponseModel, ScoringPass
from ptsdrx.recommend._result import FeatureContribution, Prediction
from ptsdrx.records import PatientRecord

Interval = tuple[float, float]
PCL5_RANGE = (0.0, 80.0)
"""PCL-5 total range (20 items scored 0-4; FACTS.md 1.1)."""


@dataclass(frozen=True)
class ModelView:
    """What a fitted model says about one patient, gathered once."""

    expected: dict[str, float]
    intervals: dict[str, Interval]
    level: float
    remission: dict[str, float]
    contributions: dict[str, tuple[FeatureContribution, ...]]
    in_support: bool | None
    advantage: Callable[[str, str], Interval | None] = field(repr=False)


def _finite(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def patient_matrix(record: PatientRecord, model: ResponseModel) -> Any:
    """The one-row model matrix for this record, with the model's own feature schema.

    A saved model carries ``feature_schema_`` (optional in the protocol: a model fitted in
    memory on today's schema has none). A one-pass scorer (:class:`ScoringPass`) whose
    features are the schema's, in its order, gets the bare float row: no table to build.
    """
    from ptsdrx.features import SCHEMA, FeatureSchema, from_records, record_matrix

    found = vars(model).get("feature_schema_") if hasattr(model, "__dict__") else None
    schema = found if isinstance(found, FeatureSchema) else SCHEMA
    if _takes_rows(model, schema.names):
        return record_matrix([record], schema=schema)
    return from_records([record], schema=schema)


def _takes_rows(model: Any, names: Sequence[str]) -> bool:
    """True for a one-pass scorer whose features are ``names``, in that order."""
    fitted = getattr(model, "feature_names_in_", None)
    return (
        callable(getattr(model, "plan", None))
        and fitted is not None
        and [str(c) for c in fitted] == list(names)
    )


def _contributions(model: ResponseModel, X: Any) -> dict[str, tuple[FeatureContribution, ...]]:
    """Top SHAP contributions per arm for the single row (``ptsdrx.response`` explain)."""
    explained = model.explain(X, top=5)
    if not explained:
        return {}
    out: dict[str, tuple[FeatureContribution, ...]] = {}
    for arm in explained[0].arms:
        out[str(arm.target)] = tuple(
            FeatureContribution(
                feature=str(c.feature), value=_finite(c.value), points=c.contribution
            )
            for c in arm.top
            if _finite(c.contribution) is not None
        )
    return out


def model_view(
    record: PatientRecord,
    model: ResponseModel,
    *,
    alpha: float,
    remission_model: ResponseModel | None = None,
) -> ModelView:
    """Everything the recommendation needs from a fitted response model for one patient.

    ``remission_model`` is an optional second model fitted on a binary remission outcome;
    its ``predict_outcomes`` are probabilities. A model with a ``plan`` method
    (:class:`ScoringPass`) is read from that one pass.
    """
    X = patient_matrix(record, model)
    names = [str(c) for c in getattr(model, "feature_names_in_", ())]
    X_remission = X  # a bare row only when the remission scorer reads it too
    bare = isinstance(X, np.ndarray)
    if remission_model is not None and bare and not _takes_rows(remission_model, names):
        X_remission = patient_matrix(record, remission_model)
    # explanations first: a scorer that derives predictions from SHAP values reuses them
    contributions = _contributions(model, X)
    plan = _plan(model, X, alpha)
    if plan is not None:
        return _view_of_plan(plan, alpha, _remission(remission_model, X_remission), contributions)
    outcomes = model.predict_outcomes(X)
    expected = {
        str(arm): v for arm in outcomes.columns if (v := _finite(outcomes[arm].iloc[0])) is not None
    }
    intervals: dict[str, Interval] = {}
    for arm, frame in model.predict_interval(X, alpha=alpha).items():
        lo, hi = _finite(frame["lo"].iloc[0]), _finite(frame["hi"].iloc[0])
        if lo is not None and hi is not None:
            intervals[str(arm)] = _clip(lo, hi)
    return _view(
        expected,
        intervals,
        model.in_support(X),
        lambda best, other: model.effect_interval(X, T0=best, T1=other, alpha=alpha),
        alpha,
        _remission(remission_model, X_remission),
        contributions,
    )


def _view(
    expected: dict[str, float],
    intervals: dict[str, Interval],
    support: Any,
    effect: Callable[[str, str], tuple[Any, Any]],
    alpha: float,
    remission: dict[str, float],
    contributions: dict[str, tuple[FeatureContribution, ...]],
) -> ModelView:
    """The :class:`ModelView`; ``effect(best, other)`` gives the per-row effect interval."""

    def advantage(best: str, other: str) -> Interval | None:
        """PCL-5 points ``best`` gains over ``other`` (effect of other minus best)."""
        if best not in expected or other not in expected:
            return None
        lo, hi = effect(best, other)
        a, b = _finite(_first(lo)), _finite(_first(hi))
        return None if a is None or b is None else (a, b)

    return ModelView(
        expected=expected,
        intervals=intervals,
        level=1 - alpha,
        remission=remission,
        contributions=contributions,
        in_support=bool(support[0]) if len(support) else None,
        advantage=advantage,
    )


def _clip(lo: float, hi: float) -> Interval:
    """The PCL-5 total lies in 0-80: clipping keeps coverage and drops impossible ends."""
    return (max(lo, PCL5_RANGE[0]), min(hi, PCL5_RANGE[1]))


def _plan(model: Any, X: Any, alpha: float) -> ScoringPass | None:
    """The model's one-pass scoring of ``X``, when it offers one."""
    plan_of = getattr(model, "plan", None)
    return plan_of(X, alpha=alpha) if callable(plan_of) else None


def _remission(model: ResponseModel | None, X: Any) -> dict[str, float]:
    """Remission probability per arm from a binary-outcome model (empty without one)."""
    if model is None:
        return {}
    rem = model.predict_outcomes(X)  # the outcomes alone: no intervals or support needed
    values = zip(rem.columns, rem.to_numpy()[0].tolist(), strict=True)
    return {str(arm): p for arm, v in values if (p := _finite(v)) is not None}


def _view_of_plan(
    plan: ScoringPass,
    alpha: float,
    remission: dict[str, float],
    contributions: dict[str, tuple[FeatureContribution, ...]],
) -> ModelView:
    """:func:`model_view` from one scoring pass (same values, no per-arm tables)."""
    arms = [str(a) for a in plan.arms]
    code = {arm: i for i, arm in enumerate(arms)}
    expected = {
        arm: v for arm, x in zip(arms, plan.outcomes[0].tolist(), strict=True)
        if (v := _finite(x)) is not None
    }  # fmt: skip
    intervals: dict[str, Interval] = {}
    if plan.lo is not None and plan.hi is not None:
        for arm, a, b in zip(arms, plan.lo[0].tolist(), plan.hi[0].tolist(), strict=True):
            lo, hi = _finite(a), _finite(b)
            if lo is not None and hi is not None:
                intervals[arm] = _clip(lo, hi)
    return _view(
        expected,
        intervals,
        plan.in_support,
        lambda best, other: plan.effect_interval(code[best], code[other]),
        alpha,
        remission,
        contributions,
    )


def _first(x: Any) -> Any:
    """First element of an array-like (effect intervals come back per row)."""
    try:
        return x[0]
    except (TypeError, IndexError, KeyError):
        return x


def model_prediction(view: ModelView, treatment: str, basis: str) -> Prediction | None:
    """The model's prediction for one arm, or ``None`` when the arm is not in the model."""
    if treatment not in view.expected:
        return None
    rem = view.remission.get(treatment)
    return Prediction(
        source="model",
        expected_pcl5=view.expected[treatment],
        interval=view.intervals.get(treatment),
        interval_level=view.level if treatment in view.intervals else None,
        remission_probability=rem,
        remission_source="model" if rem is not None else None,
        basis=basis,
    )


def prior_prediction(
    treatment: str, baseline_pcl5: float | None, *, level: float = 0.9
) -> Prediction | None:
    """The cold-start prior (:func:`ptsdrx.evidence.prior_outcome`) at ``level``, or ``None``.

    ``prior_kind`` keeps what the numbers rest on (the treatment's own trial arms, or effect
    sizes vs a control) so every rendering can say it in plain words.
    """
    if baseline_pcl5 is None:
        return None
    from ptsdrx.evidence import prior_outcome

    try:
        prior = prior_outcome(treatment, baseline_pcl5=baseline_pcl5, level=level)
    except (KeyError, ValueError, LookupError):
        return None
    expected = _finite(prior.expected_pcl5)
    if expected is None or prior.kind == "none":
        return None
    interval = prior.interval
    rem = _finite(prior.remission_probability)
    from ptsdrx.evidence import get_trial

    controlled = all(get_trial(t).control is not None for t in prior.trials)
    return Prediction(
        source="evidence_prior",
        prior_kind=prior.kind,
        expected_pcl5=expected,
        interval=(float(interval[0]), float(interval[1])) if interval else None,
        interval_level=prior.level if interval else None,
        remission_probability=rem,
        remission_source="evidence_prior" if rem is not None else None,
        response_probability=_finite(prior.response_probability),
        basis=f"Published trials (cold-start prior), {prior.basis}",
        trials=prior.trials,
        controlled=controlled,
    )
