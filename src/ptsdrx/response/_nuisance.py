"""Nuisance models and the doubly robust pseudo-outcomes built from them.

Cross-fitted outcome means per arm and arm propensities.

The pseudo-outcome (Robins et al. 1994; Kennedy 2023, EJS 17:3008)
``G_a = mu_a(x) + 1[T=a] (Y - mu_a(x)) / e_a(x)`` is built by :func:`dr_pseudo_outcomes`
alone, for the model's fit and for validation, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ptsdrx.response._base_learners import (
    FloatArray,
    Regressor,
    fit_classifier,
    fit_regressor,
    predict_proba_all,
    run_jobs,
)

IntArray = NDArray[np.int64]
Folds = list[tuple[IntArray, IntArray]]

PROPENSITY_BLEND_GRID = (0.0, 1.0)  # either/or: partial shrinkage would bias the adjustment
MAX_FIT_ROWS = 200_000  # propensity and DR final-stage models train on at most this many rows


@dataclass(frozen=True)
class NuisanceSeeds:
    """How one cross-fit seeds its models.

    ``outcome(fold, arm)``, ``propensity(fold)`` and the row subset of a large fold's propensity
    model, ``limit(fold)`` (None: every row).
    """

    outcome: Callable[[int, int], int]
    propensity: Callable[[int], int]
    limit: Callable[[int], int] | None = None


@dataclass(frozen=True)
class Nuisances:
    """Out-of-fold outcome means and raw propensities, with their fold models.

    ``M[n, arms]``, ``E_raw`` (NaN when not fitted) and the fold models behind them.
    """

    M: FloatArray
    E_raw: FloatArray
    outcome_models: list[list[Regressor]]
    propensity_models: list[Any]


def limit_rows(rows: IntArray, seed: int) -> IntArray:
    """At most ``MAX_FIT_ROWS`` of ``rows`` (a seeded random subset, in order).

    Used for the models that see a whole fold (propensity, DR final stage): beyond a few
    hundred thousand rows they gain little accuracy and cost most of a million-row fit.
    """
    if len(rows) <= MAX_FIT_ROWS:
        return rows
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(rows, MAX_FIT_ROWS, replace=False))


def crossfit_nuisances(
    Xa: FloatArray,
    y: FloatArray,
    codes: IntArray,
    folds: Folds,
    *,
    n_arms: int,
    binary: bool,
    outcome_params: dict[str, Any],
    propensity_params: dict[str, Any],
    seeds: NuisanceSeeds,
    n_jobs: int,
    empty_arm: Callable[[int], str],
    propensity: bool = True,
    step: Callable[[str], None] | None = None,
) -> Nuisances:
    """Outcome models per arm and a propensity model per fold, predicted out of fold.

    The multinomial propensity model only with ``propensity``; each is predicted on the fold's
    held-out rows. ``empty_arm(a)`` words the error when a fold's training rows hold no row of arm
    ``a``. Every fold's models are fitted side by side on ``n_jobs`` threads, the propensity
    models (the largest) first.
    """
    n = len(Xa)
    M = np.empty((n, n_arms))
    E_raw = np.full((n, n_arms), np.nan)
    arm_rows = []
    for tr, _ in folds:
        arm_rows.append([tr[codes[tr] == a] for a in range(n_arms)])
        empty = [a for a in range(n_arms) if len(arm_rows[-1][a]) == 0]
        if empty:
            raise ValueError(empty_arm(empty[0]))

    def outcome(k: int, a: int) -> tuple[Regressor, FloatArray]:
        idx, te = arm_rows[k][a], folds[k][1]
        params, s = outcome_params, seeds.outcome(k, a)
        m = fit_regressor(Xa[idx], y[idx], binary=binary, params=params, seed=s)
        return m, m.predict(Xa[te])

    def propensity_model(k: int) -> tuple[Any, FloatArray]:
        tr, te = folds[k]
        rows = tr if seeds.limit is None else limit_rows(tr, seeds.limit(k))
        p = fit_classifier(
            Xa[rows], codes[rows], n_classes=n_arms, params=propensity_params,
            seed=seeds.propensity(k),
        )  # fmt: skip
        return p, predict_proba_all(p, Xa[te], n_arms)

    ks = range(len(folds)) if propensity else range(0)
    jobs: list[Callable[[], tuple[Any, FloatArray]]] = [partial(propensity_model, k) for k in ks]
    jobs += [partial(outcome, k, a) for k in range(len(folds)) for a in range(n_arms)]
    done = run_jobs(jobs, n_jobs)
    propensity_models = [model for model, _ in done[: len(ks)]]
    for k, (_, proba) in zip(ks, done[: len(ks)], strict=True):
        E_raw[folds[k][1]] = proba
    fitted = iter(done[len(ks) :])
    outcome_models: list[list[Regressor]] = []
    for k, (_, te) in enumerate(folds):
        fold_models: list[Regressor] = []
        for a in range(n_arms):
            m, pred = next(fitted)
            M[te, a] = pred
            fold_models.append(m)
        outcome_models.append(fold_models)
        if step is not None and propensity:
            step(f"nuisance fold {k + 1}/{len(folds)}")
    return Nuisances(M, E_raw, outcome_models, propensity_models)


def blend_propensity(E_raw: FloatArray, codes: IntArray) -> tuple[float, FloatArray, FloatArray]:
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


def clip_propensity(E: FloatArray, clip: float) -> FloatArray:
    """Propensities clipped to at least ``clip`` and renormalised per row."""
    E = np.clip(E, clip, 1.0)
    return np.asarray(E / E.sum(axis=1, keepdims=True), dtype=float)


def one_hot(codes: IntArray, n_arms: int) -> FloatArray:
    """``[n, arms]`` indicator of the arm each row received."""
    onehot = np.zeros((len(codes), n_arms))
    onehot[np.arange(len(codes)), codes] = 1.0
    return onehot


def dr_pseudo_outcomes(M: FloatArray, E: FloatArray, y: FloatArray, codes: IntArray) -> FloatArray:
    """Doubly robust scores ``G[n, arms] = M + 1[T=a] (y - M) / E`` (``E`` already clipped)."""
    onehot = one_hot(codes, M.shape[1])
    return np.asarray(M + onehot * (y[:, None] - M) / E, dtype=float)


def predict_propensity(
    models: Sequence[Any], blend: float, shares: FloatArray, Xa: FloatArray
) -> FloatArray:
    """Fold-averaged propensity model blended with the arm shares by weight ``blend``."""
    if blend == 0.0:  # the arm shares won: no model to evaluate
        return np.tile(shares, (len(Xa), 1))
    n_arms = len(shares)
    probs = [predict_proba_all(p, Xa, n_arms) for p in models]
    return np.asarray(blend * np.mean(probs, axis=0) + (1 - blend) * shares, dtype=float)
