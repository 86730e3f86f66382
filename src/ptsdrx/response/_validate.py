"""Validation of a fitted response model on a cohort it was not trained on.

Without truth (real-world-like data), everything rests on cross-fitted doubly robust scores
``G[i, a]`` computed on the validation cohort itself (fresh LightGBM nuisances, independent
of the model under test):

- policy value of "give each patient the predicted best (eligible) arm" with a confidence
  interval, against the best single arm (Athey & Wager 2021, Econometrica 89:133);
- CATE calibration by the best linear predictor test (Chernozhukov, Demirer, Duflo &
  Fernandez-Val, "Generic machine learning inference on heterogeneous treatment effects",
  NBER w24678): ``G_a - G_ref = b1 + b2 (tau_hat - mean tau_hat)``; ``b2 > 0`` says the model
  finds real heterogeneity, ``b2 = 1`` that it is well scaled;
- TOC / Qini curves and the AUTOC (Yadlowsky et al. 2024, "Evaluating treatment prioritization
  rules via rank-weighted average treatment effects", JASA);
- the overlap report, outcome calibration by decile and empirical interval coverage.

With truth (simulated data: the true mean outcome of every arm), also sqrt(PEHE) per arm
pair, ATE error, regret against the oracle and the best single arm, and effect calibration.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.model_selection import StratifiedKFold

from ptsdrx._figures import new_figure, to_png_b64
from ptsdrx._results import Result, fixed
from ptsdrx.response._base_learners import FloatArray, params_for
from ptsdrx.response._checks import check_fitted
from ptsdrx.response._intervals import group_bounds, group_of
from ptsdrx.response._model import TreatmentResponseModel
from ptsdrx.response._nuisance import (
    NuisanceSeeds,
    clip_propensity,
    crossfit_nuisances,
    dr_pseudo_outcomes,
)
from ptsdrx.response._overlap import OverlapReport, overlap_report
from ptsdrx.response._policy import DEFAULT_POLICY, POLICIES, TreatmentPolicy

__all__ = [
    "PolicyComparison",
    "PolicyRow",
    "ValidationResult",
    "compare_policies",
    "dr_scores",
    "validate",
]

_Q = np.round(np.linspace(0.05, 1.0, 20), 2)


@dataclass(frozen=True)
class PolicyValue:
    """Doubly robust value of the model's policy and of the best single arm, with CIs."""

    value: float
    ci: tuple[float, float]
    best_single_arm: str
    best_single_value: float
    gain: float  # policy minus best single arm, in the "better" direction
    gain_ci: tuple[float, float]
    arm_share: dict[str, float]


@dataclass(frozen=True)
class BLPTest:
    """Best-linear-predictor calibration of the predicted effect of one arm vs reference."""

    arm: str
    ate: float
    ate_se: float
    slope: float
    slope_se: float
    p_heterogeneity: float  # one-sided test of slope > 0


@dataclass(frozen=True)
class TOCCurve:
    """Targeting operator characteristic: benefit among the top-q ranked minus overall."""

    arm: str
    q: tuple[float, ...]
    toc: tuple[float, ...]
    autoc: float
    autoc_se: float


@dataclass(frozen=True)
class TruthMetrics:
    """Metrics available only when the true mean outcomes are known (simulation)."""

    sqrt_pehe: dict[str, float]
    ate_error: dict[str, float]
    policy_value: float
    oracle_value: float
    best_single_arm: str
    best_single_value: float
    regret_vs_oracle: float
    gain_vs_best_single: float
    outcome_calibration_slope: dict[str, float]
    effect_calibration_slope: dict[str, float]
    effect_interval_group_coverage: float  # share of predicted-effect groups whose CI covers
    effect_interval_row_coverage: float  # share of patients whose own true effect is covered


@dataclass(frozen=True)
class PolicyRow:
    """One policy's doubly robust value on the validation cohort, against the one-size arm.

    ``gain_vs_one_size`` is positive when the policy does better; ``switched`` is the share of
    patients it gives another arm than the one-size arm. With truth, ``true_value`` and
    ``true_regret`` (against the oracle, never negative up to rounding).
    """

    policy: str
    value: float
    lo: float
    hi: float
    gain_vs_one_size: float
    gain_lo: float
    gain_hi: float
    switched: float | None
    true_value: float | None = None
    true_regret: float | None = None


