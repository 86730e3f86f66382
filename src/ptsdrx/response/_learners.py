"""The meta-learners, one small class each, and the engine that cross-fits them.

Every learner estimates the effect of each arm against the reference arm. A learner is a
strategy object: :meth:`MetaLearner.fit` trains on one fold's rows and returns its fitted
models (a dict saved with the model) and its effects on the held-out rows;
:meth:`MetaLearner.terms` says how those models add up to an arm's prediction, the one
representation behind ``predict_outcomes``, SHAP explanations and the compact scorer.

- ``t``: T-learner, differences of the per-arm outcome models;
- ``x`` / ``x_add``: X-learner (Kuenzel et al. 2019, PNAS 116:4156), default or boosted-stump
  effect models, combined by the propensity of the two arms;
- ``dr`` / ``dr_add``: DR-learner, a regression of ``G_a - G_ref`` on ``x``;
- ``ate``: the constant doubly robust effect (the shrinkage target when effects barely vary);
- ``econml_dr``, ``econml_x``, ``econml_cf``: EconML estimators with the same bases.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

import numpy as np
from sklearn.model_selection import StratifiedKFold

from ptsdrx.response._base_learners import (
    ConstantModel,
    FloatArray,
    Regressor,
    fit_regressor,
    run_jobs,
    seed,
)
from ptsdrx.response._nuisance import (
    Folds,
    IntArray,
    NuisanceSeeds,
    crossfit_nuisances,
    dr_pseudo_outcomes,
    limit_rows,
)

NATIVE_LEARNERS: tuple[str, ...] = ("t", "x", "x_add", "dr", "dr_add", "ate")
DEFAULT_LEARNERS: tuple[str, ...] = ("t", "x", "x_add", "dr", "ate")
ECONML_LEARNERS: tuple[str, ...] = ("econml_dr", "econml_x", "econml_cf")
ADD_TREES, ADD_RATE = 2.0, 1.5  # stumps: twice the trees at 1.5x the default rate

#: one term of an arm's prediction: ``coefficient * model.predict(x)``
Term = tuple[FloatArray | float, Regressor]


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


@dataclass(frozen=True)
class CrossFit:
    """Settings shared by every cross-fitting step of one ``fit``."""

    ref: int
    n_arms: int
    binary: bool
    n_folds: int
    trim: float
    n_jobs: int
    random_state: int
    params: dict[str, dict[str, Any]]  # "outcome", "effect", "additive", "propensity"
    arm_names: tuple[str, ...]

    @property
    def others(self) -> list[int]:
        """Every arm but the reference."""
        return [a for a in range(self.n_arms) if a != self.ref]

    def seed(self, *parts: int) -> int:
        """The seed of one model of this fit."""
        return seed(self.random_state, *parts)

    def nuisance_seeds(self, tag: tuple[int, ...]) -> NuisanceSeeds:
        """Seeds of the outcome and propensity models of one (possibly nested) cross-fit."""
        return NuisanceSeeds(
            outcome=lambda k, a: self.seed(2, *tag, k, a),
            propensity=lambda k: self.seed(3, *tag, k),
            limit=lambda k: self.seed(12, *tag, k),
        )

    def empty_arm(self, a: int) -> str:
        """Error text when a fold lacks an arm."""
        return (
            f"arm {self.arm_names[a]!r} has too few rows for nested cross-fitting; "
            "it needs rows in every fold"
        )


@dataclass(frozen=True)
class Fold:
    """One fold of cross-fitting.

    Training rows with nuisances fitted within them, and the held-out rows with their cross-fitted
    nuisances.
    """

    k: int
    X_tr: FloatArray
    y_tr: FloatArray
    codes_tr: IntArray
    M_tr: FloatArray
    D_tr: FloatArray
    keep_tr: np.ndarray
    X_te: FloatArray
    M_te: FloatArray
    E_te: FloatArray


class MetaLearner:
    """One meta-learner: fit on a fold, and the terms of an arm's prediction."""

    #: the ``x`` learners weight their two models by the propensities at prediction time
    uses_propensity: ClassVar[bool] = False

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def additive(self) -> bool:
        """Boosted stumps as the effect model."""
        return self.name.endswith("_add")

    def params(self, cf: CrossFit) -> dict[str, Any]:
        """LightGBM parameters of this learner's effect models."""
        return cf.params["additive" if self.additive else "effect"]

    @property
    def tag(self) -> int:
        """Seed offset that keeps the additive variant's models independent."""
        return 10 if self.additive else 0

    def fit(self, fold: Fold, cf: CrossFit) -> tuple[dict[str, Any], FloatArray]:
        """Fitted models of this fold, and the effects vs the reference on held-out rows."""
        raise NotImplementedError

    def terms(
        self,
        fitted: dict[str, Any],
        a: int,
        coef: float,
        outcome_models: Sequence[Regressor],
        ref: int,
        g: FloatArray | None,
    ) -> list[Term]:
        """Terms this fold's models add to arm ``a``'s prediction.

        ``coef`` = weight / folds; ``g`` is the share of arm ``a`` in the propensity of ``{a,
        ref}``.
        """
        raise NotImplementedError


