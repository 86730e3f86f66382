"""The cold-start prior: expected PCL-5 outcome of a treatment for a baseline.

For use before a clinic has a model of its own.

Two bases: trial arms (a mean change observed in the treatment's own arm), or effect sizes
(a standardised difference vs a control, added to a reference change of that control: how
standard care is reported). The model and every assumption (CAPS-5 → PCL-5 conversion,
response and remission definitions, reference control changes, the SD that converts an SMD
to points) live in ``data/prior.yaml``; unknowns stay ``None`` rather than guessed.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator
from scipy.special import ndtr, ndtri

from ptsdrx._datafiles import Frozen, Verification, load, packaged
from ptsdrx.evidence._trials import Arm, Effect, get_trial
from ptsdrx.treatments import CONTROL_ARMS, TREATMENT_IDS

_MAX = 80.0
#: The assumptions every prior file must state, in the order they are reported.
_ASSUMPTIONS = (
    "caps5_to_pcl5_ratio",
    "response_percent_reduction",
    "remission_pcl5_below",
    "pre_post_correlation",
    "smd_sd_pcl5",
    "individual_change_sd_fraction",
    "smd_uncertainty_sd",
)
#: The assumptions only a prior derived from effect sizes uses.
_DERIVED_ASSUMPTIONS = ("smd_sd_pcl5", "individual_change_sd_fraction", "smd_uncertainty_sd")
#: Plain-words label of each basis, shown in reports and JSON.
BASIS_LABELS = {
    "trial_arms": "from the treatment's own trial arms",
    "effect_sizes": "derived from effect sizes vs control, not from a trial arm",
    "none": "no outcome estimate",
}


class Assumption(Frozen):
    """One configurable modelling assumption, with its source and verification tag."""

    value: float
    text: str
    source: str
    verification: Verification


class ReferenceControl(Frozen):
    """Expected change of a control arm, as a fraction of baseline (negative = improvement).

    ``relative_change_sd`` is how uncertain that fraction is; it widens every interval built
    on this control.
    """

    relative_change: float = Field(ge=-1, le=0)
    relative_change_sd: float = Field(ge=0, le=1)
    text: str
    source: str
    verification: Verification


class EffectRef(Frozen):
    """One between-group effect in the trials file: trial id and label (None: unlabelled)."""

    trial: str
    label: str | None = None


class DerivedSpec(Frozen):
    """A prior derived from standardised effects vs one reference control."""

    control: str
    effects: tuple[EffectRef, ...] = Field(min_length=1)


class PriorSource(Frozen):
    """A trial arm feeding a prior; ``baseline_mean`` overrides a baseline the trial lacks."""

    trial: str
    arm: str
    baseline_mean: float | None = Field(None, gt=0, le=_MAX)
    baseline_source: str | None = None
    baseline_verification: Verification | None = None


class PriorSpec(Frozen):
    """How to build one treatment's prior: from trial arms, from effect sizes, or neither.

    With neither, ``note`` says why no estimate is given (the prior stays ``None``).
    """

    sources: tuple[PriorSource, ...] = ()
    derived: DerivedSpec | None = None
    note: str

    @model_validator(mode="after")
    def _one_basis(self) -> PriorSpec:
        if self.sources and self.derived is not None:
            raise ValueError(
                "give either 'sources' (trial arms) or 'derived' (effect sizes), not both"
            )
        return self


class PriorConfig(Frozen):
    """The whole prior file."""

    schema_version: str
    assumptions: dict[str, Assumption]
    reference_controls: dict[str, ReferenceControl]
    priors: dict[str, PriorSpec]

    @model_validator(mode="after")
    def _complete(self) -> PriorConfig:
        missing = set(_ASSUMPTIONS) - set(self.assumptions)
        extra = set(self.assumptions) - set(_ASSUMPTIONS)
        if missing or extra:
            raise ValueError(
                f"assumptions missing: {sorted(missing)}, unknown: {sorted(extra)}; "
                f"expected exactly {', '.join(_ASSUMPTIONS)}"
            )
        unknown = sorted(set(self.priors) - set(TREATMENT_IDS) - set(CONTROL_ARMS))
        if unknown:
            raise ValueError(f"priors for unknown arms {unknown}")
        for treatment, spec in self.priors.items():
            if spec.derived is not None and spec.derived.control not in self.reference_controls:
                raise ValueError(
                    f"priors.{treatment}.derived.control {spec.derived.control!r} is not one of "
                    f"reference_controls: {', '.join(sorted(self.reference_controls))}"
                )
        return self


def load_prior_config(path: str | Path | None = None) -> PriorConfig:
    """Load the prior assumptions (packaged file by default); errors name the field."""
    return load(PriorConfig, packaged("ptsdrx.evidence", "prior.yaml") if path is None else path)


@cache
def _packaged_config() -> PriorConfig:
    return load_prior_config()


class PriorOutcome(Frozen):
    """Expected PCL-5 outcome at the end of the acute course for one baseline.

    ``interval`` is a central predictive interval for an individual at ``level``; any field
    is ``None`` when the evidence file cannot support it (see ``basis``). ``kind`` says what
    the numbers rest on: the treatment's own trial arms, effect sizes vs a control, or none.
    """

    treatment: str
    baseline_pcl5: float
    kind: Literal["trial_arms", "effect_sizes", "none"]
    expected_pcl5: float | None
    interval: tuple[float, float] | None
    level: float
    expected_change: float | None
    response_probability: float | None
    remission_probability: float | None
    basis: str
    trials: tuple[str, ...]
    assumptions: tuple[str, ...]

    @property
    def label(self) -> str:
        """The basis in plain words (e.g. "derived from effect sizes vs control, ...")."""
        return BASIS_LABELS[self.kind]

    def summary(self) -> str:
        """One or two lines for people."""
        if self.expected_pcl5 is None or self.interval is None:
            head = f"{self.treatment}: no expected PCL-5 from the evidence file"
        else:
            lo, hi = self.interval
            head = (
                f"{self.treatment}: PCL-5 {self.baseline_pcl5:g} -> {self.expected_pcl5:.1f} "
                f"({100 * self.level:.0f}% interval {lo:.1f}-{hi:.1f})"
            )
        probs = []
        if self.response_probability is not None:
            probs.append(f"P(response) {self.response_probability:.0%}")
        if self.remission_probability is not None:
            probs.append(f"P(remission) {self.remission_probability:.0%}")
        tail = f"; {', '.join(probs)}" if probs else ""
        return f"{head}{tail}\n  basis: {self.basis}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, with the plain-words ``label`` of the basis."""
        return {**self.model_dump(mode="json"), "label": self.label}


