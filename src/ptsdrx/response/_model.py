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
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from crepes import ConformalRegressor
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.stats import norm
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

from ptsdrx.response._base_learners import (
    ConstantModel,
    FloatArray,
    Regressor,
    fit_classifier,
    fit_regressor,
    params_for,
    predict_proba_all,
)
from ptsdrx.response._overlap import OverlapReport, OverlapWarning, overlap_report

Learner = Literal["t", "x", "x_add", "dr", "dr_add", "ate", "econml_dr", "econml_x", "econml_cf"]
NATIVE_LEARNERS: tuple[str, ...] = ("t", "x", "x_add", "dr", "dr_add", "ate")
DEFAULT_LEARNERS: tuple[str, ...] = ("t", "x", "x_add", "dr", "ate")
ECONML_LEARNERS: tuple[str, ...] = ("econml_dr", "econml_x", "econml_cf")
CONFORMAL_CAP = 20_000  # calibration residuals kept per arm / pair (random subset)
ADD_TREES, ADD_RATE = 2.0, 1.5  # stumps: twice the trees at 1.5x the default rate
NESTED_ROWS = 40_000  # above this, ensemble weights come from a nested fit on this many rows
PROPENSITY_BLEND_GRID = (0.0, 1.0)  # either/or: partial shrinkage would bias the adjustment
MAX_FIT_ROWS = 200_000  # propensity and DR final-stage models train on at most this many rows
MAX_EFFECT_GROUPS = 10  # predicted-effect groups per arm pair for effect intervals
MIN_GROUP_ARM_ROWS = 30  # each group holds about this many rows of each arm, at least

# name -> (check, "what is allowed"): the declarative table fit() validates against.
_CONSTRAINTS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "learners": (
        lambda v: (
            isinstance(v, Sequence)
            and not isinstance(v, str)
            and len(v) > 0
            and len(set(v)) == len(v)
            and all(x in NATIVE_LEARNERS + ECONML_LEARNERS for x in v)
        ),
        f"a non-empty sequence of distinct names from {NATIVE_LEARNERS + ECONML_LEARNERS}",
    ),
    "combine": (lambda v: v in ("stack", "select"), "'stack' or 'select'"),
    "loss": (lambda v: v in ("r", "dr"), "'r' or 'dr'"),
    "n_folds": (lambda v: isinstance(v, int) and 2 <= v <= 20, "an integer from 2 to 20"),
    "outcome_type": (
        lambda v: v in ("auto", "continuous", "binary"),
        "'auto', 'continuous' or 'binary'",
    ),
    "outcome_direction": (
        lambda v: v in ("auto", "lower_is_better", "higher_is_better"),
        "'auto', 'lower_is_better' or 'higher_is_better'",
    ),
    "propensity_clip": (
        lambda v: isinstance(v, float | int) and 0 < v < 0.5,
        "a number in (0, 0.5)",
    ),
    "trim": (lambda v: isinstance(v, float | int) and 0 <= v < 0.5, "a number in [0, 0.5)"),
    "overlap_threshold": (
        lambda v: isinstance(v, float | int) and 0 <= v < 0.5,
        "a number in [0, 0.5)",
    ),
    "outcome_params": (lambda v: v is None or isinstance(v, dict), "None or a dict"),
    "effect_params": (lambda v: v is None or isinstance(v, dict), "None or a dict"),
    "propensity_params": (lambda v: v is None or isinstance(v, dict), "None or a dict"),
    "fast": (lambda v: isinstance(v, bool), "True or False"),
    "n_jobs": (lambda v: isinstance(v, int) and v != 0, "a non-zero integer"),
    "random_state": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "a non-negative integer",
    ),
}


@dataclass(frozen=True)
class _FitContext:
    """Settings shared by the cross-fitting steps of one ``fit``."""

    ref: int
    others: list[int]
    eff_params: dict[str, Any]
    add_params: dict[str, Any]
    nuis: dict[str, Any]
    nuis_params: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class FitSummary:
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

    def summary(self) -> str:
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
            f"{self.overlap.summary()}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        d["overlap"] = self.overlap.to_dict()
        return d


def additive_params(effect: dict[str, Any]) -> dict[str, Any]:
    """Effect-model parameters of the ``_add`` learners: boosted stumps, an additive model.

    Stumps (two leaves) cannot form interactions, so they fit effects that add up over
    features with less variance; ten trees for every three of the default keep the same
    learning rate.
    """
    return {
        **effect,
        "num_leaves": 2,
        "n_estimators": int(effect["n_estimators"] * ADD_TREES),
        "learning_rate": min(0.3, effect["learning_rate"] * ADD_RATE),
    }


def _sorted_arms(labels: Iterable[Hashable]) -> list[Hashable]:
    uniq = list(dict.fromkeys(labels))
    try:
        return sorted(uniq)  # type: ignore[type-var]
    except TypeError:
        return sorted(uniq, key=str)


