"""Random-effects meta-analysis of the trial effects, per treatment and control.

Pooling uses statsmodels' ``combine_effects`` (DerSimonian–Laird, ``method_re="dl"``).
statsmodels 0.14 does not truncate the DL moment estimate of τ² at zero, so a negative
estimate (less spread than chance) is reported as τ² = 0, I² = 0 and the fixed-effect
(inverse-variance) result is used, which is the DL estimator as published
(DerSimonian & Laird 1986; Borenstein et al. 2009, ch. 16).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from scipy.stats import chi2

from ptsdrx._datafiles import Frozen
from ptsdrx.evidence._trials import SYNTHESES, Effect, EvidenceStudy, trials
from ptsdrx.treatments import TREATMENT_IDS

_SMD = frozenset({"d", "g", "smd"})
_Z95 = 1.959963984540054


class PooledEffect(Frozen):
    """A standardised mean difference (positive = benefit) of ``treatment`` vs ``control``.

    ``method`` says how it was obtained: pooled here with DerSimonian–Laird random effects,
    a single study's own estimate, or a published synthesis quoted as reported.
    """

    treatment: str
    control: str
    measure: Literal["smd"] = "smd"
    method: Literal["random_effects_dl", "single_study", "published"]
    k: int | None
    estimate: float
    ci_low: float | None
    ci_high: float | None
    tau2: float | None = None
    i2: float | None = None
    q: float | None = None
    q_pvalue: float | None = None
    trials: tuple[str, ...]
    weights: tuple[float, ...] | None = None
    study_estimates: tuple[float, ...] | None = None
    study_variances: tuple[float, ...] | None = None
    label: str | None = None
    verification: str

    @property
    def ci_excludes_zero(self) -> bool | None:
        """True when the 95% CI lies above zero; ``None`` when no CI is known."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return self.ci_low > 0 or self.ci_high < 0

    def summary(self) -> str:
        """One line: estimate, CI, heterogeneity, basis."""
        ci = "" if self.ci_low is None else f" (95% CI {self.ci_low:.2f} to {self.ci_high:.2f})"
        het = ""
        if self.tau2 is not None and self.i2 is not None:
            het = f", tau²={self.tau2:.3f}, I²={100 * self.i2:.0f}%"
        k = "" if self.k is None else f", k={self.k}"
        what = {"random_effects_dl": "random effects (DL)", "single_study": "single study"}.get(
            self.method, "published synthesis"
        )
        label = f" [{self.label}]" if self.label else ""
        return (
            f"{self.treatment} vs {self.control}: SMD {self.estimate:.2f}{ci}{k}{het} — {what}"
            f"{label}; {', '.join(self.trials)} [{self.verification}]"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return self.model_dump(mode="json")


class NotPooled(Frozen):
    """A trial that informs the treatment but could not enter the pooling, and why."""

    trial: str
    reason: str


class Synthesis(Frozen):
    """Everything the evidence file says quantitatively about one treatment."""

    treatment: str
    pooled: tuple[PooledEffect, ...]
    published: tuple[PooledEffect, ...]
    not_pooled: tuple[NotPooled, ...]

    @property
    def primary(self) -> PooledEffect | None:
        """The headline effect (``None`` when there is no effect at all).

        Verified before unverified, then the most studies, then our own pooling before a published
        one.
        """
        candidates = [*self.pooled, *self.published]
        if not candidates:
            return None
        return max(
            candidates,
            key=lambda p: (p.verification != "U", p.k or 0, p.method != "published"),
        )

    def summary(self) -> str:
        """Plain lines for people."""
        lines = [f"Evidence synthesis: {self.treatment}"]
        lines += [f"  pooled: {p.summary()}" for p in self.pooled]
        lines += [f"  published: {p.summary()}" for p in self.published]
        lines += [f"  not pooled: {n.trial} ({n.reason})" for n in self.not_pooled]
        if len(lines) == 1:
            lines.append("  no quantitative evidence in the trials file")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (includes the primary effect)."""
        out = self.model_dump(mode="json")
        primary = self.primary
        out["primary"] = None if primary is None else primary.to_dict()
        return out


def pool_random_effects(values: Sequence[float], variances: Sequence[float]) -> dict[str, Any]:
    """DerSimonian–Laird random-effects pooling via statsmodels, τ² truncated at zero.

    Returns estimate, ci_low, ci_high, tau2, i2 (fraction), q, q_pvalue and the relative
    weights. Needs at least two studies.

    Examples
    --------
    >>> r = pool_random_effects([0.2, 0.9], [0.04, 0.05])
    >>> round(r["estimate"], 3), round(r["tau2"], 4)
    (0.543, 0.2)
    """
    from statsmodels.stats.meta_analysis import combine_effects  # heavy: import when pooling

    eff = np.asarray(values, dtype=float)
    var = np.asarray(variances, dtype=float)
    if eff.shape != var.shape or eff.size < 2:
        raise ValueError("pooling needs at least two effects with one variance each")
    if not np.all(np.isfinite(var)) or np.any(var <= 0):
        raise ValueError(f"variances must be positive and finite, got {var.tolist()}")
    with warnings.catch_warnings():
        # With a negative DL moment estimate statsmodels takes sqrt of negative variances for
        # the random-effects columns; those are discarded below, so the warning is noise.
        warnings.simplefilter("ignore", RuntimeWarning)
        res = combine_effects(eff, var, method_re="dl", use_t=False)
        frame = res.summary_frame()
    q = float(res.q)
    df = eff.size - 1
    if res.tau2 > 0:
        row, tau2, weights = frame.loc["random effect"], float(res.tau2), res.weights_rel_re
    else:  # DL truncates a negative moment estimate at 0: random = fixed effect
        row, tau2, weights = frame.loc["fixed effect"], 0.0, res.weights_rel_fe
    return {
        "estimate": float(row["eff"]),
        "ci_low": float(row["ci_low"]),
        "ci_high": float(row["ci_upp"]),
        "tau2": tau2,
        "i2": max(0.0, (q - df) / q) if q > 0 else 0.0,
        "q": q,
        "q_pvalue": float(chi2.sf(q, df)),
        "weights": tuple(float(w) for w in weights),
    }


def _variance(trial: EvidenceStudy, effect: Effect) -> tuple[float | None, str]:
    """Sampling variance of an SMD: from its CI/SE, else from the arm sizes (Borenstein et al.

    2009, eq. 4.20: (n1+n2)/(n1·n2) + d²/(2(n1+n2))).
    """
    if effect.variance is not None:
        return effect.variance, "ci_or_se"
    n1 = sum(a.n_effective or 0 for a in trial.arm(effect.treatment))
    n2 = sum(a.n_effective or 0 for a in trial.arm(effect.control or ""))
    if trial.kind == "crossover_rct":
        return None, "crossover: arm sizes do not give a parallel-group variance"
    if n1 and n2:
        return (n1 + n2) / (n1 * n2) + effect.value**2 / (2 * (n1 + n2)), "arm_sizes"
    return None, "no CI, SE or arm sizes for the effect"


def synthesize(treatment: str, *, evidence: Sequence[EvidenceStudy] | None = None) -> Synthesis:
    """Pool the PTSD RCT effects of ``treatment`` per control; quote published syntheses.

    Only each RCT's headline between-group SMD (the unlabelled one) is pooled; labelled
    secondary effects (other time points, doses, subgroups) are not.

    Examples
    --------
    >>> s = synthesize("mdma_at")
    >>> s.primary.k, round(s.primary.estimate, 2)
    (2, 0.79)
    """
    if treatment not in TREATMENT_IDS:
        raise KeyError(f"unknown treatment {treatment!r}; allowed: {', '.join(TREATMENT_IDS)}")
    rows = (
        trials(treatment)
        if evidence is None
        else [t for t in evidence if treatment in t.treatments]
    )
    groups: dict[str, list[tuple[EvidenceStudy, Effect, float]]] = {}
    published: list[PooledEffect] = []
    not_pooled: list[NotPooled] = []
    for trial in rows:
        if trial.indication != "ptsd":
            not_pooled.append(NotPooled(trial=trial.id, reason=f"indirect ({trial.indication})"))
            continue
        smds = [
            e
            for e in trial.effects
            if e.treatment == treatment and e.scope == "between_group" and e.measure in _SMD
        ]
        if trial.kind in SYNTHESES or trial.kind == "secondary_compilation":
            headline = [e for e in smds if e.label is None] or smds
            if trial.kind in SYNTHESES and smds:
                published.append(_published(trial, headline[0]))
            elif trial.kind in SYNTHESES:
                not_pooled.append(
                    NotPooled(trial=trial.id, reason="synthesis without a between-group SMD")
                )
            else:
                not_pooled.append(
                    NotPooled(trial=trial.id, reason="compiled effects without variances")
                )
            continue
        headline = [e for e in smds if e.label is None]
        if not trial.randomised or not headline:
            why = "not randomised" if not trial.randomised else "no between-group SMD reported"
            if trial.randomised and smds:
                why = "only secondary (labelled) SMDs reported"
            not_pooled.append(NotPooled(trial=trial.id, reason=why))
            continue
        effect = headline[0]
        variance, basis = _variance(trial, effect)
        if variance is None:
            not_pooled.append(NotPooled(trial=trial.id, reason=basis))
            continue
        groups.setdefault(effect.control or "", []).append((trial, effect, variance))
    pooled = tuple(_pool(treatment, control, items) for control, items in sorted(groups.items()))
    return Synthesis(
        treatment=treatment,
        pooled=pooled,
        published=tuple(published),
        not_pooled=tuple(not_pooled),
    )


def _pool(
    treatment: str, control: str, items: list[tuple[EvidenceStudy, Effect, float]]
) -> PooledEffect:
    ids = tuple(t.id for t, _, _ in items)
    tags = {e.verification for _, e, _ in items}
    verification = "V" if tags == {"V"} else "D" if tags <= {"V", "D"} else "U"
    if len(items) == 1:
        _, e, var = items[0]
        half = _Z95 * math.sqrt(var)
        return PooledEffect(
            treatment=treatment,
            control=control,
            method="single_study",
            k=1,
            estimate=e.value,
            ci_low=e.value - half,
            ci_high=e.value + half,
            trials=ids,
            study_estimates=(e.value,),
            study_variances=(var,),
            verification=verification,
        )
    r = pool_random_effects([e.value for _, e, _ in items], [v for _, _, v in items])
    return PooledEffect(
        treatment=treatment,
        control=control,
        method="random_effects_dl",
        k=len(items),
        trials=ids,
        study_estimates=tuple(e.value for _, e, _ in items),
        study_variances=tuple(v for _, _, v in items),
        verification=verification,
        **r,
    )


def _published(trial: EvidenceStudy, effect: Effect) -> PooledEffect:
    ci = effect.ci
    return PooledEffect(
        treatment=effect.treatment,
        control=effect.control or "",
        method="published",
        k=trial.k,
        estimate=effect.value,
        ci_low=None if ci is None else ci[0],
        ci_high=None if ci is None else ci[1],
        trials=(trial.id,),
        label=effect.label,
        verification=effect.verification,
    )
