"""Treatment policies: from a patient's predicted outcomes and the arms open to them, one arm.

The effect model answers "what would happen under each arm"; a policy answers "which arm",
and argmax over many noisy effect estimates picks winners by noise (the winner's curse). The
rules below are measured side by side on held-out data (``benchmarks/bench_response_policy.py``,
``docs/decisions.md``); every rule chooses among the arms open to the patient only, and its
fallback is the *one-size* arm: the open arm with the best average outcome in the training
data (the guideline default).

- ``argmax``: the open arm with the best predicted outcome;
- ``shrink``: empirical-Bayes shrinkage of each arm's predicted effect towards its average,
  by the out-of-fold calibration slope (the best-linear-predictor slope of Chernozhukov et
  al. 2018, clipped to [0, 1]), then argmax;
- ``lcb``: the one-size arm unless another open arm is better by the lower bound of its
  one-sided ``1 - alpha`` group interval (GATES) against it;
- ``switch``: argmax when the model's out-of-fold doubly robust value beats the best single
  arm with a 95% interval above zero, else the one-size arm;
- ``one_size``: the one-size arm for everyone.

The default (``DEFAULT_POLICY``) is ``lcb``: the one rule at or below one size fits all on
every benchmark set, observational included; ``switch`` and argmax capture more where
effects are large and lose where they are not (``docs/decisions.md``).

The out-of-fold facts the rules need (:class:`PolicyEvidence`) are measured once, in
``TreatmentResponseModel.fit``, from the cross-fitted effects and doubly robust scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

from ptsdrx._results import Result
from ptsdrx.response._base_learners import FloatArray
from ptsdrx.response._checks import check_alpha, check_features, check_fitted, frame_index
from ptsdrx.response._intervals import group_bounds
from ptsdrx.response._terms import predict_outcomes

Rule = Literal["argmax", "shrink", "lcb", "switch", "one_size"]
POLICIES: tuple[str, ...] = ("argmax", "shrink", "lcb", "switch", "one_size")
#: the rule ``best_arm`` uses: the winner on held-out data (docs/decisions.md)
DEFAULT_POLICY: Rule = "lcb"

__all__ = ["DEFAULT_POLICY", "POLICIES", "PolicyEvidence", "TreatmentPolicy", "policy_evidence"]


@dataclass(frozen=True)
class PolicyEvidence(Result):
    """Out-of-fold facts about a fitted model that its policies use (saved with the model).

    ``arm_value``: doubly robust mean outcome of each arm; ``effect_mean`` and ``slope``: each
    arm's mean out-of-fold predicted effect against the reference and its calibration slope;
    ``gain`` (with ``gain_lo``, ``gain_hi``): what argmax gains over the best single arm, out
    of fold, in the better direction; ``personalise``: ``gain_lo > 0``.
    """

    arms: tuple[str, ...]
    reference: int
    higher_is_better: bool
    arm_value: tuple[float, ...]
    effect_mean: tuple[float, ...]
    slope: tuple[float, ...]
    gain: float
    gain_lo: float
    gain_hi: float
    personalise: bool

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per arm."""
        return [
            {"arm": a, "dr_value": v, "effect_mean": m, "slope": s}
            for a, v, m, s in zip(
                self.arms, self.arm_value, self.effect_mean, self.slope, strict=True
            )
        ]

    def to_text(self) -> str:
        """One line on the switch decision, then the per-arm table."""
        verdict = "personalise" if self.personalise else "one size fits all"
        return (
            f"out-of-fold gain of argmax over the best single arm {self.gain:+.3f} "
            f"[{self.gain_lo:+.3f}, {self.gain_hi:+.3f}]: {verdict}\n{super().to_text()}"
        )


def policy_evidence(
    mu_ref: FloatArray,
    tau: FloatArray,
    G: FloatArray,
    keep: np.ndarray,
    ref: int,
    arms: tuple[str, ...],
    *,
    higher_is_better: bool,
) -> PolicyEvidence:
    """Measure :class:`PolicyEvidence` from out-of-fold quantities.

    Reference outcomes ``mu_ref``, effects ``tau[n, arms]`` (vs the reference) and doubly robust
    scores ``G[n, arms]``, on the rows ``keep`` (those inside the overlap trim).
    """
    sgn = 1.0 if higher_is_better else -1.0
    mu_ref, tau, G = mu_ref[keep], tau[keep], G[keep]
    n_arms = G.shape[1]
    D = G - G[:, [ref]]
    slope, mean = np.ones(n_arms), np.zeros(n_arms)
    for a in range(n_arms):
        if a == ref:
            continue
        t = tau[:, a]
        mean[a] = float(t.mean())
        var = float(np.var(t))
        b = float(np.cov(t, D[:, a], bias=True)[0, 1] / var) if var > 0 else 0.0
        slope[a] = float(np.clip(b, 0.0, 1.0))
    value = G.mean(axis=0)
    best = int(np.argmax(sgn * value))
    choice = np.argmax(sgn * (mu_ref[:, None] + tau), axis=1)
    rows = np.arange(len(G))
    diff = sgn * (G[rows, choice] - G[:, best])
    gain = float(diff.mean())
    se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float("inf")
    z = float(norm.ppf(0.975))
    return PolicyEvidence(
        arms=arms,
        reference=ref,
        higher_is_better=higher_is_better,
        arm_value=tuple(float(v) for v in value),
        effect_mean=tuple(float(v) for v in mean),
        slope=tuple(float(v) for v in slope),
        gain=gain,
        gain_lo=gain - z * se,
        gain_hi=gain + z * se,
        personalise=bool(gain - z * se > 0),
    )


