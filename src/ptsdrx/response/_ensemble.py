"""Ensembling the meta-learners by a cross-validated causal loss.

Non-negative weights summing to one minimise the R-loss (Nie & Wager 2021, Biometrika
108:299) or the DR loss ``sum (G_a - G_ref - tau_a(x))^2`` over held-out rows (a causal loss
whose expectation equals the PEHE up to a constant). Above ``NESTED_ROWS`` rows the weights
come from a nested fit on a stratified subsample of that size (see ``_model``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.optimize import minimize
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

from ptsdrx.response._base_learners import FloatArray
from ptsdrx.response._learners import CrossFit, crossfit_effects
from ptsdrx.response._nuisance import (
    IntArray,
    blend_propensity,
    clip_propensity,
    crossfit_nuisances,
    dr_pseudo_outcomes,
    one_hot,
)

NESTED_ROWS = 40_000  # above this, ensemble weights come from a nested fit on this many rows


def stack_weights(target: FloatArray, candidates: FloatArray) -> FloatArray:
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


def ensemble_weights(
    oof: dict[str, FloatArray],
    y: FloatArray,
    onehot: FloatArray,
    M: FloatArray,
    E: FloatArray,
    D: FloatArray,
    keep: np.ndarray,
    others: list[int],
    learners: Sequence[str],
    *,
    loss: str,
    combine: str,
) -> tuple[FloatArray, FloatArray]:
    """Ensemble weights and per-learner losses by the cross-validated causal loss."""
    if loss == "dr":
        target = D[keep][:, others].ravel()
        cand = np.column_stack([oof[nm][keep][:, others].ravel() for nm in learners])
    else:  # R-loss: Y - m(x) = sum_a (1[T=a] - e_a(x)) tau_a(x) + noise (Nie & Wager 2021)
        resid_t = (onehot - E)[keep]
        target = (y - (E * M).sum(axis=1))[keep]
        cand = np.column_stack([(resid_t * oof[nm][keep]).sum(axis=1) for nm in learners])
    losses = ((cand - target[:, None]) ** 2).mean(axis=0)
    if combine == "select":
        w = np.zeros(len(learners))
        w[int(losses.argmin())] = 1.0
    else:
        w = stack_weights(target, cand)
    return w, losses


def subsample_weights(
    Xa: FloatArray,
    y: FloatArray,
    codes: IntArray,
    cf: CrossFit,
    learners: Sequence[str],
    *,
    clip: float,
    loss: str,
    combine: str,
    step: Callable[[str], None],
) -> tuple[FloatArray, FloatArray]:
    """Ensemble weights from nested cross-fitting on ``NESTED_ROWS`` stratified rows."""
    sub, _ = next(
        StratifiedShuffleSplit(n_splits=1, train_size=NESTED_ROWS, random_state=cf.seed(10)).split(
            Xa, codes
        )
    )
    sub = np.sort(sub)
    Xs, ys, cs = Xa[sub], y[sub], codes[sub]
    folds = list(
        StratifiedKFold(n_splits=cf.n_folds, shuffle=True, random_state=cf.seed(11)).split(Xs, cs)
    )
    nuis = crossfit_nuisances(
        Xs,
        ys,
        cs,
        folds,
        n_arms=cf.n_arms,
        binary=cf.binary,
        outcome_params=cf.params["outcome"],
        propensity_params=cf.params["propensity"],
        seeds=cf.nuisance_seeds((99,)),
        n_jobs=cf.n_jobs,
        empty_arm=cf.empty_arm,
    )
    E_raw = blend_propensity(nuis.E_raw, cs)[2]
    E = clip_propensity(E_raw, clip)
    G = dr_pseudo_outcomes(nuis.M, E, ys, cs)
    D = G - G[:, [cf.ref]]
    raw_min = E_raw.min(axis=1)
    oof, _ = crossfit_effects(
        Xs, ys, cs, folds, nuis.M, E, D, cf,
        raw_min=raw_min, learners=learners, nested=True, step=None,
    )  # fmt: skip
    keep = raw_min >= cf.trim
    step("ensemble weights on a subsample")
    return ensemble_weights(
        oof, ys, one_hot(cs, cf.n_arms), nuis.M, E, D, keep, cf.others, learners,
        loss=loss, combine=combine,
    )  # fmt: skip