def _arm_stats(src: PriorSource, rho: float) -> tuple[float, float, int, str, str]:
    """Relative change f, relative SD c, weight n, instrument, note for one source arm."""
    trial = get_trial(src.trial)
    arms: tuple[Arm, ...] = trial.arm(src.arm)
    if len(arms) != 1:
        raise ValueError(f"prior source {src.trial}/{src.arm}: expected one arm, found {len(arms)}")
    arm = arms[0]
    baseline = src.baseline_mean if src.baseline_mean is not None else arm.baseline_mean
    if baseline is None or arm.change_mean is None:
        raise ValueError(f"prior source {src.trial}/{src.arm}: needs a baseline and a mean change")
    sd = arm.change_sd_resolved
    note = ""
    if sd is None and arm.baseline_sd is not None and arm.post_sd is not None:
        s1, s2 = arm.baseline_sd, arm.post_sd
        sd = math.sqrt(s1**2 + s2**2 - 2 * rho * s1 * s2)
        note = f"SD of change derived from pre/post SDs with r={rho:g} [U]"
    if sd is None:
        raise ValueError(f"prior source {src.trial}/{src.arm}: no SD of change can be derived")
    n = arm.n_effective or 1
    if src.baseline_mean is not None:
        note = "; ".join(
            x for x in (note, f"baseline {baseline:g} [{src.baseline_verification or 'U'}]") if x
        )
    return arm.change_mean / baseline, sd / baseline, n, trial.instrument or "", note