def _stack_weights(target: FloatArray, candidates: FloatArray) -> FloatArray:
    """Non-negative weights summing to one minimising squared error (SLSQP)."""
    k = candidates.shape[1]
    if k == 1:
        return np.ones(1)
    gram = candidates.T @ candidates / len(target)
    cross = candidates.T @ target / len(target)

    def loss(w: FloatArray) -> float:
        return float(w @ gram @ w - 2 * w @ cross)

    res = minimize(
        loss,
        np.full(k, 1.0 / k),
        jac=lambda w: 2 * gram @ w - 2 * cross,
        bounds=[(0.0, 1.0)] * k,
        constraints=({"type": "eq", "fun": lambda w: w.sum() - 1.0},),
        method="SLSQP",
    )
    w = np.clip(res.x, 0, None)
    w[w < 0.01] = 0.0  # prune negligible learners: faster fitting and scoring
    return np.asarray(w / w.sum(), dtype=float)


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
        LightGBM threads per model.
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

    # ------------------------------------------------------------------ validation

    def _validate_params(self) -> None:
        for name, (ok, allowed) in _CONSTRAINTS.items():
            value = getattr(self, name)
            if not ok(value):
                raise ValueError(
                    f"TreatmentResponseModel parameter {name!r} must be {allowed}; got {value!r}"
                )

    def _seed(self, *parts: int) -> int:
        seq = np.random.SeedSequence([self.random_state, *parts])
        return int(seq.generate_state(1)[0] % (2**31 - 1))

    def _check_X(self, X: Any, *, fitting: bool) -> FloatArray:
        if not isinstance(X, pd.DataFrame):
            arr = np.asarray(X)
            if arr.ndim != 2:
                raise ValueError(f"X must be a 2-D table of features; got shape {arr.shape}")
            X = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
        if X.shape[1] == 0:
            raise ValueError("X must have at least one feature column")
        bad = [str(c) for c in X.columns if not pd.api.types.is_numeric_dtype(X[c].dtype)]
        if bad:
            raise ValueError(
                f"X columns must be numeric (NaN allowed for missing); not numeric: {bad}"
            )
        names = [str(c) for c in X.columns]
        if fitting:
            self.feature_names_in_ = np.asarray(names, dtype=object)
            self.n_features_in_ = len(names)
        else:
            expected = list(self.feature_names_in_)
            if names != expected:
                missing = [c for c in expected if c not in names]
                extra = [c for c in names if c not in expected]
                if missing or extra:
                    raise ValueError(
                        f"X columns differ from those seen in fit: missing {missing}, "
                        f"unexpected {extra}"
                    )
                X = X[expected]
        arr = X.to_numpy(dtype=float, na_value=np.nan)
        if np.isinf(arr).any():
            cols = [names[j] for j in np.where(np.isinf(arr).any(axis=0))[0]]
            raise ValueError(f"X has infinite values in columns {cols}; use NaN for missing")
        return np.ascontiguousarray(arr)

    def _check_fitted(self) -> None:
        if not hasattr(self, "arms_"):
            raise NotFittedError(
                "This TreatmentResponseModel is not fitted yet; call fit(Y, T, X=X) first."
            )

    def _code(self, arm: Hashable, name: str) -> int:
        try:
            return self.arms_.index(arm)
        except ValueError:
            raise ValueError(
                f"{name}={arm!r} is not an arm of this model; arms: {self.arms_}"
            ) from None

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
        self._validate_params()
        if W is not None:
            raise ValueError(
                "W (controls) is not supported yet: put confounders in X, which both adjusts "
                "for them and lets effects vary with them"
            )
        step = progress or (lambda _label: None)
        Xa = self._check_X(X, fitting=True)
        y = np.asarray(Y, dtype=float).ravel()
        labels = np.asarray(T, dtype=object).ravel()
        n = len(Xa)
        if len(y) != n or len(labels) != n:
            raise ValueError(f"Y ({len(y)}), T ({len(labels)}) and X ({n}) must have equal length")
        if np.isnan(y).any() or np.isinf(y).any():
            raise ValueError(
                f"Y has {int((~np.isfinite(y)).sum())} missing or infinite values; drop those rows"
            )
        if any(v is None or (isinstance(v, float) and np.isnan(v)) for v in labels):
            raise ValueError("T has missing labels; every row needs the arm it received")
        arms = _sorted_arms(labels.tolist())
        if len(arms) < 2:
            raise ValueError(f"T must contain at least two arms; got {arms}")
        counts = pd.Series(labels).value_counts()
        small = {str(a): int(c) for a, c in counts.items() if c < 2 * self.n_folds}
        if small:
            raise ValueError(
                f"each arm needs at least {2 * self.n_folds} rows (2 per fold); too few: {small}"
            )
        values = set(np.unique(y).tolist())
        if self.outcome_type == "binary" and not values <= {0.0, 1.0}:
            raise ValueError("outcome_type='binary' needs Y coded 0/1")
        binary = self.outcome_type == "binary" or (
            self.outcome_type == "auto" and values <= {0.0, 1.0}
        )
        self.outcome_type_ = "binary" if binary else "continuous"
        direction = self.outcome_direction
        if direction == "auto":
            direction = "higher_is_better" if binary else "lower_is_better"
        self.outcome_direction_ = direction
        self.arms_ = arms
        lookup = {a: i for i, a in enumerate(arms)}
        codes = np.fromiter((lookup[v] for v in labels), dtype=np.int64, count=n)
        n_arms = len(arms)
        ref = int(counts.reindex(arms).to_numpy().argmax())  # the largest arm
        self.reference_ = arms[ref]
        self._ref = ref

        self.x_min_ = np.nanmin(np.where(np.isnan(Xa), np.inf, Xa), axis=0)
        self.x_max_ = np.nanmax(np.where(np.isnan(Xa), -np.inf, Xa), axis=0)
        self.missing_seen_ = np.isnan(Xa).any(axis=0)

        out_params = params_for("outcome", self.outcome_params, self.fast)
        eff_params = params_for("effect", self.effect_params, self.fast)
        add_params = additive_params(eff_params)
        prop_params = params_for("propensity", self.propensity_params, self.fast)
        folds = list(
            StratifiedKFold(n_splits=self.n_folds, shuffle=True, random_state=self._seed(1)).split(
                Xa, codes
            )
        )
        self.folds_n_ = len(folds)

        # 1. nuisances, cross-fitted
        nuis: dict[str, Any] = {
            "binary": binary,
            "out_params": out_params,
            "prop_params": prop_params,
            "n_arms": n_arms,
        }
        M, E_raw, self.outcome_models_, self.propensity_models_ = self._nuisances(
            Xa, y, codes, folds, tag=(), step=step, **nuis
        )
        self.propensity_blend_, self.arm_shares_, E_raw = _blend_propensity(E_raw, codes)
        E = self._clip(E_raw)
        onehot = np.zeros((n, n_arms))
        onehot[np.arange(n), codes] = 1.0
        G = M + onehot * (y[:, None] - M) / E
        keep = E_raw.min(axis=1) >= self.trim
        if keep.sum() < 2 * self.n_folds * n_arms:
            raise ValueError(
                f"only {int(keep.sum())} rows have every arm propensity >= trim={self.trim}; "
                "the arms barely overlap: lower `trim` or compare fewer arms"
            )
        arm_names = tuple(str(a) for a in arms)
        self.overlap_ = overlap_report(
            E_raw, codes, arm_names, threshold=self.overlap_threshold, trim=self.trim
        )
        if self.overlap_.share_below_threshold > 0.05:
            warnings.warn(
                f"{self.overlap_.share_below_threshold:.1%} of training rows have an arm "
                f"propensity below {self.overlap_threshold:g}: effects there extrapolate. "
                "Use in_support(X) to flag such patients.",
                OverlapWarning,
                stacklevel=2,
            )

        # 2-3. meta-learners, cross-fitted, and their ensemble weights by a causal loss
        D = G - G[:, [ref]]
        ctx = _FitContext(
            ref=ref,
            others=[a for a in range(n_arms) if a != ref],
            eff_params=eff_params,
            add_params=add_params,
            nuis=nuis,
            nuis_params={"outcome": out_params, "effect": eff_params, "propensity": prop_params},
        )
        if n <= NESTED_ROWS or len(self.learners) == 1:
            oof, self.effect_models_ = self._crossfit_effects(
                Xa,
                y,
                codes,
                folds,
                M,
                E,
                D,
                ctx,
                raw_min=E_raw.min(axis=1),
                learners=self.learners,
                nested=True,
                step=step,
            )
            w, losses = self._ensemble(oof, y, onehot, M, E, D, keep, ctx, self.learners)
        else:
            # weights from nested cross-fitting on a stratified subsample, then the learners
            # that carry weight cross-fitted on every row (see NESTED_ROWS)
            w, losses = self._subsample_weights(Xa, y, codes, ctx, step)
            used = tuple(nm for nm, wi in zip(self.learners, w, strict=True) if wi > 0)
            oof, self.effect_models_ = self._crossfit_effects(
                Xa,
                y,
                codes,
                folds,
                M,
                E,
                D,
                ctx,
                raw_min=E_raw.min(axis=1),
                learners=used,
                nested=False,
                step=step,
            )
        self.weights_ = {nm: float(wi) for nm, wi in zip(self.learners, w, strict=True)}
        self.cv_loss_ = {nm: float(li) for nm, li in zip(self.learners, losses, strict=True)}
        tau_oof = sum(self.weights_[nm] * oof[nm] for nm in oof)
        assert isinstance(tau_oof, np.ndarray)

        # 4. conformal calibration on out-of-fold residuals
        rng = np.random.default_rng(self._seed(8))
        yhat = M[:, ref] + tau_oof[np.arange(n), codes]
        resid = y - yhat
        self.oof_rmse_ = {
            str(a): float(np.sqrt(np.mean(resid[codes == i] ** 2))) for i, a in enumerate(arms)
        }
        self.conformal_: ConformalRegressor | None = None
        if not binary:
            cal = np.concatenate([_cap(np.where(codes == a)[0], rng) for a in range(n_arms)])
            self.conformal_ = ConformalRegressor().fit(resid[cal], bins=codes[cal])
        self.effect_conformal_: dict[str, ConformalRegressor] = {}
        kept = np.where(keep)[0]
        for i in range(n_arms):
            for j in range(i + 1, n_arms):
                rows = _cap(kept, rng)
                r = (D[rows, j] - D[rows, i]) - (tau_oof[rows, j] - tau_oof[rows, i])
                self.effect_conformal_[f"{i}|{j}"] = ConformalRegressor().fit(r)
        self.effect_groups_ = _effect_groups(tau_oof[keep], D[keep], codes[keep], n_arms)
        step("conformal calibration")
        self.fit_summary_ = FitSummary(
            n_rows=n,
            arms=arm_names,
            reference=str(self.reference_),
            outcome_type=self.outcome_type_,
            cv_dr_loss=self.cv_loss_,
            weights=self.weights_,
            oof_rmse_by_arm=self.oof_rmse_,
            overlap=self.overlap_,
            propensity_blend=self.propensity_blend_,
        )
        return self

    def _crossfit_effects(
        self,
        Xa: FloatArray,
        y: FloatArray,
        codes: NDArray[np.int64],
        folds: list[tuple[NDArray[np.int64], NDArray[np.int64]]],
        M: FloatArray,
        E: FloatArray,
        D: FloatArray,
        ctx: _FitContext,
        *,
        raw_min: FloatArray,
        learners: Sequence[str],
        nested: bool,
        step: Callable[[str], None] | None,
    ) -> tuple[dict[str, FloatArray], dict[str, list[dict[str, Any]]]]:
        """Out-of-fold effects of every learner and the fold models behind them.

        ``nested``: the rows a fold's learners train on get outcome nuisances cross-fitted
        within those rows only, so no learner has seen, through a nuisance, the outcomes of
        the held-out rows it is scored on (propensities stay the outer ones: they carry
        no outcome). Otherwise the learners train on the outer cross-fitted nuisances.
        """
        n, n_arms = M.shape
        oof = {name: np.zeros((n, n_arms)) for name in learners}
        models: dict[str, list[dict[str, Any]]] = {name: [] for name in learners}
        for k, (tr, te) in enumerate(folds):
            if nested:
                inner = list(
                    StratifiedKFold(
                        n_splits=max(2, self.n_folds - 1),
                        shuffle=True,
                        random_state=self._seed(9, k),
                    ).split(tr, codes[tr])
                )
                M_tr, _, _, _ = self._nuisances(
                    Xa[tr],
                    y[tr],
                    codes[tr],
                    inner,
                    tag=(k,),
                    step=None,
                    **ctx.nuis,
                    propensity=False,
                )
                onehot_tr = np.zeros((len(tr), n_arms))
                onehot_tr[np.arange(len(tr)), codes[tr]] = 1.0
                G_tr = M_tr + onehot_tr * (y[tr, None] - M_tr) / E[tr]
                D_tr = G_tr - G_tr[:, [ctx.ref]]
            else:
                M_tr, D_tr = M[tr], D[tr]
            keep = raw_min[tr] >= self.trim
            for name in learners:
                additive = name.endswith("_add")
                fitted, tau_te = self._fit_learner(
                    name,
                    name.removesuffix("_add"),
                    ctx.add_params if additive else ctx.eff_params,
                    10 if additive else 0,
                    k,
                    Xa[tr],
                    y[tr],
                    codes[tr],
                    M_tr,
                    D_tr,
                    keep,
                    Xa[te],
                    M[te],
                    E[te],
                    ref=ctx.ref,
                    others=ctx.others,
                    nuis_params=ctx.nuis_params,
                )
                oof[name][te] = tau_te
                models[name].append(fitted)
            if step is not None:
                step(f"effect learners fold {k + 1}/{len(folds)}")
        return oof, models

    def _ensemble(
        self,
        oof: dict[str, FloatArray],
        y: FloatArray,
        onehot: FloatArray,
        M: FloatArray,
        E: FloatArray,
        D: FloatArray,
        keep: NDArray[np.bool_],
        ctx: _FitContext,
        learners: Sequence[str],
    ) -> tuple[FloatArray, FloatArray]:
        """Ensemble weights and per-learner losses by the cross-validated causal loss."""
        if self.loss == "dr":
            target = D[keep][:, ctx.others].ravel()
            cand = np.column_stack([oof[nm][keep][:, ctx.others].ravel() for nm in learners])
        else:  # R-loss: Y - m(x) = sum_a (1[T=a] - e_a(x)) tau_a(x) + noise (Nie & Wager 2021)
            resid_t = (onehot - E)[keep]
            target = (y - (E * M).sum(axis=1))[keep]
            cand = np.column_stack([(resid_t * oof[nm][keep]).sum(axis=1) for nm in learners])
        losses = ((cand - target[:, None]) ** 2).mean(axis=0)
        if self.combine == "select":
            w = np.zeros(len(learners))
            w[int(losses.argmin())] = 1.0
        else:
            w = _stack_weights(target, cand)
        return w, losses

    def _subsample_weights(
        self,
        Xa: FloatArray,
        y: FloatArray,
        codes: NDArray[np.int64],
        ctx: _FitContext,
        step: Callable[[str], None],
    ) -> tuple[FloatArray, FloatArray]:
        """Ensemble weights from nested cross-fitting on ``NESTED_ROWS`` stratified rows."""
        sub, _ = next(
            StratifiedShuffleSplit(
                n_splits=1, train_size=NESTED_ROWS, random_state=self._seed(10)
            ).split(Xa, codes)
        )
        sub = np.sort(sub)
        Xs, ys, cs = Xa[sub], y[sub], codes[sub]
        folds = list(
            StratifiedKFold(n_splits=self.n_folds, shuffle=True, random_state=self._seed(11)).split(
                Xs, cs
            )
        )
        M, E_raw, _, _ = self._nuisances(Xs, ys, cs, folds, tag=(99,), step=None, **ctx.nuis)
        E_raw = _blend_propensity(E_raw, cs)[2]
        E = self._clip(E_raw)
        onehot = np.zeros((len(sub), E.shape[1]))
        onehot[np.arange(len(sub)), cs] = 1.0
        G = M + onehot * (ys[:, None] - M) / E
        D = G - G[:, [ctx.ref]]
        raw_min = E_raw.min(axis=1)
        oof, _ = self._crossfit_effects(
            Xs,
            ys,
            cs,
            folds,
            M,
            E,
            D,
            ctx,
            raw_min=raw_min,
            learners=self.learners,
            nested=True,
            step=None,
        )
        keep = raw_min >= self.trim
        step("ensemble weights on a subsample")
        return self._ensemble(oof, ys, onehot, M, E, D, keep, ctx, self.learners)

    def _nuisances(
        self,
        Xa: FloatArray,
        y: FloatArray,
        codes: NDArray[np.int64],
        folds: list[tuple[NDArray[np.int64], NDArray[np.int64]]],
        *,
        binary: bool,
        out_params: dict[str, Any],
        prop_params: dict[str, Any],
        n_arms: int,
        tag: tuple[int, ...],
        step: Callable[[str], None] | None,
        propensity: bool = True,
    ) -> tuple[FloatArray, FloatArray, list[list[Regressor]], list[Any]]:
        """Out-of-fold outcome means per arm and (with ``propensity``) arm propensities over
        ``folds`` of these rows; without ``propensity`` the second array is all NaN."""
        n = len(Xa)
        M = np.empty((n, n_arms))
        E_raw = np.full((n, n_arms), np.nan)
        outcome_models: list[list[Regressor]] = []
        propensity_models: list[Any] = []
        for k, (tr, te) in enumerate(folds):
            fold_models: list[Regressor] = []
            for a in range(n_arms):
                idx = tr[codes[tr] == a]
                if len(idx) == 0:
                    raise ValueError(
                        f"arm {self.arms_[a]!r} has too few rows for nested cross-fitting; "
                        "it needs rows in every fold"
                    )
                m = fit_regressor(
                    Xa[idx],
                    y[idx],
                    binary=binary,
                    params=out_params,
                    seed=self._seed(2, *tag, k, a),
                    n_jobs=self.n_jobs,
                )
                M[te, a] = m.predict(Xa[te])
                fold_models.append(m)
            outcome_models.append(fold_models)
            if not propensity:
                continue
            fit_rows = _limit(tr, self._seed(12, *tag, k))
            p = fit_classifier(
                Xa[fit_rows],
                codes[fit_rows],
                n_classes=n_arms,
                params=prop_params,
                seed=self._seed(3, *tag, k),
                n_jobs=self.n_jobs,
            )
            E_raw[te] = predict_proba_all(p, Xa[te], n_arms)
            propensity_models.append(p)
            if step is not None:
                step(f"nuisance fold {k + 1}/{len(folds)}")
        return M, E_raw, outcome_models, propensity_models

    def _fit_learner(
        self,
        name: str,
        method: str,
        params: dict[str, Any],
        tag: int,
        k: int,
        X_tr: FloatArray,
        y_tr: FloatArray,
        codes_tr: NDArray[np.int64],
        M_tr: FloatArray,
        D_tr: FloatArray,
        keep_tr: NDArray[np.bool_],
        X_te: FloatArray,
        M_te: FloatArray,
        E_te: FloatArray,
        *,
        ref: int,
        others: list[int],
        nuis_params: dict[str, dict[str, Any]],
    ) -> tuple[dict[str, Any], FloatArray]:
        """Fit one meta-learner on a fold's training rows; its effects on the held-out rows.

        ``M_tr``/``D_tr`` are nuisances and pseudo-outcomes fitted within the training rows;
        ``M_te``/``E_te`` the held-out rows' cross-fitted nuisances.
        """
        tau = np.zeros((len(X_te), M_te.shape[1]))
        fitted: dict[str, Any] = {}
        if method == "t":
            tau = M_te - M_te[:, [ref]]
        elif method == "ate":
            for a in others:
                fitted[f"ate{a}"] = ConstantModel(float(D_tr[keep_tr, a].mean()))
                tau[:, a] = fitted[f"ate{a}"].value
        elif method == "dr":
            rows = _limit(np.flatnonzero(keep_tr), self._seed(13, k))
            for a in others:
                m = fit_regressor(
                    X_tr[rows],
                    D_tr[rows, a],
                    binary=False,
                    params=params,
                    seed=self._seed(4 + tag, k, a),
                    n_jobs=self.n_jobs,
                )
                fitted[f"dr{a}"] = m
                tau[:, a] = m.predict(X_te)
        elif method == "x":
            g = E_te[:, others] / (E_te[:, others] + E_te[:, [ref]])
            for j, a in enumerate(others):
                t1, t0 = codes_tr == a, codes_tr == ref
                m1 = fit_regressor(
                    X_tr[t1],
                    y_tr[t1] - M_tr[t1, ref],
                    binary=False,
                    params=params,
                    seed=self._seed(5 + tag, k, a),
                    n_jobs=self.n_jobs,
                )
                m0 = fit_regressor(
                    X_tr[t0],
                    M_tr[t0, a] - y_tr[t0],
                    binary=False,
                    params=params,
                    seed=self._seed(6 + tag, k, a),
                    n_jobs=self.n_jobs,
                )
                fitted[f"x1_{a}"], fitted[f"x0_{a}"] = m1, m0
                tau[:, a] = g[:, j] * m0.predict(X_te) + (1 - g[:, j]) * m1.predict(X_te)
        else:
            from ptsdrx.response._econml import EconmlLearner

            est = EconmlLearner(
                name, seed=self._seed(7, k), n_jobs=self.n_jobs, params=nuis_params
            ).fit(y_tr, codes_tr, X_tr)
            fitted["est"] = est
            for a in others:
                tau[:, a] = est.effect(X_te, T0=ref, T1=a)
        return fitted, tau

    def _clip(self, E: FloatArray) -> FloatArray:
        E = np.clip(E, self.propensity_clip, 1.0)
        return np.asarray(E / E.sum(axis=1, keepdims=True), dtype=float)

    # ------------------------------------------------------------------ prediction

    def propensity(self, X: Any) -> pd.DataFrame:
        """Probability of receiving each arm given ``X`` (unclipped): the fold-averaged model
        shrunk towards the arm shares by the cross-validated weight ``propensity_blend_``."""
        self._check_fitted()
        Xa = self._check_X(X, fitting=False)
        return pd.DataFrame(self._propensity(Xa), columns=self.arms_, index=_index(X))

    def _propensity(self, Xa: FloatArray) -> FloatArray:
        lam, shares = self.propensity_blend_, self.arm_shares_
        if lam == 0.0:  # the arm shares won: no model to evaluate
            return np.tile(shares, (len(Xa), 1))
        n_arms = len(self.arms_)
        probs = [predict_proba_all(p, Xa, n_arms) for p in self.propensity_models_]
        return np.asarray(lam * np.mean(probs, axis=0) + (1 - lam) * shares, dtype=float)

    def _terms(self, Xa: FloatArray) -> list[list[tuple[FloatArray | float, Any]]]:
        """Each arm's prediction as a sum of ``coefficient * model(x)`` terms.

        One representation drives both ``predict_outcomes`` and the SHAP explanations, so the
        explanation always adds up to the prediction.
        """
        ref, K = self._ref, self.folds_n_
        n_arms = len(self.arms_)
        needs_g = self.weights_.get("x", 0.0) > 0 or self.weights_.get("x_add", 0.0) > 0
        g_all = self._clip(self._propensity(Xa)) if needs_g else None
        base = [(1.0 / K, fm[ref]) for fm in self.outcome_models_]
        out: list[list[tuple[FloatArray | float, Any]]] = []
        for a in range(n_arms):
            terms: list[tuple[FloatArray | float, Any]] = list(base)
            if a != ref:
                for name, w in self.weights_.items():
                    if w == 0:
                        continue
                    for k, fitted in enumerate(self.effect_models_[name]):
                        if name == "t":
                            terms.append((w / K, self.outcome_models_[k][a]))
                            terms.append((-w / K, self.outcome_models_[k][ref]))
                        elif name in ("dr", "dr_add", "ate"):
                            terms.append((w / K, fitted[f"{name.removesuffix('_add')}{a}"]))
                        elif name in ("x", "x_add"):
                            assert g_all is not None
                            g = g_all[:, a] / (g_all[:, a] + g_all[:, ref])
                            terms.append((w / K * g, fitted[f"x0_{a}"]))
                            terms.append((w / K * (1 - g), fitted[f"x1_{a}"]))
                        else:
                            from ptsdrx.response._econml import EffectAdapter

                            terms.append((w / K, EffectAdapter(fitted["est"], ref, a)))
            out.append(terms)
        return out

    def _outcomes(self, Xa: FloatArray) -> FloatArray:
        cache: dict[int, FloatArray] = {}
        terms = self._terms(Xa)
        pred = np.zeros((len(Xa), len(self.arms_)))
        for a, arm_terms in enumerate(terms):
            for coef, model in arm_terms:
                key = id(model)
                if key not in cache:
                    cache[key] = np.asarray(model.predict(Xa), dtype=float)
                pred[:, a] += coef * cache[key]
        if self.outcome_type_ == "binary":
            pred = np.clip(pred, 0.0, 1.0)
        return pred

    def predict_outcomes(self, X: Any) -> pd.DataFrame:
        """Expected outcome under each arm (probabilities for a binary outcome)."""
        self._check_fitted()
        Xa = self._check_X(X, fitting=False)
        return pd.DataFrame(self._outcomes(Xa), columns=self.arms_, index=_index(X))

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
        _check_alpha(alpha)
        if self.conformal_ is None:
            raise ValueError(
                "predict_interval is for continuous outcomes; this model predicts "
                "probabilities of a binary outcome (see predict_outcomes)"
            )
        Xa = self._check_X(X, fitting=False)
        pred = self._outcomes(Xa)
        idx = _index(X)
        out: dict[Hashable, pd.DataFrame] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for a, arm in enumerate(self.arms_):
                iv = self.conformal_.predict_int(
                    pred[:, a], bins=np.full(len(Xa), a), confidence=1 - alpha
                )
                out[arm] = pd.DataFrame(iv, columns=["lo", "hi"], index=idx)
        return out

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
        _check_alpha(alpha)
        if kind not in ("group", "individual"):
            raise ValueError(f"kind must be 'group' or 'individual'; got {kind!r}")
        i, j = self._code(T0, "T0"), self._code(T1, "T1")
        if i == j:
            raise ValueError("T0 and T1 must be different arms")
        pred = self._outcomes(self._check_X(X, fitting=False))
        eff = pred[:, j] - pred[:, i]
        lo_i, hi_i = min(i, j), max(i, j)
        sign = 1.0 if (lo_i, hi_i) == (i, j) else -1.0
        if kind == "individual":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                iv = self.effect_conformal_[f"{lo_i}|{hi_i}"].predict_int(
                    sign * eff, confidence=1 - alpha
                )
            lo, hi = sign * iv[:, 0], sign * iv[:, 1]
            return np.minimum(lo, hi), np.maximum(lo, hi)
        return self._group_bounds(eff, i, j, alpha)

    def _group_bounds(
        self, eff: FloatArray, i: int, j: int, alpha: float
    ) -> tuple[FloatArray, FloatArray]:
        """Group confidence bounds for predicted effects ``eff`` of arm ``j`` vs arm ``i``."""
        sign = 1.0 if i < j else -1.0
        groups = self.effect_groups_[f"{min(i, j)}|{max(i, j)}"]
        g = np.searchsorted(groups["cuts"], sign * eff, side="right")
        z = float(norm.ppf(1 - alpha / 2))
        theta, se = groups["theta"][g], groups["se"][g]
        lo, hi = sign * (theta - z * se), sign * (theta + z * se)
        lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
        return np.minimum(lo, eff), np.maximum(hi, eff)

    def in_support(self, X: Any) -> NDArray[np.bool_]:
        """True for rows inside the training support.

        A row is outside when some arm's estimated propensity is below ``overlap_threshold``,
        a feature lies outside its training range, or a feature is missing that was never
        missing in training.
        """
        self._check_fitted()
        Xa = self._check_X(X, fitting=False)
        ok = self._propensity(Xa).min(axis=1) >= self.overlap_threshold
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

    def best_arm(self, X: Any, *, eligible: pd.DataFrame | None = None) -> pd.Series:
        """The predicted best arm per row, among ``eligible`` arms when given.

        ``eligible`` is a boolean DataFrame with one column per arm (missing columns count as
        ineligible); rows with no eligible arm get ``None``.
        """
        pred = self.predict_outcomes(X)
        if self.outcome_direction_ == "lower_is_better":
            pred = -pred
        if eligible is not None:
            mask = eligible.reindex(columns=pred.columns, fill_value=False).astype(bool)
            mask.index = pred.index
            pred = pred.where(mask)
        result = pd.Series([None] * len(pred), index=pred.index, dtype=object)
        has = pred.notna().any(axis=1)
        if has.any():
            result[has] = pred[has].idxmax(axis=1)
        return result

    def explain(self, X: Any, *, top: int = 5) -> list[Any]:
        """Per-row SHAP contributions of the top features to each arm's predicted outcome."""
        from ptsdrx.response._explain import explain_rows

        self._check_fitted()
        return explain_rows(self, X, top=top)