def _open_mask(open_arms: pd.DataFrame | None, arms: list[Any], index: pd.Index) -> np.ndarray:
    if open_arms is None:
        return np.ones((len(index), len(arms)), dtype=bool)
    mask = open_arms.reindex(columns=arms, fill_value=False).astype(bool).to_numpy()
    if len(mask) != len(index):
        raise ValueError(f"open arms has {len(mask)} rows; X has {len(index)}")
    return np.asarray(mask, dtype=bool)


def _argmax_open(U: FloatArray, mask: np.ndarray) -> np.ndarray:
    """Index of the best open arm per row (-1 where none is open)."""
    masked = np.where(mask, U, -np.inf)
    out = masked.argmax(axis=1)
    return np.where(mask.any(axis=1), out, -1)


class TreatmentPolicy:
    """Maps patients, and the arms open to each of them, to one arm with its evidence.

    Parameters
    ----------
    rule : {"argmax", "shrink", "lcb", "switch", "one_size"}, default ``DEFAULT_POLICY``
        The decision rule (see the module docstring).
    alpha : float, default 0.1
        ``lcb`` switches when the one-sided ``1 - alpha`` lower bound of the advantage over
        the one-size arm is positive; ``decide`` reports those one-sided bounds.
    """

    def __init__(self, rule: Rule = DEFAULT_POLICY, *, alpha: float = 0.1) -> None:
        self.rule = rule
        self.alpha = alpha

    def _check(self) -> None:
        if self.rule not in POLICIES:
            raise ValueError(f"policy rule must be one of {POLICIES}; got {self.rule!r}")
        check_alpha(self.alpha)

    def decide(self, model: Any, X: Any, *, open_arms: pd.DataFrame | None = None) -> pd.DataFrame:
        """Per row: the chosen arm, the one-size arm and the advantage with its bounds.

        ``arm`` (None when no arm is open), ``one_size_arm``, the predicted ``advantage`` of the arm
        over the one-size arm (positive = better) with its group bounds
        ``advantage_lo``/``advantage_hi`` (each one-sided ``1 - alpha``, so ``lcb`` switches exactly
        where ``advantage_lo > 0``), and the ``rule``.
        """
        self._check()
        check_fitted(model, "arms_", "a policy needs a fitted TreatmentResponseModel")
        Xa = check_features(X, list(model.feature_names_in_))[0]
        index = frame_index(X)
        arms = list(model.arms_)
        P = predict_outcomes(model, Xa)
        mask = _open_mask(open_arms, arms, index)
        chosen, base = self._choose(model, P, mask)
        sgn = 1.0 if model.outcome_direction_ == "higher_is_better" else -1.0
        adv = np.zeros(len(P))
        lo, hi = np.zeros(len(P)), np.zeros(len(P))
        for d in np.unique(base[base >= 0]):
            for a in np.unique(chosen[(base == d) & (chosen != d)]):
                rows = np.flatnonzero((base == d) & (chosen == a))
                eff = P[rows, a] - P[rows, d]
                b_lo, b_hi = group_bounds(model.effect_groups_, eff, int(d), int(a), 2 * self.alpha)
                adv[rows] = sgn * eff
                lo[rows], hi[rows] = (b_lo, b_hi) if sgn > 0 else (-b_hi, -b_lo)
        name = np.asarray([*arms, None], dtype=object)
        return pd.DataFrame(
            {
                "arm": name[chosen],
                "one_size_arm": name[base],
                "advantage": adv,
                "advantage_lo": lo,
                "advantage_hi": hi,
                "rule": self.rule,
            },
            index=index,
        )

    def choose(self, model: Any, X: Any, *, open_arms: pd.DataFrame | None = None) -> pd.Series:
        """The chosen arm per row (None when no arm is open)."""
        return self.decide(model, X, open_arms=open_arms)["arm"]

    def choose_codes(self, model: Any, P: FloatArray, mask: np.ndarray) -> np.ndarray:
        """Arm indices (-1: none open) for predicted outcomes ``P`` and an open-arm ``mask``."""
        self._check()
        return self._choose(model, P, mask)[0]

    def _choose(self, model: Any, P: FloatArray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ev: PolicyEvidence | None = getattr(model, "policy_evidence_", None)
        higher = model.outcome_direction_ == "higher_is_better"
        sgn = 1.0 if higher else -1.0
        U = sgn * P
        if ev is None:  # a model saved before policies existed: argmax is all it supports
            best = _argmax_open(U, mask)
            return best, best
        value = sgn * np.asarray(ev.arm_value)
        base = _argmax_open(np.broadcast_to(value, P.shape), mask)
        if self.rule == "one_size" or (self.rule == "switch" and not ev.personalise):
            return base, base
        if self.rule in ("argmax", "switch"):
            return _argmax_open(U, mask), base
        ref = ev.reference
        if self.rule == "shrink":
            m, b = np.asarray(ev.effect_mean), np.asarray(ev.slope)
            tau = P - P[:, [ref]]
            return _argmax_open(sgn * (P[:, [ref]] + m + b * (tau - m)), mask), base
        # lcb: leave the one-size arm only for an arm whose lower bound says it is better
        best_lb = np.zeros(len(P))
        chosen = base.copy()
        for d in np.unique(base[base >= 0]):
            rows = np.flatnonzero(base == d)
            for a in range(P.shape[1]):
                if a == d:
                    continue
                r = rows[mask[rows, a]]
                if len(r) == 0:
                    continue
                eff = P[r, a] - P[r, d]
                b_lo, b_hi = group_bounds(model.effect_groups_, eff, int(d), a, 2 * self.alpha)
                lb = b_lo if higher else -b_hi
                better = lb > best_lb[r]
                best_lb[r[better]] = lb[better]
                chosen[r[better]] = a
        return chosen, base