@dataclass(frozen=True)
class PolicyComparison(Result):
    """Every candidate policy side by side, constrained to the arms open to each patient.

    ``one_size`` gives every patient the open arm with the best average outcome in the
    model's training data (the guideline default); ``random`` an open arm at random (its
    expected value); ``oracle`` (with truth) the truly best open arm.
    """

    default: str
    n: int
    rows: tuple[PolicyRow, ...]

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per policy."""
        return [dict(r.__dict__) for r in self.rows]

    def row(self, policy: str) -> PolicyRow:
        """The row of ``policy``."""
        return next(r for r in self.rows if r.policy == policy)


@dataclass(frozen=True)
class ValidationResult(Result):
    """Everything ``validate`` measured.

    ``summary()`` is a frame of the headline metrics, ``to_text()`` the CLI's lines, ``to_html()``
    the report with its figures.
    """

    n: int
    arms: tuple[str, ...]
    reference: str
    direction: str
    policy: PolicyValue
    blp: tuple[BLPTest, ...]
    toc: tuple[TOCCurve, ...]
    overlap: OverlapReport
    interval_coverage: dict[str, float]
    alpha: float
    outcome_rmse: dict[str, float]
    calibration_bins: dict[str, list[tuple[float, float]]]
    truth: TruthMetrics | None = None
    policies: PolicyComparison | None = None
    figures: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per metric: section, name, value and its interval where there is one."""
        p = self.policy
        rows: list[dict[str, Any]] = [
            {"section": "policy", "metric": "value (DR)", "value": p.value,
             "lo": p.ci[0], "hi": p.ci[1]},
            {"section": "policy", "metric": f"best single arm {p.best_single_arm}",
             "value": p.best_single_value, "lo": None, "hi": None},
            {"section": "policy", "metric": "gain vs best single arm", "value": p.gain,
             "lo": p.gain_ci[0], "hi": p.gain_ci[1]},
        ]  # fmt: skip
        for b in self.blp:
            rows.append(
                {"section": "blp", "metric": f"slope {b.arm}", "value": b.slope,
                 "lo": b.slope - 1.96 * b.slope_se, "hi": b.slope + 1.96 * b.slope_se}
            )  # fmt: skip
        for c in self.toc:
            rows.append(
                {"section": "toc", "metric": f"AUTOC {c.arm}", "value": c.autoc,
                 "lo": c.autoc - 1.96 * c.autoc_se, "hi": c.autoc + 1.96 * c.autoc_se}
            )  # fmt: skip
        for a, v in self.interval_coverage.items():
            rows.append({"section": "coverage", "metric": a, "value": v, "lo": None, "hi": None})
        if self.truth is not None:
            for k, v in self.truth.sqrt_pehe.items():
                rows.append(
                    {"section": "truth", "metric": f"sqrt(PEHE) {k}", "value": v,
                     "lo": None, "hi": None}
                )  # fmt: skip
            rows.append(
                {"section": "truth", "metric": "regret vs oracle",
                 "value": self.truth.regret_vs_oracle, "lo": None, "hi": None}
            )  # fmt: skip
        return rows

    def to_text(self, *, policies: bool = True) -> str:
        """Plain-text summary for the CLI; ``policies=False`` leaves out the policy comparison."""
        p = self.policy
        lines = [
            f"Validation on {self.n} patients, {len(self.arms)} arms (reference {self.reference},"
            f" {self.direction.replace('_', ' ')})",
            f"policy value (DR): {p.value:.2f} [{p.ci[0]:.2f}, {p.ci[1]:.2f}]; best single arm "
            f"{p.best_single_arm}: {p.best_single_value:.2f}; gain {fixed(p.gain, 2, sign=True)} "
            f"[{fixed(p.gain_ci[0], 2, sign=True)}, {fixed(p.gain_ci[1], 2, sign=True)}]",
        ]
        for b in self.blp:
            lines.append(
                f"BLP {b.arm} vs {self.reference}: ATE {b.ate:+.2f} (se {b.ate_se:.2f}), "
                f"slope {b.slope:.2f} (se {b.slope_se:.2f}, p={b.p_heterogeneity:.3g})"
            )
        for c in self.toc:
            lines.append(f"AUTOC {c.arm}: {c.autoc:+.3f} (se {c.autoc_se:.3f})")
        if policies and self.policies is not None:
            lines.append(
                f"policies (DR value, gain vs one-size open arm; default {self.policies.default}):"
            )
            for r in self.policies.rows:
                true = "" if r.true_regret is None else f"; true regret {fixed(r.true_regret)}"
                moved = "" if r.switched is None else f", switched {r.switched:.0%}"
                lines.append(
                    f"  {r.policy:9s} {fixed(r.value, 2)} [{fixed(r.lo, 2)}, {fixed(r.hi, 2)}], "
                    f"gain {fixed(r.gain_vs_one_size, sign=True)} "
                    f"[{fixed(r.gain_lo, sign=True)}, {fixed(r.gain_hi, sign=True)}]{moved}{true}"
                )
        cov = ", ".join(f"{a}={v:.2f}" for a, v in self.interval_coverage.items())
        if cov:
            lines.append(f"{1 - self.alpha:.0%} interval coverage on observed arms: {cov}")
        lines.append(self.overlap.to_text())
        if self.truth is not None:
            t = self.truth
            pehe = ", ".join(f"{k}={v:.2f}" for k, v in t.sqrt_pehe.items())
            lines += [
                f"truth: sqrt(PEHE) {pehe}",
                f"truth: policy {t.policy_value:.2f}, oracle {t.oracle_value:.2f}, best single "
                f"arm {t.best_single_arm} {t.best_single_value:.2f}; regret "
                f"{fixed(t.regret_vs_oracle, 2)}, gain vs best single "
                f"{fixed(t.gain_vs_best_single, 2, sign=True)}",
                f"truth: {1 - self.alpha:.0%} effect intervals vs {self.reference} cover "
                f"{t.effect_interval_group_coverage:.0%} of group mean effects, "
                f"{t.effect_interval_row_coverage:.0%} of individual expected effects",
            ]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (no figures)."""
        d = super().to_dict()
        d.pop("figures")
        d["overlap"] = self.overlap.to_dict()
        return d

    def to_html(self) -> str:
        """A self-contained HTML report with the figures embedded."""
        from jinja2 import Environment, PackageLoader, select_autoescape

        env = Environment(
            loader=PackageLoader("ptsdrx.response", "templates"),
            autoescape=select_autoescape(["html"]),
        )
        env.filters["fixed"] = fixed
        return env.get_template("validation.html").render(v=self, d=self.to_dict())


def _better(values: FloatArray, direction: str) -> FloatArray:
    return values if direction == "higher_is_better" else -values


def dr_scores(
    X: pd.DataFrame,
    Y: Any,
    T: Any,
    arms: list[Hashable],
    *,
    binary: bool,
    n_folds: int = 3,
    clip: float = 0.01,
    random_state: int = 0,
) -> tuple[FloatArray, FloatArray]:
    """Cross-fitted doubly robust scores ``G[n, arms]`` and unclipped propensities."""
    Xa = X.to_numpy(dtype=float, na_value=np.nan)
    y = np.asarray(Y, dtype=float)
    lookup = {a: i for i, a in enumerate(arms)}
    unknown = sorted({str(t) for t in T if t not in lookup})
    if unknown:
        raise ValueError(f"T has arms the model does not know: {unknown}; model arms: {arms}")
    codes = np.array([lookup[t] for t in T], dtype=np.int64)
    folds = list(StratifiedKFold(n_folds, shuffle=True, random_state=random_state).split(Xa, codes))
    nuis = crossfit_nuisances(
        Xa, y, codes, folds, n_arms=len(arms), binary=binary,
        outcome_params=params_for("outcome", None, fast=False),
        propensity_params=params_for("propensity", None, fast=False),
        seeds=NuisanceSeeds(
            outcome=lambda f, a: random_state + 31 * f + a,
            propensity=lambda f: random_state + 7 * f,
        ),
        n_jobs=1,
        empty_arm=lambda a: f"arm {arms[a]!r} has no patients in the validation cohort",
    )  # fmt: skip
    E = nuis.E_raw
    return dr_pseudo_outcomes(nuis.M, clip_propensity(E, clip), y, codes), E


def _mean_ci(x: FloatArray, alpha: float) -> tuple[float, tuple[float, float]]:
    m = float(x.mean())
    se = float(x.std(ddof=1) / np.sqrt(len(x)))
    z = float(stats.norm.ppf(1 - alpha / 2))
    return m, (m - z * se, m + z * se)


def _blp(d: FloatArray, tau: FloatArray, arm: str) -> BLPTest:
    import statsmodels.api as sm

    centred = tau - tau.mean()
    design = sm.add_constant(np.column_stack([centred]), has_constant="add")
    fit = sm.OLS(d, design).fit(cov_type="HC3")
    slope, slope_se = float(fit.params[1]), float(fit.bse[1])
    p = float(1 - stats.norm.cdf(slope / slope_se)) if slope_se > 0 else float("nan")
    return BLPTest(
        arm=arm, ate=float(fit.params[0]), ate_se=float(fit.bse[0]), slope=slope,
        slope_se=slope_se, p_heterogeneity=p,
    )  # fmt: skip


def _toc(d: FloatArray, priority: FloatArray, arm: str) -> TOCCurve:
    order = np.argsort(-priority, kind="stable")
    ds = d[order]
    n = len(ds)
    cum = np.cumsum(ds) / np.arange(1, n + 1)
    overall = ds.mean()
    toc = [float(cum[max(int(np.ceil(q * n)) - 1, 0)] - overall) for q in _Q]
    # AUTOC as a per-row linear statistic (rank weights), so its standard error is simple:
    # weight of rank j is sum_{k>=j} 1/k over n, minus 1 (Yadlowsky et al. 2024, eq. 2.6).
    w = np.cumsum(1.0 / np.arange(n, 0, -1))[::-1] - 1.0
    scores = w * ds
    return TOCCurve(
        arm=arm,
        q=tuple(float(q) for q in _Q),
        toc=tuple(toc),
        autoc=float(scores.mean()),
        autoc_se=float(scores.std(ddof=1) / np.sqrt(n)),
    )


def validate(
    model: TreatmentResponseModel,
    X: pd.DataFrame,
    Y: Any,
    T: Any,
    *,
    truth: pd.DataFrame | None = None,
    eligible: pd.DataFrame | None = None,
    alpha: float = 0.05,
    interval_alpha: float = 0.1,
    n_folds: int = 3,
    random_state: int = 0,
    figures: bool = True,
    policy: str | None = None,
) -> ValidationResult:
    """Validate ``model`` on a held-out cohort ``(X, Y, T)``; ``truth`` = true means per arm.

    ``policy`` names the rule whose value the headline ``policy`` reports (the model's
    ``best_arm`` default when None); ``policies`` compares every rule side by side.
    """
    check_fitted(model, "arms_", "validate needs a fitted TreatmentResponseModel")
    arms = list(model.arms_)
    names = tuple(str(a) for a in arms)
    ref = arms.index(model.reference_)
    direction = model.outcome_direction_
    binary = model.outcome_type_ == "binary"
    y = np.asarray(Y, dtype=float)
    t_arr = np.asarray(T, dtype=object)
    if len(y) != len(X) or len(t_arr) != len(X):
        raise ValueError(f"Y ({len(y)}), T ({len(t_arr)}) and X ({len(X)}) differ in length")
    G, E = dr_scores(X, y, t_arr, arms, binary=binary, n_folds=n_folds, random_state=random_state)
    codes = np.array([arms.index(t) for t in t_arr])
    pred = model.predict_outcomes(X)
    P = pred.to_numpy()
    choice = model.best_arm(X, eligible=eligible, policy=policy)
    has = choice.notna().to_numpy()
    chosen = np.array([arms.index(c) if c is not None else -1 for c in choice])
    n = len(y)
    # policy value (rows without an eligible arm are left out and reported via arm_share)
    rows = np.where(has)[0]
    pol_scores = G[rows, chosen[rows]]
    value, ci = _mean_ci(pol_scores, alpha)
    means = G[rows].mean(axis=0)
    best_single = int(np.argmax(_better(means, direction)))
    diff = _better(pol_scores - G[rows, best_single], direction)
    gain, gain_ci = _mean_ci(diff, alpha)
    share = pd.Series(chosen[rows]).value_counts(normalize=True)
    headline = PolicyValue(
        value=value,
        ci=ci,
        best_single_arm=names[best_single],
        best_single_value=float(means[best_single]),
        gain=gain,
        gain_ci=gain_ci,
        arm_share={names[int(str(i))]: float(s) for i, s in share.items()}
        | {"(no eligible arm)": float(1 - has.mean())},
    )
    blp, toc = [], []
    for a in range(len(arms)):
        if a == ref:
            continue
        d = G[:, a] - G[:, ref]
        tau = P[:, a] - P[:, ref]
        blp.append(_blp(d, tau, names[a]))
        toc.append(_toc(_better(d, direction), _better(tau, direction), names[a]))
    coverage: dict[str, float] = {}
    if not binary:
        iv = model.predict_interval(X, alpha=interval_alpha)
        for a, arm in enumerate(arms):
            m = codes == a
            if m.any():
                lo, hi = iv[arm]["lo"].to_numpy()[m], iv[arm]["hi"].to_numpy()[m]
                coverage[names[a]] = float(np.mean((lo <= y[m]) & (y[m] <= hi)))
    rmse, bins = {}, {}
    for a in range(len(arms)):
        m = codes == a
        if m.sum() < 10:
            continue
        rmse[names[a]] = float(np.sqrt(np.mean((y[m] - P[m, a]) ** 2)))
        dec = pd.qcut(P[m, a], q=min(10, int(m.sum() // 5)), duplicates="drop")
        grouped = pd.DataFrame({"p": P[m, a], "y": y[m]}).groupby(dec, observed=True).mean()
        bins[names[a]] = [
            (float(p), float(o)) for p, o in zip(grouped["p"], grouped["y"], strict=True)
        ]
    overlap = overlap_report(E, codes, names, threshold=model.overlap_threshold, trim=model.trim)
    truth_metrics = (
        None
        if truth is None
        else _truth(model, P, chosen, has, truth, names, ref, alpha=interval_alpha)
    )
    mu_all = None if truth is None else truth[list(model.arms_)].to_numpy(dtype=float)
    policies = compare_policies(model, P, G, eligible, mu_all, alpha=alpha)
    result = ValidationResult(
        n=n, arms=names, reference=names[ref], direction=direction, policy=headline,
        blp=tuple(blp), toc=tuple(toc), overlap=overlap, interval_coverage=coverage,
        alpha=interval_alpha, outcome_rmse=rmse, calibration_bins=bins, truth=truth_metrics,
        policies=policies,
    )  # fmt: skip
    if figures:
        mu = None if truth is None else truth[list(model.arms_)].to_numpy(dtype=float)
        object.__setattr__(result, "figures", _figures(result, E, P, mu))
    return result


def compare_policies(
    model: TreatmentResponseModel,
    P: FloatArray,
    G: FloatArray,
    eligible: pd.DataFrame | None,
    mu: FloatArray | None,
    *,
    alpha: float = 0.05,
) -> PolicyComparison:
    """Doubly robust value of every policy, with ``1 - alpha`` intervals.

    From the cross-fitted scores ``G``, over the patients with an open arm; true values when ``mu``
    is known.
    """
    arms = list(model.arms_)
    sgn = 1.0 if model.outcome_direction_ == "higher_is_better" else -1.0
    mask = (
        np.ones(P.shape, dtype=bool)
        if eligible is None
        else eligible.reindex(columns=arms, fill_value=False).astype(bool).to_numpy()
    )
    rows = np.flatnonzero(mask.any(axis=1))
    mask, P, G = mask[rows], P[rows], G[rows]
    mu = None if mu is None else mu[rows]
    base = TreatmentPolicy("one_size").choose_codes(model, P, mask)
    r = np.arange(len(rows))
    choices: dict[str, Any] = {
        rule: TreatmentPolicy(rule).choose_codes(model, P, mask)  # type: ignore[arg-type]
        for rule in POLICIES
    }
    scores = {name: G[r, c] for name, c in choices.items()}
    n_open = mask.sum(axis=1)
    scores["random"] = np.where(mask, G, 0.0).sum(axis=1) / n_open
    oracle_true = None
    if mu is not None:
        choices["oracle"] = np.where(mask, sgn * mu, -np.inf).argmax(axis=1)
        scores["oracle"] = G[r, choices["oracle"]]
        oracle_true = float(mu[r, choices["oracle"]].mean())
    out = []
    for name, score in scores.items():
        value, (lo, hi) = _mean_ci(score, alpha)
        gain, (g_lo, g_hi) = _mean_ci(sgn * (score - G[r, base]), alpha)
        true_value = true_regret = None
        if mu is not None and oracle_true is not None:
            if name == "random":
                true_value = float((np.where(mask, mu, 0.0).sum(axis=1) / n_open).mean())
            else:
                true_value = float(mu[r, choices[name]].mean())
            true_regret = sgn * (oracle_true - true_value) + 0.0  # never -0
        switched = float(np.mean(choices[name] != base)) if name in choices else None
        out.append(
            PolicyRow(
                policy=name,
                value=value,
                lo=lo,
                hi=hi,
                gain_vs_one_size=gain + 0.0,  # never -0
                gain_lo=g_lo,
                gain_hi=g_hi,
                switched=switched,
                true_value=true_value,
                true_regret=true_regret,
            )
        )
    return PolicyComparison(default=DEFAULT_POLICY, n=len(rows), rows=tuple(out))


def _truth(
    model: TreatmentResponseModel,
    P: FloatArray,
    chosen: Any,
    has: Any,
    truth: pd.DataFrame,
    names: tuple[str, ...],
    ref: int,
    *,
    alpha: float,
) -> TruthMetrics:
    missing = [a for a in model.arms_ if a not in truth.columns]
    if missing:
        raise ValueError(f"truth lacks columns for arms {missing}")
    mu = truth[list(model.arms_)].to_numpy(dtype=float)
    pehe, ate_err, eff_slope = {}, {}, {}
    group_hits: list[bool] = []
    row_hits: list[float] = []
    for i, j in itertools.combinations(range(len(names)), 2):
        key = f"{names[j]} vs {names[i]}"
        est, true = P[:, j] - P[:, i], mu[:, j] - mu[:, i]
        pehe[key] = float(np.sqrt(np.mean((est - true) ** 2)))
        ate_err[key] = float(est.mean() - true.mean())
        if i == ref or j == ref:
            eff_slope[key] = _slope(est, true)
            lo, hi = group_bounds(model.effect_groups_, est, i, j, alpha)
            row_hits.append(float(np.mean((lo <= true) & (true <= hi))))
            # rows of one group share its CI; undo the widening to the point to find them
            groups = model.effect_groups_[f"{i}|{j}"]
            g, _ = group_of(model.effect_groups_, est, i, j)
            z = float(stats.norm.ppf(1 - alpha / 2))
            for k in np.unique(g):
                gap = abs(true[g == k].mean() - groups["theta"][k])
                group_hits.append(bool(gap <= z * groups["se"][k]))
    rows = np.where(has)[0]
    best_mu = mu.max(axis=1) if model.outcome_direction_ == "higher_is_better" else mu.min(axis=1)
    oracle = float(best_mu[rows].mean())
    value = float(mu[rows, chosen[rows]].mean())
    means = mu[rows].mean(axis=0)
    best = int(np.argmax(_better(means, model.outcome_direction_)))
    sign = 1.0 if model.outcome_direction_ == "higher_is_better" else -1.0
    return TruthMetrics(
        sqrt_pehe=pehe,
        ate_error=ate_err,
        policy_value=value,
        oracle_value=oracle,
        best_single_arm=names[best],
        best_single_value=float(means[best]),
        regret_vs_oracle=float(sign * (oracle - value)),
        gain_vs_best_single=float(sign * (value - means[best])),
        outcome_calibration_slope={names[a]: _slope(P[:, a], mu[:, a]) for a in range(len(names))},
        effect_calibration_slope=eff_slope,
        effect_interval_group_coverage=float(np.mean(group_hits)) if group_hits else float("nan"),
        effect_interval_row_coverage=float(np.mean(row_hits)) if row_hits else float("nan"),
    )


def _slope(pred: FloatArray, true: FloatArray) -> float:
    """Slope of the truth on the prediction (1 = well calibrated, <1 = over-dispersed)."""
    v = float(np.var(pred))
    return float(np.cov(pred, true, bias=True)[0, 1] / v) if v > 0 else float("nan")


def _figures(
    v: ValidationResult, E: FloatArray, P: FloatArray, mu: FloatArray | None
) -> dict[str, str]:
    figs: dict[str, str] = {}
    fig = new_figure(6, 4)
    ax = fig.subplots()
    for c in v.toc:
        ax.plot(c.q, c.toc, marker="o", ms=3, label=f"{c.arm} (AUTOC {c.autoc:+.2f})")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("share of patients treated, ranked by predicted benefit")
    ax.set_ylabel(f"benefit vs {v.reference}: top-q minus all (DR)")
    ax.set_title("Targeting operator characteristic (TOC)")
    ax.legend(fontsize=7)
    figs["toc"] = to_png_b64(fig, dpi=100)

    fig = new_figure(6, 4)
    ax = fig.subplots()
    ax.hist(E.min(axis=1), bins=40, color="#4477aa")
    ax.axvline(v.overlap.threshold, color="#cc3311", ls="--", label="support threshold")
    ax.set_xlabel("smallest estimated arm propensity per patient")
    ax.set_ylabel("patients")
    ax.set_title("Overlap")
    ax.legend(fontsize=7)
    figs["overlap"] = to_png_b64(fig, dpi=100)

    fig = new_figure(5, 5)
    ax = fig.subplots()
    lo, hi = np.inf, -np.inf
    for arm, pts in v.calibration_bins.items():
        if pts:
            xs, ys = zip(*pts, strict=True)
            ax.plot(xs, ys, marker="o", ms=3, label=arm)
            lo, hi = min(lo, *xs, *ys), max(hi, *xs, *ys)
    if np.isfinite(lo):
        ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8, ls="--")
    ax.set_xlabel("predicted outcome (decile mean)")
    ax.set_ylabel("observed outcome (decile mean)")
    ax.set_title("Outcome calibration, patients on each arm")
    ax.legend(fontsize=6, ncol=2)
    figs["calibration"] = to_png_b64(fig, dpi=100)

    if v.policies is not None:
        figs["policies"] = policy_figure(v.policies, v.direction)

    if mu is not None:
        fig = new_figure(5, 5)
        ax = fig.subplots()
        ref = v.arms.index(v.reference)
        for a, arm in enumerate(v.arms):
            if a != ref:
                true = mu[:, a] - mu[:, ref]
                ax.scatter(P[:, a] - P[:, ref], true, s=3, alpha=0.4, label=arm)
        ax.axline((0, 0), slope=1, color="grey", lw=0.8, ls="--")
        ax.set_xlabel(f"predicted effect vs {v.reference}")
        ax.set_ylabel("true effect")
        ax.set_title("Effect calibration (simulation truth)")
        ax.legend(fontsize=6, ncol=2)
        figs["effects"] = to_png_b64(fig, dpi=100)
    return figs


def policy_figure(c: PolicyComparison, direction: str) -> str:
    """Each policy's DR gain over the one-size arm with its interval (and the true gain)."""
    fig = new_figure(6, 0.5 + 0.45 * len(c.rows))
    ax = fig.subplots()
    ys = np.arange(len(c.rows))[::-1]
    base_true = c.row("one_size").true_value
    sgn = 1.0 if direction == "higher_is_better" else -1.0
    for y, r in zip(ys, c.rows, strict=True):
        colour = "#cc3311" if r.policy == c.default else "#4477aa"
        err = [[r.gain_vs_one_size - r.gain_lo], [r.gain_hi - r.gain_vs_one_size]]
        ax.errorbar(r.gain_vs_one_size, y, xerr=err, fmt="o", color=colour, capsize=3)
        if r.true_value is not None and base_true is not None:
            ax.plot(sgn * (r.true_value - base_true), y, "kx")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(ys, [r.policy + (" (default)" if r.policy == c.default else "") for r in c.rows])
    ax.set_xlabel("gain over the one-size open arm (DR, 95% CI; x = true gain)")
    ax.set_title("Treatment policies on held-out patients")
    return to_png_b64(fig, dpi=100)