def _effects(treatment: str, spec: DerivedSpec) -> list[Effect]:
    """The referenced between-group effects of ``treatment`` vs the spec's control."""
    found: list[Effect] = []
    for ref in spec.effects:
        hits = [
            e
            for e in get_trial(ref.trial).effects
            if e.treatment == treatment
            and e.control == spec.control
            and e.scope == "between_group"
            and e.label == ref.label
        ]
        if len(hits) != 1:
            raise ValueError(
                f"prior {treatment}: effect {ref.trial}/{ref.label or '(unlabelled)'} vs "
                f"{spec.control}: expected one between-group effect, found {len(hits)}"
            )
        found.append(hits[0])
    return found


def _derived_moments(
    treatment: str, spec: DerivedSpec, baseline: float, cfg: PriorConfig
) -> tuple[float, float, float, str]:
    """Expected change, its predictive SD, the mean SMD and a basis text for one baseline.

    change = control relative change x B - SMD x SD (points). The SD adds in quadrature the
    individual spread (a fraction of B), the uncertainty of the control change (a fraction
    of B) and of the SMD (in SMD units x SD), so the interval is wider than one built on a
    treatment's own arm with the same individual spread.
    """
    a = cfg.assumptions
    ctrl = cfg.reference_controls[spec.control]
    effects = _effects(treatment, spec)
    smd = sum(e.value for e in effects) / len(effects)
    sd_points = a["smd_sd_pcl5"].value
    mu = ctrl.relative_change * baseline - smd * sd_points
    spread = a["individual_change_sd_fraction"].value * baseline
    control_sd = ctrl.relative_change_sd * baseline
    effect_sd = a["smd_uncertainty_sd"].value * sd_points
    sd = math.sqrt(spread**2 + control_sd**2 + effect_sd**2)
    listed = ", ".join(
        f"{e.value:g} ({t.trial}{f' {t.label}' if t.label else ''}) [{e.verification}]"
        for e, t in zip(effects, spec.effects, strict=True)
    )
    basis = (
        f"{BASIS_LABELS['effect_sizes']}: {spec.control.replace('_', ' ')} change "
        f"{ctrl.relative_change:+.0%} of baseline [{ctrl.verification}] plus SMD {smd:.2f} "
        f"(mean of {listed}) x SD {sd_points:g} PCL-5 points = {mu:+.1f} points; interval "
        f"adds the uncertainty of the control change (SD {ctrl.relative_change_sd:.0%} of "
        f"baseline) and of the SMD (SD {a['smd_uncertainty_sd'].value:g}) to the individual "
        f"spread ({a['individual_change_sd_fraction'].value:.0%} of baseline)"
    )
    return mu, sd, smd, basis


def _outcome(
    treatment: str,
    baseline: float,
    mu: float,
    sd: float,
    level: float,
    cfg: PriorConfig,
    **rest: Any,
) -> PriorOutcome:
    """Expected PCL-5, interval and response/remission probabilities for change ~ N(mu, sd)."""
    a = cfg.assumptions
    z = float(ndtri(0.5 + level / 2))
    expected = min(max(baseline + mu, 0.0), _MAX)
    lo = min(max(baseline + mu - z * sd, 0.0), _MAX)
    hi = min(max(baseline + mu + z * sd, 0.0), _MAX)
    cut = a["remission_pcl5_below"].value
    threshold = -a["response_percent_reduction"].value / 100 * baseline
    if sd > 0 and baseline > 0:
        response: float | None = float(ndtr((threshold - mu) / sd))
        remission = float(ndtr((cut - baseline - mu) / sd))
    else:  # baseline 0: no symptoms to reduce
        response, remission = None, float(baseline < cut)
    return PriorOutcome(
        treatment=treatment,
        baseline_pcl5=baseline,
        expected_pcl5=expected,
        interval=(lo, hi),
        level=level,
        expected_change=expected - baseline,
        response_probability=response,
        remission_probability=remission,
        **rest,
    )


def _assumption_texts(cfg: PriorConfig, keys: tuple[str, ...]) -> tuple[str, ...]:
    a = cfg.assumptions
    return tuple(f"{k}={a[k].value:g}: {a[k].text} [{a[k].verification}]" for k in keys)


