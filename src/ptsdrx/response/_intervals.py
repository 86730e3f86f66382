"""Outcome and effect intervals: cross-conformal calibration and GATES effect groups.

Outcome intervals: cross-conformal prediction (crepes ``ConformalRegressor``, Mondrian by
arm) on out-of-fold residuals. Effect intervals (``kind="group"``): held-out rows are sorted
into groups by their out-of-fold predicted effect (GATES, Chernozhukov, Demirer, Duflo and
Fernandez-Val 2018, NBER w24678); each group's effect is the mean of its doubly robust
pseudo-outcomes with a normal-theory standard error. ``kind="individual"`` conformalises the
pseudo-outcomes themselves.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from crepes import ConformalRegressor
from scipy.special import ndtri

from ptsdrx.response._base_learners import FloatArray
from ptsdrx.response._nuisance import IntArray

CONFORMAL_CAP = 20_000  # calibration residuals kept per arm / pair (random subset)
MAX_EFFECT_GROUPS = 10  # predicted-effect groups per arm pair for effect intervals
MIN_GROUP_ARM_ROWS = 30  # each group holds about this many rows of each arm, at least

#: per arm pair ``"i|j"`` (``i < j``): ``cuts``, ``theta``, ``se`` and ``size`` arrays
EffectGroups = dict[str, dict[str, FloatArray]]


@dataclass(frozen=True)
class Calibration:
    """What one fit calibrates.

    Outcome conformal (None for a binary outcome), effect conformal per arm pair, and the GATES
    groups per arm pair.
    """

    outcome: ConformalRegressor | None
    effect: dict[str, ConformalRegressor]
    groups: EffectGroups


def cap_rows(rows: IntArray, rng: np.random.Generator) -> IntArray:
    """At most ``CONFORMAL_CAP`` of ``rows`` (a random subset, in order)."""
    if len(rows) <= CONFORMAL_CAP:
        return rows
    return np.sort(rng.choice(rows, CONFORMAL_CAP, replace=False))


def calibrate(
    resid: FloatArray,
    tau_oof: FloatArray,
    D: FloatArray,
    codes: IntArray,
    keep: np.ndarray,
    *,
    binary: bool,
    rng: np.random.Generator,
) -> Calibration:
    """Conformal calibration of outcomes and effects, and the effect groups.

    From out-of-fold residuals ``resid``, out-of-fold effects ``tau_oof`` and pseudo-outcome
    differences ``D`` (both against the reference arm).
    """
    n_arms = tau_oof.shape[1]
    outcome: ConformalRegressor | None = None
    if not binary:
        cal = np.concatenate([cap_rows(np.where(codes == a)[0], rng) for a in range(n_arms)])
        outcome = ConformalRegressor().fit(resid[cal], bins=codes[cal])
    effect: dict[str, ConformalRegressor] = {}
    kept = np.where(keep)[0]
    for i in range(n_arms):
        for j in range(i + 1, n_arms):
            rows = cap_rows(kept, rng)
            r = (D[rows, j] - D[rows, i]) - (tau_oof[rows, j] - tau_oof[rows, i])
            effect[f"{i}|{j}"] = ConformalRegressor().fit(r)
    groups = effect_groups(tau_oof[keep], D[keep], codes[keep], n_arms)
    return Calibration(outcome, effect, groups)


def effect_groups(tau: FloatArray, D: FloatArray, codes: IntArray, n_arms: int) -> EffectGroups:
    """Quantile groups of predicted effects per arm pair, with DR means.

    Per arm pair ``i<j``: quantile groups of the out-of-fold predicted effect of ``j`` vs ``i``,
    with each group's doubly robust mean effect and its standard error.

    ``tau`` are out-of-fold effects and ``D`` pseudo-outcomes, both against the reference arm,
    so ``D[:, j] - D[:, i]`` is an unbiased signal of the effect of ``j`` vs ``i``.
    """
    counts = np.bincount(codes, minlength=n_arms)
    out: EffectGroups = {}
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


def group_of(groups: EffectGroups, eff: FloatArray, i: int, j: int) -> tuple[np.ndarray, float]:
    """The group of each predicted effect ``eff`` of arm ``j`` vs ``i``.

    And the sign that maps the stored ``i<j`` orientation onto ``j`` vs ``i``.
    """
    sign = 1.0 if i < j else -1.0
    cuts = groups[f"{min(i, j)}|{max(i, j)}"]["cuts"]
    return np.searchsorted(cuts, sign * eff, side="right"), sign


def group_bounds(
    groups: EffectGroups, eff: FloatArray, i: int, j: int, alpha: float
) -> tuple[FloatArray, FloatArray]:
    """Group confidence bounds for predicted effects of arm ``j`` vs arm ``i``.

    Widened to include the point prediction ``eff``.
    """
    g, sign = group_of(groups, eff, i, j)
    pair = groups[f"{min(i, j)}|{max(i, j)}"]
    z = float(ndtri(1 - alpha / 2))
    theta, se = pair["theta"][g], pair["se"][g]
    lo, hi = sign * (theta - z * se), sign * (theta + z * se)
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    return np.minimum(lo, eff), np.maximum(hi, eff)


def individual_bounds(
    effect: dict[str, ConformalRegressor], eff: FloatArray, i: int, j: int, alpha: float
) -> tuple[FloatArray, FloatArray]:
    """Conformalised pseudo-outcome bounds for the effect ``eff`` of arm ``j`` vs ``i``."""
    sign = 1.0 if i < j else -1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        iv = effect[f"{min(i, j)}|{max(i, j)}"].predict_int(sign * eff, confidence=1 - alpha)
    lo, hi = sign * iv[:, 0], sign * iv[:, 1]
    return np.minimum(lo, hi), np.maximum(lo, hi)


def outcome_bounds(
    conformal: ConformalRegressor, pred: FloatArray, alpha: float
) -> list[FloatArray]:
    """Per arm ``[n, 2]`` (lo, hi) conformal intervals around the predictions ``pred``.

    One Mondrian call for every row and arm (the arm is the bin), not one call per arm.
    """
    n, arms = pred.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        iv = conformal.predict_int(
            pred.reshape(-1), bins=np.tile(np.arange(arms), n), confidence=1 - alpha
        )
    iv = np.asarray(iv, dtype=float).reshape(n, arms, 2)
    return [iv[:, a, :] for a in range(arms)]
