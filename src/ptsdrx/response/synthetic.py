"""Synthetic data with known effects, for tests and benchmarks (no downloads).

``nie_wager`` reproduces the four standard setups A–D of Nie & Wager (2021, Biometrika
108:299, section 6); ``multiarm`` is a many-arm generator with missing features and a
randomized or confounded assignment; ``high_heterogeneity`` is its variant in which the best
arm truly differs between patients and no arm is much better on average. All return the
true conditional means, so PEHE, ATE error and regret can be computed exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ptsdrx.response._base_learners import FloatArray


@dataclass(frozen=True)
class SyntheticData:
    """Features, received arm, observed outcome, and the true mean outcome of every arm."""

    X: pd.DataFrame
    T: np.ndarray
    Y: FloatArray
    mu: pd.DataFrame  # true E[Y(a) | X], one column per arm
    propensity: pd.DataFrame  # true P(T = a | X)

    def tau(self, T0: object, T1: object) -> FloatArray:
        """True conditional effect of ``T1`` versus ``T0``."""
        return np.asarray(self.mu[T1] - self.mu[T0], dtype=float)


def _softplus(v: FloatArray) -> FloatArray:
    return np.asarray(np.logaddexp(0.0, v), dtype=float)


def nie_wager(
    setup: Literal["A", "B", "C", "D"],
    n: int,
    *,
    p: int = 6,
    sigma: float = 1.0,
    random_state: int = 0,
) -> SyntheticData:
    """Nie & Wager setup A, B, C or D with arms ``0`` (control) and ``1`` (treated)."""
    if setup not in ("A", "B", "C", "D"):
        raise ValueError(f"setup must be 'A', 'B', 'C' or 'D'; got {setup!r}")
    if p < 5:
        raise ValueError(f"p must be at least 5; got {p}")
    rng = np.random.default_rng(random_state)
    if setup == "A":
        X = rng.uniform(size=(n, p))
        b = np.sin(np.pi * X[:, 0] * X[:, 1]) + 2 * (X[:, 2] - 0.5) ** 2 + X[:, 3] + 0.5 * X[:, 4]
        e = np.clip(np.sin(np.pi * X[:, 0] * X[:, 1]), 0.1, 0.9)
        tau = (X[:, 0] + X[:, 1]) / 2
    else:
        X = rng.normal(size=(n, p))
        if setup == "B":
            b = np.maximum.reduce([np.zeros(n), X[:, 0] + X[:, 1], X[:, 2]]) + np.maximum(
                0, X[:, 3] + X[:, 4]
            )
            e = np.full(n, 0.5)
            tau = X[:, 0] + np.log1p(np.exp(X[:, 1]))
        elif setup == "C":
            b = 2 * _softplus(X[:, 0] + X[:, 1] + X[:, 2])
            e = 1 / (1 + np.exp(X[:, 1] + X[:, 2]))
            tau = np.ones(n)
        else:
            b = (np.maximum(0, X[:, 0] + X[:, 1] + X[:, 2]) + np.maximum(0, X[:, 3] + X[:, 4])) / 2
            e = 1 / (1 + np.exp(-X[:, 0]) + np.exp(-X[:, 1]))
            tau = np.maximum(0, X[:, 0] + X[:, 1] + X[:, 2]) - np.maximum(0, X[:, 3] + X[:, 4])
    T = (rng.uniform(size=n) < e).astype(int)
    mu0, mu1 = b - 0.5 * tau, b + 0.5 * tau
    Y = np.where(T == 1, mu1, mu0) + sigma * rng.normal(size=n)
    cols = [f"x{i + 1}" for i in range(p)]
    return SyntheticData(
        X=pd.DataFrame(X, columns=cols),
        T=T,
        Y=Y,
        mu=pd.DataFrame({0: mu0, 1: mu1}),
        propensity=pd.DataFrame({0: 1 - e, 1: e}),
    )


def multiarm(
    n: int,
    *,
    n_arms: int = 3,
    design: Literal["randomized", "observational"] = "randomized",
    binary: bool = False,
    missing: float = 0.2,
    effects_seed: int = 0,
    random_state: int = 0,
) -> SyntheticData:
    """A PCL-5-like outcome under ``n_arms`` arms with nonlinear, arm-specific effects.

    Eight standardised features; ``x3`` and ``x4`` (think biomarkers, imaging) are missing
    completely at random with probability ``missing``. In the observational design the
    assignment depends on ``x1`` and ``x2``, which also drive the outcome (confounding).
    With ``binary``, the outcome is remission, drawn with probability ``mu``. The arms'
    response surfaces depend on ``effects_seed`` only, so training and test samples drawn
    with different ``random_state`` share them.
    """
    if n_arms < 2:
        raise ValueError(f"n_arms must be at least 2; got {n_arms}")
    if design not in ("randomized", "observational"):
        raise ValueError(f"design must be 'randomized' or 'observational'; got {design!r}")
    rng = np.random.default_rng(random_state)
    X = rng.normal(size=(n, 8))
    arm_rng = np.random.default_rng(effects_seed + 10_007)
    slopes = arm_rng.normal(0, 2.0, size=(n_arms, 3))
    shifts = arm_rng.normal(0, 2.0, size=n_arms)
    base = 45 + 6 * X[:, 0] + 4 * np.tanh(X[:, 1]) + 3 * X[:, 2] * (X[:, 5] > 0)
    mu = np.empty((n, n_arms))
    for a in range(n_arms):
        mu[:, a] = (
            base
            - 10
            + shifts[a]
            + slopes[a, 0] * X[:, 0]
            + 4 * slopes[a, 1] * (X[:, 3] > 0)
            + 3 * slopes[a, 2] * np.maximum(X[:, 4], 0)
        )
    if design == "randomized":
        prop = np.full((n, n_arms), 1.0 / n_arms)
    else:
        logits = (
            np.outer(X[:, 0], np.linspace(-1, 1, n_arms))
            + np.outer(X[:, 1], np.cos(np.arange(n_arms))) * 0.7
        )
        prop = np.exp(logits)
        prop /= prop.sum(axis=1, keepdims=True)
    cum = prop.cumsum(axis=1)
    T = (rng.uniform(size=(n, 1)) > cum).sum(axis=1)
    T = np.minimum(T, n_arms - 1)
    if binary:
        mu = 1 / (1 + np.exp((mu - 35) / 6))  # remission probability falls with severity
        Y = (rng.uniform(size=n) < mu[np.arange(n), T]).astype(float)
    else:
        Y = mu[np.arange(n), T] + rng.normal(0, 5, size=n)
    Xm = X.copy()
    for j in (3, 4):
        Xm[rng.uniform(size=n) < missing, j] = np.nan
    arms = [f"arm{a}" for a in range(n_arms)]
    return SyntheticData(
        X=pd.DataFrame(Xm, columns=[f"x{i + 1}" for i in range(8)]),
        T=np.asarray(arms, dtype=object)[T],
        Y=Y,
        mu=pd.DataFrame(mu, columns=arms),
        propensity=pd.DataFrame(prop, columns=arms),
    )


#: effect modifiers of ``high_heterogeneity``, each an assumption of the setting
HIGH_HETEROGENEITY_ASSUMPTIONS: tuple[str, ...] = (
    "prognosis: the outcome under every arm rises with x1 (6 points per sd) and tanh(x2) "
    "(4 points), the same for every arm, so prognosis alone picks no arm",
    "no arm is much better on average: arm shifts are drawn with sd 0.5 points",
    "modifier 1: x1 (baseline severity) changes each arm's effect linearly, coefficient "
    "drawn with sd 3 points per sd",
    "modifier 2: x4 > 0 (a binary biomarker, missing for 20% of patients) shifts each "
    "arm's effect, coefficient drawn with sd 6 points",
    "modifier 3: max(x5, 0) (a one-sided marker, missing for 20%) changes each arm's "
    "effect, coefficient drawn with sd 4 points",
    "modifier 4: tanh(x6) (a bounded modifier) changes each arm's effect, coefficient "
    "drawn with sd 3 points",
    "noise: the observed outcome adds normal noise with sd 5 points (about PCL-5 retest)",
    "assignment: randomized (equal shares) or confounded by x1 and x2 as in ``multiarm``",
)


def high_heterogeneity(
    n: int,
    *,
    n_arms: int = 4,
    design: Literal["randomized", "observational"] = "randomized",
    missing: float = 0.2,
    effects_seed: int = 0,
    random_state: int = 0,
) -> SyntheticData:
    """A PCL-5-like outcome whose best arm differs strongly between patients.

    Where the trial-calibrated simulator has little heterogeneity to capture, this setting
    has much, so a benchmark can show what a treatment policy captures when there is
    something to capture. Each modifier is an assumption, listed in
    ``HIGH_HETEROGENEITY_ASSUMPTIONS``; the arms' response surfaces depend on
    ``effects_seed`` only.
    """
    if n_arms < 2:
        raise ValueError(f"n_arms must be at least 2; got {n_arms}")
    if design not in ("randomized", "observational"):
        raise ValueError(f"design must be 'randomized' or 'observational'; got {design!r}")
    rng = np.random.default_rng(random_state)
    X = rng.normal(size=(n, 8))
    arm_rng = np.random.default_rng(effects_seed + 20_011)
    shifts = arm_rng.normal(0, 0.5, size=n_arms)
    coef = arm_rng.normal(0, 1.0, size=(n_arms, 4)) * np.array([3.0, 6.0, 4.0, 3.0])
    modifiers = np.column_stack(
        [X[:, 0], (X[:, 3] > 0) - 0.5, np.maximum(X[:, 4], 0) - 0.4, np.tanh(X[:, 5])]
    )
    base = 40 + 6 * X[:, 0] + 4 * np.tanh(X[:, 1])
    mu = base[:, None] + shifts[None, :] + modifiers @ coef.T
    if design == "randomized":
        prop = np.full((n, n_arms), 1.0 / n_arms)
    else:
        logits = (
            np.outer(X[:, 0], np.linspace(-1, 1, n_arms))
            + np.outer(X[:, 1], np.cos(np.arange(n_arms))) * 0.7
        )
        prop = np.exp(logits)
        prop /= prop.sum(axis=1, keepdims=True)
    T = np.minimum((rng.uniform(size=(n, 1)) > prop.cumsum(axis=1)).sum(axis=1), n_arms - 1)
    Y = mu[np.arange(n), T] + rng.normal(0, 5, size=n)
    Xm = X.copy()
    for j in (3, 4):
        Xm[rng.uniform(size=n) < missing, j] = np.nan
    arms = [f"arm{a}" for a in range(n_arms)]
    return SyntheticData(
        X=pd.DataFrame(Xm, columns=[f"x{i + 1}" for i in range(8)]),
        T=np.asarray(arms, dtype=object)[T],
        Y=Y,
        mu=pd.DataFrame(mu, columns=arms),
        propensity=pd.DataFrame(prop, columns=arms),
    )
