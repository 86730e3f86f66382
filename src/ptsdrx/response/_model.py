"""``TreatmentResponseModel``: multi-arm heterogeneous treatment effects with LightGBM bases.

Method (the default configuration):

1. Cross-fitting (``n_folds`` folds stratified by arm): per-arm outcome models
   ``mu_a(x)`` and a multinomial propensity model ``e_a(x)``, each predicted out of fold.
2. Doubly robust pseudo-outcomes per arm (Robins et al. 1994; Kennedy 2023, EJS 17:3008)
   ``G_a = mu_a(x) + 1[T=a] (Y - mu_a(x)) / e_a(x)`` with clipped propensities.
3. Meta-learners of the effect of every arm against a reference arm: T-learner
   (differences of ``mu``), X-learner (Kuenzel et al. 2019, PNAS 116:4156) with default and
   with additive (boosted stumps) effect models, DR-learner (regression of ``G_a - G_ref``
   on ``x``) and the constant doubly robust ATE (the shrinkage target when effects barely
   vary), each fitted per fold so that every row gets an out-of-fold effect estimate. The
   rows a fold's learners train on get their own nuisances, cross-fitted within those rows
   (nested cross-fitting): otherwise a learner would have seen the held-out rows' outcomes
   through the nuisances, and the causal loss below would favour the learners that lean
   hardest on them (measured: it preferred the X-learner over the constant effect on
   Nie-Wager setup C, where the effect is constant). Above ``NESTED_ROWS`` rows the weights
   come from such a nested fit on a stratified subsample of that size, and the learners that
   carry weight are then cross-fitted once on every row (the bias the nesting removes
   shrinks as the folds grow; the subsample keeps a million-row fit within minutes).
4. Ensembling by the cross-validated DR pseudo-outcome loss: non-negative weights summing
   to one that minimise ``sum (G_a - G_ref - tau_a(x))^2`` over held-out rows (a causal
   loss whose expectation equals the PEHE up to a constant). The default thus adapts to the
   data: a randomized trial with a simple effect tends to favour DR/X, a rich baseline T.
5. Outcome intervals by cross-conformal prediction (crepes ``ConformalRegressor``, Mondrian
   by arm) on out-of-fold residuals. Effect intervals are confidence intervals for the
   average effect among patients like this one: held-out rows are sorted into groups by
   their out-of-fold predicted effect (GATES, Chernozhukov, Demirer, Duflo and
   Fernandez-Val 2018, NBER w24678) and each group's effect is the mean of its doubly robust
   pseudo-outcomes, with a normal-theory standard error (``kind="group"``). The conservative
   alternative, ``kind="individual"``, conformalises the pseudo-outcomes themselves.

Predictions average the fold models (cross-fitted bagging), so no model ever scores the
rows it was trained on during validation and nothing is refitted after cross-fitting.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.model_selection import StratifiedKFold

from ptsdrx._results import Result
from ptsdrx.response import _ensemble
from ptsdrx.response._base_learners import FloatArray, params_for
from ptsdrx.response._base_learners import seed as _seed
from ptsdrx.response._checks import (
    MODEL_CONSTRAINTS,
    check_alpha,
    check_arm,
    check_features,
    check_fitted,
    check_outcome_and_arms,
    frame_index,
    validate_params,
)
from ptsdrx.response._explain import PatientExplanation, explain_rows
from ptsdrx.response._intervals import (
    calibrate,
    group_bounds,
    individual_bounds,
    outcome_bounds,
)
from ptsdrx.response._learners import (
    DEFAULT_LEARNERS,
    CrossFit,
    additive_params,
    crossfit_effects,
)
from ptsdrx.response._nuisance import (
    blend_propensity,
    clip_propensity,
    crossfit_nuisances,
    dr_pseudo_outcomes,
    one_hot,
)
from ptsdrx.response._overlap import OverlapReport, OverlapWarning, overlap_report
from ptsdrx.response._policy import DEFAULT_POLICY, TreatmentPolicy, policy_evidence
from ptsdrx.response._terms import predict_outcomes as _predict_outcomes
from ptsdrx.response._terms import propensity as _propensity

Learner = Literal["t", "x", "x_add", "dr", "dr_add", "ate", "econml_dr", "econml_x", "econml_cf"]
__all__ = ["DEFAULT_LEARNERS", "FitSummary", "TreatmentResponseModel"]


@dataclass(frozen=True)
class FitSummary(Result):
    """What cross-fitting learned about the learners; saved with the model."""

    n_rows: int
    arms: tuple[str, ...]
    reference: str
    outcome_type: str
    cv_dr_loss: dict[str, float]
    weights: dict[str, float]
    oof_rmse_by_arm: dict[str, float]
    overlap: OverlapReport
    propensity_blend: float = 1.0

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per learner: its cross-validated loss and ensemble weight."""
        return [
            {"learner": k, "cv_loss": v, "weight": self.weights.get(k, 0.0)}
            for k, v in self.cv_dr_loss.items()
        ]

    def to_text(self) -> str:
        """A few lines for the CLI and reports."""
        losses = ", ".join(f"{k}={v:.4g}" for k, v in self.cv_dr_loss.items())
        weights = ", ".join(f"{k}={v:.2f}" for k, v in self.weights.items())
        rmse = ", ".join(f"{k}={v:.3g}" for k, v in self.oof_rmse_by_arm.items())
        return (
            f"{self.n_rows} rows, {len(self.arms)} arms (reference {self.reference}), "
            f"{self.outcome_type} outcome\n"
            f"cross-validated DR loss: {losses}\nensemble weights: {weights}\n"
            f"out-of-fold RMSE by arm: {rmse}\n"
            f"propensity: {self.propensity_blend:.2f} x model + "
            f"{1 - self.propensity_blend:.2f} x arm shares (by out-of-fold log-loss)\n"
            f"{self.overlap.to_text()}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the overlap with its derived share)."""
        d = super().to_dict()
        d["overlap"] = self.overlap.to_dict()
        return d


class TreatmentResponseModel(BaseEstimator):
    """Predicted outcome under every arm, effects between arms, and how sure we are.

    Parameters
    ----------
    learners : sequence of str, default ("t", "x", "x_add", "dr", "ate")
        Meta-learners to cross-fit and ensemble. ``"x_add"`` and ``"dr_add"`` are the X- and
        DR-learners with boosted stumps (additive effects) as the effect model.
        ``"econml_dr"``, ``"econml_x"`` and ``"econml_cf"`` plug in EconML's DRLearner,
        XLearner and CausalForestDML (LightGBM nuisances); they are cross-fitted the same way
        and compete in the same loss.
    combine : {"stack", "select"}
        Ensemble weights by the cross-validated DR loss, or keep only the best learner.
    n_folds : int, default 3
        Cross-fitting folds (stratified by arm).
    outcome_type : {"auto", "continuous", "binary"}
        ``auto`` treats an outcome with only the values 0 and 1 as binary.
    outcome_direction : {"auto", "lower_is_better", "higher_is_better"}
        Used by ``best_arm`` and ``pai``. ``auto``: binary outcomes (remission) are better
        higher, continuous ones (symptom scores such as PCL-5) lower.
    propensity_clip : float, default 0.01
        Propensities are clipped to at least this before inverse weighting.
    trim : float, default 0.005
        Rows whose smallest cross-fitted propensity is below this do not train effect models.
    overlap_threshold : float, default 0.02
        ``in_support`` flags rows with an arm propensity below this; an ``OverlapWarning``
        is raised when over 5% of training rows are below it.
    outcome_params, effect_params, propensity_params : dict, optional
        LightGBM parameters overriding the defaults for each kind of model.
    fast : bool, default False
        Fewer, larger boosting steps (about 2.5x faster, slightly less accurate).
    n_jobs : int, default 1
        Boosters fitted side by side (threads; -1: one per CPU). Each booster trains on one
        thread, so the fitted model, and every prediction, is the same for any ``n_jobs``.
    random_state : int, default 0
        Seeds folds, subsampling and every base learner: same seed, same predictions.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"age": rng.normal(40, 10, 600)})
    >>> T = rng.choice(["a", "b"], 600)
    >>> Y = 50 - 5 * (T == "b") * (X["age"] > 40) + rng.normal(0, 1, 600)
    >>> m = TreatmentResponseModel(fast=True).fit(Y, T, X=X)
    >>> m.predict_outcomes(X.head(2)).columns.tolist()
    ['a', 'b']
    """

    def __init__(
        self,
        *,
        learners: Sequence[str] = DEFAULT_LEARNERS,
        combine: str = "stack",
        loss: str = "r",
        n_folds: int = 3,
        outcome_type: str = "auto",
        outcome_direction: str = "auto",
        propensity_clip: float = 0.01,
        trim: float = 0.005,
        overlap_threshold: float = 0.02,
        outcome_params: dict[str, Any] | None = None,
        effect_params: dict[str, Any] | None = None,
        propensity_params: dict[str, Any] | None = None,
        fast: bool = False,
        n_jobs: int = 1,
        random_state: int = 0,
    ) -> None:
        self.learners = learners
        self.combine = combine
        self.loss = loss
        self.n_folds = n_folds
        self.outcome_type = outcome_type
        self.outcome_direction = outcome_direction
        self.propensity_clip = propensity_clip
        self.trim = trim
        self.overlap_threshold = overlap_threshold
        self.outcome_params = outcome_params
        self.effect_params = effect_params
        self.propensity_params = propensity_params
        self.fast = fast
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ------------------------------------------------------------------ checks

    def _seed(self, *parts: int) -> int:
        return _seed(self.random_state, *parts)

    def _check_X(self, X: Any, *, fitting: bool) -> FloatArray:
        if fitting:
            Xa, names = check_features(X)
            self.feature_names_in_ = np.asarray(names, dtype=object)
            self.n_features_in_ = len(names)
            return Xa
        return check_features(X, list(self.feature_names_in_))[0]

    def _check_fitted(self) -> None:
        check_fitted(
            self,
            "arms_",
            "This TreatmentResponseModel is not fitted yet; call fit(Y, T, X=X) first.",
        )

    def _code(self, arm: Hashable, name: str) -> int:
        return check_arm(self.arms_, arm, name)

    # ------------------------------------------------------------------------ fit

    def fit(
        self,
        Y: Any,
        T: Any,
        *,
        X: Any,
        W: Any = None,
        progress: Callable[[str], None] | None = None,
    ) -> TreatmentResponseModel:
        """Cross-fit the nuisance models and the meta-learners; ``W`` is not supported yet.

        ``progress`` (optional) is called with a short label after each step (CLI progress).
        """
        validate_params(self, MODEL_CONSTRAINTS)
        if W is not None:
            raise ValueError(
                "W (controls) is not supported yet: put confounders in X, which both adjusts "
                "for them and lets effects vary with them"
            )
        step = progress or (lambda _label: None)
        Xa = self._check_X(X, fitting=True)
        checked = check_outcome_and_arms(
            Y, T, len(Xa), self.n_folds, self.outcome_type, self.outcome_direction
        )
        y, codes, counts = checked.y, checked.codes, checked.counts
        self.arms_ = checked.arms
        self.outcome_type_, self.outcome_direction_ = checked.outcome_type, checked.direction
        n, n_arms, binary = len(Xa), len(self.arms_), self.outcome_type_ == "binary"
        ref = int(counts.reindex(self.arms_).to_numpy().argmax())  # the largest arm
        self.reference_ = self.arms_[ref]
        self._ref = ref
        self.x_min_ = np.nanmin(np.where(np.isnan(Xa), np.inf, Xa), axis=0)
        self.x_max_ = np.nanmax(np.where(np.isnan(Xa), -np.inf, Xa), axis=0)
        self.missing_seen_ = np.isnan(Xa).any(axis=0)
        eff_params = params_for("effect", self.effect_params, self.fast)
        arm_names = tuple(str(a) for a in self.arms_)
        cf = CrossFit(
            ref=ref, n_arms=n_arms, binary=binary, n_folds=self.n_folds, trim=self.trim,
            n_jobs=self.n_jobs, random_state=self.random_state, arm_names=arm_names,
            params={
                "outcome": params_for("outcome", self.outcome_params, self.fast),
                "effect": eff_params,
                "additive": additive_params(eff_params),
                "propensity": params_for("propensity", self.propensity_params, self.fast),
            },
        )  # fmt: skip
        folds = list(
            StratifiedKFold(n_splits=self.n_folds, shuffle=True, random_state=self._seed(1)).split(
                Xa, codes
            )
        )
        self.folds_n_ = len(folds)

        # 1. nuisances, cross-fitted; doubly robust pseudo-outcomes
        nuis = crossfit_nuisances(
            Xa, y, codes, folds, n_arms=n_arms, binary=binary,
            outcome_params=cf.params["outcome"], propensity_params=cf.params["propensity"],
            seeds=cf.nuisance_seeds(()), n_jobs=self.n_jobs, empty_arm=cf.empty_arm, step=step,
        )  # fmt: skip
        M, self.outcome_models_, self.propensity_models_ = (
            nuis.M,
            nuis.outcome_models,
            nuis.propensity_models,
        )
        self.propensity_blend_, self.arm_shares_, E_raw = blend_propensity(nuis.E_raw, codes)
        E = clip_propensity(E_raw, self.propensity_clip)
        G = dr_pseudo_outcomes(M, E, y, codes)
        keep = E_raw.min(axis=1) >= self.trim
        if keep.sum() < 2 * self.n_folds * n_arms:
            raise ValueError(
                f"only {int(keep.sum())} rows have every arm propensity >= trim={self.trim}; "
                "the arms barely overlap: lower `trim` or compare fewer arms"
            )
        self._report_overlap(E_raw, codes, arm_names)

        # 2-3. meta-learners, cross-fitted, and their ensemble weights by a causal loss
        D = G - G[:, [ref]]
        fit_all = {"raw_min": E_raw.min(axis=1), "step": step}
        how = {"loss": self.loss, "combine": self.combine}
        if n <= _ensemble.NESTED_ROWS or len(self.learners) == 1:
            oof, self.effect_models_ = crossfit_effects(
                Xa, y, codes, folds, M, E, D, cf, learners=self.learners, nested=True, **fit_all
            )
            w, losses = _ensemble.ensemble_weights(
                oof, y, one_hot(codes, n_arms), M, E, D, keep, cf.others, self.learners, **how
            )
        else:
            # weights from nested cross-fitting on a stratified subsample, then the learners
            # that carry weight cross-fitted on every row (see NESTED_ROWS)
            w, losses = _ensemble.subsample_weights(
                Xa, y, codes, cf, self.learners, clip=self.propensity_clip, step=step, **how
            )
            used = tuple(nm for nm, wi in zip(self.learners, w, strict=True) if wi > 0)
            oof, self.effect_models_ = crossfit_effects(
                Xa, y, codes, folds, M, E, D, cf, learners=used, nested=False, **fit_all
            )
        self.weights_ = {nm: float(wi) for nm, wi in zip(self.learners, w, strict=True)}
        self.cv_loss_ = {nm: float(li) for nm, li in zip(self.learners, losses, strict=True)}
        tau_oof = sum(self.weights_[nm] * oof[nm] for nm in oof)
        assert isinstance(tau_oof, np.ndarray)

        self.policy_evidence_ = policy_evidence(
            M[:, ref], tau_oof, G, keep, ref, arm_names,
            higher_is_better=self.outcome_direction_ == "higher_is_better",
        )  # fmt: skip

        # 4. conformal calibration on out-of-fold residuals; effect groups
        resid = y - (M[:, ref] + tau_oof[np.arange(n), codes])
        self.oof_rmse_ = {
            str(a): float(np.sqrt(np.mean(resid[codes == i] ** 2)))
            for i, a in enumerate(self.arms_)
        }
        cal = calibrate(
            resid, tau_oof, D, codes, keep, binary=binary, rng=np.random.default_rng(self._seed(8))
        )
        self.conformal_, self.effect_conformal_ = cal.outcome, cal.effect
        self.effect_groups_ = cal.groups
        step("conformal calibration")
        self.fit_summary_ = FitSummary(
            n_rows=n, arms=arm_names, reference=str(self.reference_),
            outcome_type=self.outcome_type_, cv_dr_loss=self.cv_loss_, weights=self.weights_,
            oof_rmse_by_arm=self.oof_rmse_, overlap=self.overlap_,
            propensity_blend=self.propensity_blend_,
        )  # fmt: skip
        return self

    def _report_overlap(
        self, E_raw: FloatArray, codes: NDArray[np.int64], arm_names: tuple[str, ...]
    ) -> None:
        self.overlap_ = overlap_report(
            E_raw, codes, arm_names, threshold=self.overlap_threshold, trim=self.trim
        )
        if self.overlap_.share_below_threshold > 0.05:
            warnings.warn(
                f"{self.overlap_.share_below_threshold:.1%} of training rows have an arm "
                f"propensity below {self.overlap_threshold:g}: effects there extrapolate. "
                "Use in_support(X) to flag such patients.",
                OverlapWarning,
                stacklevel=3,
            )

    # ------------------------------------------------------------------ prediction

    def propensity(self, X: Any) -> pd.DataFrame:
        """Probability of receiving each arm given ``X`` (unclipped).

        The fold-averaged model shrunk towards the arm shares by the cross-validated weight
        ``propensity_blend_``.
        """
        self._check_fitted()
        Xa = self._check_X(X, fitting=False)
        return pd.DataFrame(_propensity(self, Xa), columns=self.arms_, index=frame_index(X))

    def _outcomes(self, Xa: FloatArray) -> FloatArray:
        return _predict_outcomes(self, Xa)

    def predict_outcomes(self, X: Any) -> pd.DataFrame:
        """Expected outcome under each arm (probabilities for a binary outcome)."""
        self._check_fitted()
        Xa = self._check_X(X, fitting=False)
        return pd.DataFrame(self._outcomes(Xa), columns=self.arms_, index=frame_index(X))

    def effect(self, X: Any, *, T0: Hashable, T1: Hashable) -> FloatArray:
        """Per-row effect of ``T1`` versus ``T0`` (outcome under T1 minus under T0)."""
        self._check_fitted()
        i, j = self._code(T0, "T0"), self._code(T1, "T1")
        pred = self._outcomes(self._check_X(X, fitting=False))
        return np.asarray(pred[:, j] - pred[:, i], dtype=float)

    def ate(self, X: Any, *, T0: Hashable, T1: Hashable) -> float:
        """Average of the per-row effects of ``T1`` versus ``T0`` over ``X``."""
        return float(np.mean(self.effect(X, T0=T0, T1=T1)))

    def predict_interval(self, X: Any, alpha: float = 0.1) -> dict[Hashable, pd.DataFrame]:
        """Per-arm ``1 - alpha`` prediction intervals for the outcome (columns ``lo``, ``hi``).

        Cross-conformal (CV+ style) with crepes, Mondrian by arm: the interval is the point
        prediction plus the ``1 - alpha`` quantile of that arm's absolute out-of-fold residuals.
        Binary outcomes have no interval (their prediction is already a probability).
        """
        self._check_fitted()
        check_alpha(alpha)
        if self.conformal_ is None:
            raise ValueError(
                "predict_interval is for continuous outcomes; this model predicts "
                "probabilities of a binary outcome (see predict_outcomes)"
            )
        pred = self._outcomes(self._check_X(X, fitting=False))
        idx = frame_index(X)
        bounds = outcome_bounds(self.conformal_, pred, alpha)
        return {
            arm: pd.DataFrame(bounds[a], columns=["lo", "hi"], index=idx)
            for a, arm in enumerate(self.arms_)
        }

    def effect_interval(
        self,
        X: Any,
        *,
        T0: Hashable,
        T1: Hashable,
        alpha: float = 0.1,
        kind: Literal["group", "individual"] = "group",
    ) -> tuple[FloatArray, FloatArray]:
        """``1 - alpha`` interval for the effect of ``T1`` vs ``T0``: ``(lo, hi)`` arrays.

        ``kind="group"`` (default) is a confidence interval for the average effect among
        patients like this one: those whose out-of-fold predicted effect fell in the same
        group (quantile groups of the predicted effect, as many as the data allow with about
        ``MIN_GROUP_ARM_ROWS`` rows of each arm per group, at most ``MAX_EFFECT_GROUPS``;
        GATES, Chernozhukov et al. 2018). A group's effect is the mean of its doubly robust
        pseudo-outcomes on held-out rows with a normal-theory standard error, so the interval
        stays honest where the model is biased; it is widened to include the point
        prediction. One patient's own expected effect is not identified from data beyond such
        averages (the PEHE of any estimator is identified only up to the plug-in's), so this
        interval does not promise to cover it.

        ``kind="individual"`` conformalises doubly robust pseudo-outcomes (crepes) around the
        predicted effect: it covers a noisy unbiased signal of each patient's effect and is
        therefore conservative, often very wide, for that patient's expected effect.
        """
        self._check_fitted()
        check_alpha(alpha)
        if kind not in ("group", "individual"):
            raise ValueError(f"kind must be 'group' or 'individual'; got {kind!r}")
        i, j = self._code(T0, "T0"), self._code(T1, "T1")
        if i == j:
            raise ValueError("T0 and T1 must be different arms")
        pred = self._outcomes(self._check_X(X, fitting=False))
        eff = pred[:, j] - pred[:, i]
        if kind == "individual":
            return individual_bounds(self.effect_conformal_, eff, i, j, alpha)
        return group_bounds(self.effect_groups_, eff, i, j, alpha)

    def in_support(self, X: Any) -> NDArray[np.bool_]:
        """True for rows inside the training support.

        A row is outside when some arm's estimated propensity is below ``overlap_threshold``,
        a feature lies outside its training range, or a feature is missing that was never
        missing in training.
        """
        self._check_fitted()
        Xa = self._check_X(X, fitting=False)
        ok = _propensity(self, Xa).min(axis=1) >= self.overlap_threshold
        nan = np.isnan(Xa)
        inside = nan | ((Xa >= self.x_min_) & (Xa <= self.x_max_))
        inside &= ~(nan & ~self.missing_seen_)
        return np.asarray(ok & inside.all(axis=1))

    # --------------------------------------------------------------- clinical layer

    def pai(self, X: Any, *, a: Hashable, b: Hashable) -> FloatArray:
        """Personalized Advantage Index of arm ``a`` over arm ``b`` (positive favours ``a``).

        DeRubeis et al. 2014 (PLoS One 9:e83875): the predicted outcome difference between two
        treatments for one patient, signed here so that a positive value means ``a`` is
        predicted to be better given ``outcome_direction``.
        """
        diff = self.effect(X, T0=b, T1=a)
        return diff if self.outcome_direction_ == "higher_is_better" else -diff

    def best_arm(
        self,
        X: Any,
        *,
        eligible: pd.DataFrame | None = None,
        policy: str | TreatmentPolicy | None = None,
    ) -> pd.Series:
        """The arm to give per row, among ``eligible`` arms when given.

        ``policy`` is a rule name (``"argmax"``: the predicted best arm; see
        ``ptsdrx.response.POLICIES``) or a :class:`TreatmentPolicy`; by default
        ``DEFAULT_POLICY``, the rule that won on held-out data. ``eligible`` is a boolean
        DataFrame with one column per arm (missing columns count as ineligible); rows with no
        eligible arm get ``None``.
        """
        self._check_fitted()
        if not isinstance(policy, TreatmentPolicy):
            policy = TreatmentPolicy(policy or DEFAULT_POLICY)  # type: ignore[arg-type]
        return policy.choose(self, X, open_arms=eligible)

    def explain(self, X: Any, *, top: int = 5) -> list[PatientExplanation]:
        """Per-row SHAP contributions of the top features to each arm's predicted outcome."""
        self._check_fitted()
        return explain_rows(self, X, top=top)