def _effect_groups(
    tau: FloatArray, D: FloatArray, codes: NDArray[np.int64], n_arms: int
) -> dict[str, dict[str, FloatArray]]:
    """Per arm pair ``i<j``: quantile groups of the out-of-fold predicted effect of ``j`` vs
    ``i``, with each group's doubly robust mean effect and its standard error.

    ``tau`` are out-of-fold effects and ``D`` pseudo-outcomes, both against the reference arm,
    so ``D[:, j] - D[:, i]`` is an unbiased signal of the effect of ``j`` vs ``i``.
    """
    counts = np.bincount(codes, minlength=n_arms)
    out: dict[str, dict[str, FloatArray]] = {}
    for i in range(n_arms):
        for j in range(i + 1, n_arms):
            pred = tau[:, j] - tau[:, i]
            signal = D[:, j] - D[:, i]
            n_groups = int(
                np.clip(min(counts[i], counts[j]) // MIN_GROUP_ARM_ROWS, 1, MAX_EFFECT_GROUPS)
            )
            while True:  # fewer groups until each holds enough rows of both arms
                cuts = np.unique(np.quantile(pred, np.linspace(0, 1, n_groups + 1)[1:-1]))
                g = np.searchsorted(cuts, pred, side="right")
                k = len(cuts) + 1
                least = min(
                    np.bincount(g[codes == i], minlength=k).min(),
                    np.bincount(g[codes == j], minlength=k).min(),
                )
                if n_groups == 1 or least >= MIN_GROUP_ARM_ROWS // 3:
                    break
                n_groups -= 1
            size = np.bincount(g, minlength=k).astype(float)
            mean = np.bincount(g, weights=signal, minlength=k) / np.maximum(size, 1)
            sq = np.bincount(g, weights=(signal - mean[g]) ** 2, minlength=k)
            se = np.sqrt(sq / np.maximum(size - 1, 1) / np.maximum(size, 1))
            out[f"{i}|{j}"] = {"cuts": cuts, "theta": mean, "se": se, "size": size}
    return out


def _blend_propensity(
    E_raw: FloatArray, codes: NDArray[np.int64]
) -> tuple[float, FloatArray, FloatArray]:
    """The arm shares instead of the boosted propensities when they predict the arms better.

    ``lam * model + (1 - lam) * shares`` with ``lam`` on ``PROPENSITY_BLEND_GRID`` (0 or 1),
    chosen by the out-of-fold log-likelihood of the arms received. In a randomized trial the
    boosted model only adds noise (with many arms it put a third of rows below the overlap
    threshold), so the shares win and every row keeps the design's propensities; with
    confounding the model wins. Partial shrinkage is not offered: it would leave part of the
    confounding unadjusted. Returns ``(lam, shares, blended)``.
    """
    shares = np.bincount(codes, minlength=E_raw.shape[1]) / len(codes)
    rows = np.arange(len(codes))
    best: tuple[float, float] = (-np.inf, 1.0)
    for lam in PROPENSITY_BLEND_GRID:
        p = lam * E_raw[rows, codes] + (1 - lam) * shares[codes]
        ll = float(np.mean(np.log(np.clip(p, 1e-12, 1.0))))
        if ll > best[0] + 1e-12:
            best = (ll, lam)
    lam = best[1]
    return lam, shares, lam * E_raw + (1 - lam) * shares


def _limit(rows: NDArray[np.int64], seed: int) -> NDArray[np.int64]:
    """At most ``MAX_FIT_ROWS`` of ``rows`` (a seeded random subset, in order).

    Used for the models that see a whole fold (propensity, DR final stage): beyond a few
    hundred thousand rows they gain little accuracy and cost most of a million-row fit.
    """
    if len(rows) <= MAX_FIT_ROWS:
        return rows
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(rows, MAX_FIT_ROWS, replace=False))


def _cap(rows: NDArray[np.int64], rng: np.random.Generator) -> NDArray[np.int64]:
    if len(rows) <= CONFORMAL_CAP:
        return rows
    return np.sort(rng.choice(rows, CONFORMAL_CAP, replace=False))


def _index(X: Any) -> pd.Index:
    return X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(X))


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha!r}")