class TLearner(MetaLearner):
    """Differences of the per-arm outcome models (no effect model of its own)."""

    def fit(self, fold: Fold, cf: CrossFit) -> tuple[dict[str, Any], FloatArray]:
        """Effects are the held-out rows' outcome-model differences."""
        return {}, fold.M_te - fold.M_te[:, [cf.ref]]

    def terms(
        self,
        fitted: dict[str, Any],
        a: int,
        coef: float,
        outcome_models: Sequence[Regressor],
        ref: int,
        g: FloatArray | None,
    ) -> list[Term]:
        """``+coef * mu_a - coef * mu_ref``."""
        return [(coef, outcome_models[a]), (-coef, outcome_models[ref])]


class ConstantEffect(MetaLearner):
    """The doubly robust average effect of each arm, the same for every patient."""

    def fit(self, fold: Fold, cf: CrossFit) -> tuple[dict[str, Any], FloatArray]:
        """Mean pseudo-outcome difference over the training rows kept after trimming."""
        tau = np.zeros((len(fold.X_te), fold.M_te.shape[1]))
        fitted: dict[str, Any] = {}
        for a in cf.others:
            fitted[f"ate{a}"] = ConstantModel(float(fold.D_tr[fold.keep_tr, a].mean()))
            tau[:, a] = fitted[f"ate{a}"].value
        return fitted, tau

    def terms(
        self,
        fitted: dict[str, Any],
        a: int,
        coef: float,
        outcome_models: Sequence[Regressor],
        ref: int,
        g: FloatArray | None,
    ) -> list[Term]:
        """One constant per arm."""
        return [(coef, fitted[f"ate{a}"])]


class DRLearner(MetaLearner):
    """A regression of the pseudo-outcome difference ``G_a - G_ref`` on the features."""

    def fit(self, fold: Fold, cf: CrossFit) -> tuple[dict[str, Any], FloatArray]:
        """One effect model per arm on (at most ``MAX_FIT_ROWS``) kept training rows."""
        tau = np.zeros((len(fold.X_te), fold.M_te.shape[1]))
        rows = limit_rows(np.flatnonzero(fold.keep_tr), cf.seed(13, fold.k))

        def arm(a: int) -> tuple[Regressor, FloatArray]:
            m = fit_regressor(
                fold.X_tr[rows], fold.D_tr[rows, a], binary=False, params=self.params(cf),
                seed=cf.seed(4 + self.tag, fold.k, a),
            )  # fmt: skip
            return m, m.predict(fold.X_te)

        done = run_jobs([partial(arm, a) for a in cf.others], cf.n_jobs)
        fitted: dict[str, Any] = {}
        for a, (m, pred) in zip(cf.others, done, strict=True):
            fitted[f"dr{a}"] = m
            tau[:, a] = pred
        return fitted, tau

    def terms(
        self,
        fitted: dict[str, Any],
        a: int,
        coef: float,
        outcome_models: Sequence[Regressor],
        ref: int,
        g: FloatArray | None,
    ) -> list[Term]:
        """One effect model per arm."""
        return [(coef, fitted[f"dr{a}"])]


