"""The cold-start prior: expected PCL-5 outcome of a treatment for a given baseline, from
the trial arms, for use before a clinic has a model of its own.

The model and every assumption (CAPS-5 → PCL-5 conversion, response and remission
definitions) live in ``data/prior.yaml``; unknowns stay ``None`` rather than guessed.
"""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy.stats import norm

from ptsdrx.evidence._trials import Arm, get_trial
from ptsdrx.treatments import CONTROL_ARMS, TREATMENT_IDS

_MAX = 80.0
#: The assumptions every prior file must state, in the order they are reported.
_ASSUMPTIONS = (
    "caps5_to_pcl5_ratio",
    "response_percent_reduction",
    "remission_pcl5_below",
    "pre_post_correlation",
)

#: libyaml's safe loader when available (about 10x faster), else the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Assumption(_Frozen):
    """One configurable modelling assumption, with its source and verification tag."""

    value: float
    text: str
    source: str
    verification: Literal["V", "V2", "U", "D"]


class PriorSource(_Frozen):
    """A trial arm feeding a prior; ``baseline_mean`` overrides a baseline the trial lacks."""

    trial: str
    arm: str
    baseline_mean: float | None = Field(None, gt=0, le=_MAX)
    baseline_source: str | None = None
    baseline_verification: Literal["V", "V2", "U", "D"] | None = None


class PriorSpec(_Frozen):
    """How to build one treatment's prior: from arms, or from reported rates only."""

    sources: tuple[PriorSource, ...] = ()
    rates_from: str | None = None
    note: str

    @model_validator(mode="after")
    def _one_basis(self) -> PriorSpec:
        if bool(self.sources) == bool(self.rates_from):
            raise ValueError("give either 'sources' (trial arms) or 'rates_from' (a trial id)")
        return self


class PriorConfig(_Frozen):
    """The whole prior file."""

    schema_version: str
    assumptions: dict[str, Assumption]
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
        return self


def load_prior_config(path: str | Path | None = None) -> PriorConfig:
    """Load the prior assumptions (packaged file by default); errors name the field."""
    if path is None:
        text = resources.files("ptsdrx.evidence").joinpath("data/prior.yaml").read_text("utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    try:
        return PriorConfig.model_validate(yaml.load(text, Loader=_YAML_LOADER))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(f"prior config: {problems}") from exc


@cache
def _packaged_config() -> PriorConfig:
    return load_prior_config()


class PriorOutcome(_Frozen):
    """Expected PCL-5 outcome at the end of the acute course for one baseline.

    ``interval`` is a central predictive interval for an individual at ``level``; any field
    is ``None`` when the evidence file cannot support it (see ``basis``).
    """

    treatment: str
    baseline_pcl5: float
    expected_pcl5: float | None
    interval: tuple[float, float] | None
    level: float
    expected_change: float | None
    response_probability: float | None
    remission_probability: float | None
    basis: str
    trials: tuple[str, ...]
    assumptions: tuple[str, ...]

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
        """JSON-ready dict."""
        return self.model_dump(mode="json")


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
    texts = {k: f"{k}={a[k].value:g}: {a[k].text} [{a[k].verification}]" for k in _ASSUMPTIONS}
    empty: dict[str, Any] = {
        "treatment": treatment,
        "baseline_pcl5": baseline,
        "expected_pcl5": None,
        "interval": None,
        "level": level,
        "expected_change": None,
        "response_probability": None,
        "remission_probability": None,
    }
    if spec is None:
        return PriorOutcome(
            **empty,
            basis="no arm-level outcome data for this treatment in the evidence file",
            trials=(),
            assumptions=(),
        )
    if spec.rates_from is not None:
        trial = get_trial(spec.rates_from)
        rates = {r.outcome: r.value for r in trial.rates if r.arm == treatment}
        return PriorOutcome(
            **{
                **empty,
                "response_probability": rates.get("response"),
                "remission_probability": rates.get("remission"),
            },
            basis=f"reported rates only ({trial.id}): {spec.note}",
            trials=(trial.id,),
            assumptions=(),
        )

    rho = a["pre_post_correlation"].value
    stats = [_arm_stats(s, rho) for s in spec.sources]
    weights = [n for _, _, n, _, _ in stats]
    total = sum(weights)
    ratio = a["caps5_to_pcl5_ratio"].value
    conv = [ratio if inst == "caps5" else 1.0 for _, _, _, inst, _ in stats]
    f = sum(w * s[0] * c for w, s, c in zip(weights, stats, conv, strict=True)) / total
    cv = sum(w * s[1] * c for w, s, c in zip(weights, stats, conv, strict=True)) / total
    mu, sd = f * baseline, cv * baseline
    z = float(norm.ppf(0.5 + level / 2))
    expected = min(max(baseline + mu, 0.0), _MAX)
    lo = min(max(baseline + mu - z * sd, 0.0), _MAX)
    hi = min(max(baseline + mu + z * sd, 0.0), _MAX)
    cut = a["remission_pcl5_below"].value
    threshold = -a["response_percent_reduction"].value / 100 * baseline
    if sd > 0:
        response: float | None = float(norm.cdf((threshold - mu) / sd))
        remission = float(norm.cdf((cut - baseline - mu) / sd))
    else:  # baseline 0: no symptoms to reduce
        response, remission = None, float(baseline < cut)
    notes = [n for *_, n in stats if n]
    instruments = sorted({inst for *_, inst, _ in stats})
    basis = (
        f"{len(stats)} arm(s), n={total}, relative change {f:+.0%} (SD {cv:.0%} of baseline) "
        f"on {', '.join(instruments)}; {spec.note}" + (f" ({'; '.join(notes)})" if notes else "")
    )
    used: tuple[str, ...] = ("caps5_to_pcl5_ratio",) if "caps5" in instruments else ()
    used += ("response_percent_reduction", "remission_pcl5_below")
    used += ("pre_post_correlation",) if any("r=" in n for n in notes) else ()
    return PriorOutcome(
        treatment=treatment,
        baseline_pcl5=baseline,
        expected_pcl5=expected,
        interval=(lo, hi),
        level=level,
        expected_change=expected - baseline,
        response_probability=response,
        remission_probability=remission,
        basis=basis,
        trials=tuple(dict.fromkeys(s.trial for s in spec.sources)),
        assumptions=tuple(texts[k] for k in _ASSUMPTIONS if k in used),
    )