def prior_outcome(
    treatment: str,
    baseline_pcl5: float,
    *,
    level: float = 0.8,
    config: PriorConfig | None = None,
) -> PriorOutcome:
    """The cold-start prior for ``treatment`` at ``baseline_pcl5`` (0–80).

    Examples
    --------
    >>> p = prior_outcome("mdma_at", baseline_pcl5=52.0)
    >>> round(p.expected_pcl5, 1), p.trials
    (21.6, ('mapp1', 'mapp2'))
    >>> prior_outcome("cpt", baseline_pcl5=50.0).label
    'derived from effect sizes vs control, not from a trial arm'
    """
    if treatment not in TREATMENT_IDS and treatment not in CONTROL_ARMS:
        allowed = ", ".join(TREATMENT_IDS + CONTROL_ARMS)
        raise KeyError(f"unknown treatment {treatment!r}; allowed: {allowed}")
    if isinstance(baseline_pcl5, bool) or not isinstance(baseline_pcl5, int | float):
        raise TypeError(f"baseline_pcl5 must be a number 0-80, got {baseline_pcl5!r}")
    if not 0 <= baseline_pcl5 <= _MAX or math.isnan(baseline_pcl5):
        raise ValueError(f"baseline_pcl5 must be between 0 and 80, got {baseline_pcl5}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (exclusive), got {level}")
    cfg = config or _packaged_config()
    a = cfg.assumptions
    baseline = float(baseline_pcl5)
    spec = cfg.priors.get(treatment)
    if spec is None or (not spec.sources and spec.derived is None):
        return PriorOutcome(
            treatment=treatment,
            baseline_pcl5=baseline,
            kind="none",
            expected_pcl5=None,
            interval=None,
            level=level,
            expected_change=None,
            response_probability=None,
            remission_probability=None,
            basis=spec.note
            if spec is not None
            else "no arm-level outcome data or effect size for this treatment in the evidence file",
            trials=(),
            assumptions=(),
        )
    outcome_keys = ("response_percent_reduction", "remission_pcl5_below")
    if spec.derived is not None:
        mu, sd, _, basis = _derived_moments(treatment, spec.derived, baseline, cfg)
        ctrl = cfg.reference_controls[spec.derived.control]
        control_text = (
            f"{spec.derived.control} relative_change={ctrl.relative_change:g} "
            f"(SD {ctrl.relative_change_sd:g}): {ctrl.text} [{ctrl.verification}]"
        )
        return _outcome(
            treatment,
            baseline,
            mu,
            sd,
            level,
            cfg,
            kind="effect_sizes",
            basis=f"{basis}; {spec.note}",
            trials=tuple(dict.fromkeys(e.trial for e in spec.derived.effects)),
            assumptions=(
                control_text,
                *_assumption_texts(cfg, _DERIVED_ASSUMPTIONS + outcome_keys),
            ),
        )

    rho = a["pre_post_correlation"].value
    stats = [_arm_stats(s, rho) for s in spec.sources]
    weights = [n for _, _, n, _, _ in stats]
    total = sum(weights)
    ratio = a["caps5_to_pcl5_ratio"].value
    conv = [ratio if inst == "caps5" else 1.0 for _, _, _, inst, _ in stats]
    f = sum(w * s[0] * c for w, s, c in zip(weights, stats, conv, strict=True)) / total
    cv = sum(w * s[1] * c for w, s, c in zip(weights, stats, conv, strict=True)) / total
    notes = [n for *_, n in stats if n]
    instruments = sorted({inst for *_, inst, _ in stats})
    basis = (
        f"{BASIS_LABELS['trial_arms']}: {len(stats)} arm(s), n={total}, relative change "
        f"{f:+.0%} (SD {cv:.0%} of baseline) on {', '.join(instruments)}; {spec.note}"
        + (f" ({'; '.join(notes)})" if notes else "")
    )
    used: tuple[str, ...] = ("caps5_to_pcl5_ratio",) if "caps5" in instruments else ()
    used += outcome_keys
    used += ("pre_post_correlation",) if any("r=" in n for n in notes) else ()
    return _outcome(
        treatment,
        baseline,
        f * baseline,
        cv * baseline,
        level,
        cfg,
        kind="trial_arms",
        basis=basis,
        trials=tuple(dict.fromkeys(s.trial for s in spec.sources)),
        assumptions=_assumption_texts(cfg, tuple(k for k in _ASSUMPTIONS if k in used)),
    )