class XLearner(MetaLearner):
    """Imputed effects on each arm's rows, combined by the propensities of the two arms."""

    uses_propensity: ClassVar[bool] = True

    def fit(self, fold: Fold, cf: CrossFit) -> tuple[dict[str, Any], FloatArray]:
        """Two effect models per arm: on its own rows and on the reference arm's rows."""
        ref, others = cf.ref, cf.others
        E_te, X_tr, y_tr, M_tr = fold.E_te, fold.X_tr, fold.y_tr, fold.M_tr
        tau = np.zeros((len(fold.X_te), fold.M_te.shape[1]))
        g = E_te[:, others] / (E_te[:, others] + E_te[:, [ref]])
        t0 = fold.codes_tr == ref

        def treated(a: int) -> tuple[Regressor, FloatArray]:
            t1 = fold.codes_tr == a
            m = fit_regressor(
                X_tr[t1], y_tr[t1] - M_tr[t1, ref], binary=False, params=self.params(cf),
                seed=cf.seed(5 + self.tag, fold.k, a),
            )  # fmt: skip
            return m, m.predict(fold.X_te)

        def control(a: int) -> tuple[Regressor, FloatArray]:
            m = fit_regressor(
                X_tr[t0], M_tr[t0, a] - y_tr[t0], binary=False, params=self.params(cf),
                seed=cf.seed(6 + self.tag, fold.k, a),
            )  # fmt: skip
            return m, m.predict(fold.X_te)

        jobs = [partial(fit, a) for a in others for fit in (treated, control)]
        done = iter(run_jobs(jobs, cf.n_jobs))
        fitted: dict[str, Any] = {}
        for j, a in enumerate(others):
            (m1, pred1), (m0, pred0) = next(done), next(done)
            fitted[f"x1_{a}"], fitted[f"x0_{a}"] = m1, m0
            tau[:, a] = g[:, j] * pred0 + (1 - g[:, j]) * pred1
        return fitted, tau

    def terms(
        self,
        fitted: dict[str, Any],
        a: int,
        coef: float,
        outcome_models: Sequence[Regressor],
        ref: int,
        g: FloatArray | None,
    ) -> list[Term]:
        """``coef * (g * m0 + (1 - g) * m1)``."""
        assert g is not None
        return [(coef * g, fitted[f"x0_{a}"]), (coef * (1 - g), fitted[f"x1_{a}"])]


class EconmlEffect(MetaLearner):
    """An EconML estimator cross-fitted like the native learners (see ``_econml``)."""

    def fit(self, fold: Fold, cf: CrossFit) -> tuple[dict[str, Any], FloatArray]:
        """Fit the estimator on the fold's training rows."""
        from ptsdrx.response._econml import EconmlLearner

        params = {k: cf.params[k] for k in ("outcome", "effect", "propensity")}
        est = EconmlLearner(
            self.name, seed=cf.seed(7, fold.k), n_jobs=cf.n_jobs, params=params
        ).fit(fold.y_tr, fold.codes_tr, fold.X_tr)
        tau = np.zeros((len(fold.X_te), fold.M_te.shape[1]))
        for a in cf.others:
            tau[:, a] = est.effect(fold.X_te, T0=cf.ref, T1=a)
        return {"est": est}, tau

    def terms(
        self,
        fitted: dict[str, Any],
        a: int,
        coef: float,
        outcome_models: Sequence[Regressor],
        ref: int,
        g: FloatArray | None,
    ) -> list[Term]:
        """The estimator's effect of ``a`` vs the reference, as one term."""
        from ptsdrx.response._econml import EffectAdapter

        return [(coef, EffectAdapter(fitted["est"], ref, a))]


_CLASSES: dict[str, type[MetaLearner]] = {
    "t": TLearner,
    "x": XLearner,
    "x_add": XLearner,
    "dr": DRLearner,
    "dr_add": DRLearner,
    "ate": ConstantEffect,
    **dict.fromkeys(ECONML_LEARNERS, EconmlEffect),
}


def learner(name: str) -> MetaLearner:
    """The meta-learner called ``name`` (one of ``NATIVE_LEARNERS + ECONML_LEARNERS``)."""
    return _CLASSES[name](name)


def crossfit_effects(
    Xa: FloatArray,
    y: FloatArray,
    codes: IntArray,
    folds: Folds,
    M: FloatArray,
    E: FloatArray,
    D: FloatArray,
    cf: CrossFit,
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
                    n_splits=max(2, cf.n_folds - 1), shuffle=True, random_state=cf.seed(9, k)
                ).split(tr, codes[tr])
            )
            M_tr = crossfit_nuisances(
                Xa[tr],
                y[tr],
                codes[tr],
                inner,
                n_arms=n_arms,
                binary=cf.binary,
                outcome_params=cf.params["outcome"],
                propensity_params=cf.params["propensity"],
                seeds=cf.nuisance_seeds((k,)),
                n_jobs=cf.n_jobs,
                empty_arm=cf.empty_arm,
                propensity=False,
            ).M
            G_tr = dr_pseudo_outcomes(M_tr, E[tr], y[tr], codes[tr])
            D_tr = G_tr - G_tr[:, [cf.ref]]
        else:
            M_tr, D_tr = M[tr], D[tr]
        fold = Fold(
            k=k,
            X_tr=Xa[tr],
            y_tr=y[tr],
            codes_tr=codes[tr],
            M_tr=M_tr,
            D_tr=D_tr,
            keep_tr=raw_min[tr] >= cf.trim,
            X_te=Xa[te],
            M_te=M[te],
            E_te=E[te],
        )
        for name in learners:
            fitted, tau_te = learner(name).fit(fold, cf)
            oof[name][te] = tau_te
            models[name].append(fitted)
        if step is not None:
            step(f"effect learners fold {k + 1}/{len(folds)}")
    return oof, models
