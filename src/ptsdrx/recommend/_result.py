"""The recommendation result: immutable, typed, rendered the same by CLI, API and report."""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ptsdrx._results import Result
from ptsdrx.screening import SafetyFlag
from ptsdrx.site import CrisisText

OptionStatus = Literal[
    "recommended",
    "alternative",
    "not preferred",
    "excluded",
    "needs information",
    "trial only",
    "contraindicated",
    "hold",
]
OPTION_STATUSES: tuple[OptionStatus, ...] = (
    "recommended",
    "alternative",
    "not preferred",
    "trial only",
    "needs information",
    "excluded",
    "contraindicated",
    "hold",
)
"""Every option status, in the order options are listed."""

NEVER_RECOMMENDED: frozenset[str] = frozenset(
    {"excluded", "trial only", "needs information", "contraindicated", "hold"}
)
"""Statuses an option with these screening/availability outcomes can never leave."""

CautionLevel = Literal["major", "minor"]
SafetyTier = Literal["none", "minor caution", "acknowledged major caution", "major caution"]
SAFETY_TIERS: tuple[SafetyTier, ...] = (
    "none",
    "minor caution",
    "acknowledged major caution",
    "major caution",
)
"""Safety tiers in ranking order (an unacknowledged major caution ranks last)."""

ReasonKind = Literal[
    "safety",
    "rule",
    "model",
    "evidence",
    "availability",
    "preference",
    "burden",
    "history",
    "ranking",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Reason(_Frozen):
    """One plain-words reason behind an option's status, with where it comes from."""

    kind: ReasonKind
    text: str
    source: str | None = None


@lru_cache(maxsize=8192)
def reason(kind: ReasonKind, text: str, source: str | None = None) -> Reason:
    """A :class:`Reason`, built once per distinct text.

    A rule or evidence note reads the same for every patient it applies to, and a frozen
    object can be shared.
    """
    return Reason(kind=kind, text=text, source=source)


class RuleTrace(_Frozen):
    """One screening rule evaluated for an option (copied from the screening result)."""

    id: str
    effect: str
    outcome: str
    rationale: str
    source: str
    verification: str | None = None
    missing: tuple[str, ...] = ()
    until: date | None = None
    """For a time-limited exclusion (a washout): the date it ends."""


class Caution(_Frozen):
    """A caution that fired (or could not be evaluated) for an option, by severity."""

    rule: str
    level: CautionLevel
    rationale: str
    acknowledged: bool = False


class DosingNote(_Frozen):
    """A dosing or monitoring instruction (a screening ``note`` rule): shown, never a gate."""

    rule: str
    text: str
    source: str


class Override(_Frozen):
    """A clinician's recorded override of a relative exclusion: rule, reason and who."""

    rule: str
    reason: str = Field(min_length=3)
    clinician: str = Field(min_length=1)


class Prediction(_Frozen):
    """Predicted week-12 PCL-5 under one option, and where the number comes from.

    ``source`` is ``"model"`` for the fitted response model and ``"evidence_prior"`` for
    the cold-start prior from published trials (:func:`ptsdrx.evidence.prior_outcome`);
    ``prior_kind`` then says whether the prior comes from the treatment's own trial arms or
    is derived from effect sizes vs a control (standard care), and ``label`` says it in words.
    """

    source: Literal["model", "evidence_prior"]
    prior_kind: Literal["trial_arms", "effect_sizes"] | None = None
    expected_pcl5: float
    interval: tuple[float, float] | None = None
    interval_level: float | None = None
    remission_probability: float | None = None
    remission_source: Literal["model", "evidence_prior"] | None = None
    response_probability: float | None = None
    basis: str
    trials: tuple[str, ...] = ()
    controlled: bool = True
    """False when the estimate rests on uncontrolled pre-post cohorts (not comparable with
    controlled effects: such an option is never ranked above, or called better than, one
    with a controlled estimate)."""

    @property
    def label(self) -> str:
        """Short plain-words origin: "model", "trial prior" or "derived prior"."""
        if self.source == "model":
            return "model"
        return "derived prior" if self.prior_kind == "effect_sizes" else "trial prior"

    @property
    def label_long(self) -> str:
        """The origin in a sentence, for reports."""
        return {
            "model": "the fitted response model",
            "trial prior": "published trial arms of this treatment (not this clinic)",
            "derived prior": "derived from effect sizes vs control, not from a trial arm",
        }[self.label]


class Advantage(_Frozen):
    """Predicted PCL-5 points gained over a comparator (positive: this option is better)."""

    over: str
    points: float
    interval: tuple[float, float] | None = None
    basis: str


class Availability(_Frozen):
    """Regulatory availability of an option where the patient is treated."""

    jurisdiction: str | None
    status: str | None = Field(None, description="None when the jurisdiction or entry is unknown.")
    as_of: str | None = Field(None, description="The date the source shows the status holding.")
    since: str | None = Field(None, description="When the status began (e.g. approval), if known.")
    source: str | None = None


class OptionBurden(_Frozen):
    """What an option costs the patient in time, and any clash with their preferences."""

    visits: float | None = None
    clinic_hours: float | None = None
    session_hours: float | None = None
    conflicts: tuple[str, ...] = ()


class OptionAdverseEvent(_Frozen):
    """A known adverse-event rate from the evidence file."""

    event: str
    rate: str
    source: str


class FeatureContribution(_Frozen):
    """One feature's contribution (SHAP, PCL-5 points) to this option's prediction."""

    feature: str
    value: float | str | None
    points: float


class Option(_Frozen):
    """One catalog treatment for this patient: status, prediction, evidence and reasons."""

    treatment: str
    name: str
    status: OptionStatus
    rank: int | None = Field(
        description="1-based position in the ranked list; None while a safety hold applies."
    )
    screening_status: str | None
    cautions: tuple[Caution, ...] = ()
    """Fired or unknown cautions, the major ones first."""
    safety_tier: SafetyTier = "none"
    guideline_tier: int | None = None
    guideline_tier_label: str | None = None
    excluded_until: date | None = None
    override: Override | None = None
    dosing_notes: tuple[DosingNote, ...] = ()
    rules: tuple[RuleTrace, ...] = ()
    prediction: Prediction | None = None
    advantage_next_best: Advantage | None = None
    advantage_standard_care: Advantage | None = None
    evidence_grade: str | None = None
    evidence_notes: tuple[str, ...] = ()
    key_trials: tuple[str, ...] = ()
    availability: Availability
    burden: OptionBurden
    adverse_events: tuple[OptionAdverseEvent, ...] = ()
    contributions: tuple[FeatureContribution, ...] = ()
    investigational: bool = False
    reasons: tuple[Reason, ...] = ()

    @property
    def status_label(self) -> str:
        """The status with the highest-severity caution first.

        E.g. "alternative · major caution: pregnancy", "excluded until 2026-11-23", "hold".
        """
        head: str = self.status
        if self.status in ("excluded", "contraindicated") and self.excluded_until is not None:
            head = f"{self.status} until {self.excluded_until.isoformat()}"
        if self.override is not None:
            head += f" · override of {self.override.rule} by {self.override.clinician}"
        if self.cautions:
            c = self.cautions[0]
            level = "major caution" if c.level == "major" else "caution"
            if c.level == "major" and c.acknowledged:
                level = "acknowledged major caution"
            more = f" (+{len(self.cautions) - 1})" if len(self.cautions) > 1 else ""
            head += f" · {level}: {c.rule.replace('_', ' ')}{more}"
        return head

    def fired_rules(self) -> tuple[RuleTrace, ...]:
        """Rules that fired or could not be evaluated (what stands against this option)."""
        return tuple(r for r in self.rules if r.outcome != "not_fired")

    def gating_rules(self) -> tuple[RuleTrace, ...]:
        """The screening rules that decided an ``excluded`` or ``needs information`` status.

        Exclusions that fired for an excluded option; rules that could not be evaluated for
        a needs-information option; empty for any other status.
        """
        if self.status in ("excluded", "contraindicated", "hold"):
            gating = {"contraindicated", "exclude", "hold"}
            return tuple(r for r in self.rules if r.outcome == "fired" and r.effect in gating)
        if self.status == "needs information":
            return tuple(r for r in self.rules if r.outcome == "unknown")
        return ()

    def missing_information(self) -> tuple[str, ...]:
        """What to record before a needs-information option can be screened (else empty)."""
        if self.status != "needs information":
            return ()
        return tuple(dict.fromkeys(m for r in self.gating_rules() for m in r.missing))


class ModelCard(_Frozen):
    """What a clinician needs to know about the model behind the predictions."""

    name: str
    version: str
    trained_on: str
    n_train: int | None = None
    arms: tuple[str, ...] = ()
    feature_schema_version: str | None = None
    validation: str = Field(description="How it was validated (held-out data, cross-fitting).")
    metrics: dict[str, float] = Field(default_factory=dict)
    created: str | None = None


NO_CRISIS_TEXT = (
    "NO CRISIS TEXT CONFIGURED: a suicide-risk flag fired and this site has no crisis text for "
    "the patient's jurisdiction and language. Give the local crisis line in person now and "
    "add a 'safety' section to the site file."
)
"""What a recommendation shows, loudly, instead of silence when no crisis text is set."""


class Recommendation(Result, _Frozen):
    """Ranked options for one patient, safety flags first, with an honest abstention.

    ``abstained`` is true when no option is clearly better than the next (the advantage
    interval does not clear the margin, intervals overlap, or the patient is outside the
    model's support); then no option is ``recommended``. ``hold`` is set while a
    suicide-risk hold applies: options are listed without predictions or ranks, and the
    site's ``crisis`` text (or a loud ``crisis_missing`` warning) comes first.
    ``acknowledged`` and ``overrides`` are what the clinician recorded, stored with the
    recommendation.
    """

    patient_id: str | None
    as_of: date
    jurisdiction: str | None
    safety_flags: tuple[SafetyFlag, ...]
    options: tuple[Option, ...]
    abstained: bool
    abstention_reason: str | None = None
    prediction_source: Literal["model", "evidence_prior", "mixed", "none"]
    in_support: bool | None = None
    model_card: ModelCard | None = None
    policy_version: int
    notes: tuple[str, ...] = ()
    hold: str | None = None
    crisis: CrisisText | None = None
    crisis_missing: bool = False
    acknowledged: tuple[str, ...] = ()
    overrides: tuple[Override, ...] = ()
    clinician: str | None = None

    @property
    def crisis_warning(self) -> str | None:
        """The crisis text to show first, or the loud missing-text warning, or ``None``."""
        if self.crisis is not None:
            return self.crisis.text
        return NO_CRISIS_TEXT if self.crisis_missing else None

    def option(self, treatment: str) -> Option:
        """The option for one treatment id; ``KeyError`` naming the allowed ids otherwise."""
        for o in self.options:
            if o.treatment == treatment:
                return o
        allowed = ", ".join(o.treatment for o in self.options)
        raise KeyError(f"no option {treatment!r}; allowed: {allowed}")

    def status(self, treatment: str) -> OptionStatus:
        """The overall status of one treatment."""
        return self.option(treatment).status

    @property
    def recommended(self) -> Option | None:
        """The recommended option, or ``None`` (abstention, or no candidate)."""
        return next((o for o in self.options if o.status == "recommended"), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; ``options`` is the ranked list, ``safety_flags`` comes first."""
        data = self.model_dump(mode="json")
        ordered = {"safety_flags": data.pop("safety_flags"), "options": data.pop("options")}
        for o, option in zip(ordered["options"], self.options, strict=True):
            pred = o["prediction"] or {}
            if option.prediction is not None:
                pred["label"] = option.prediction.label_long
            o["predicted_pcl5"] = pred.get("expected_pcl5")
            o["interval"] = pred.get("interval")
            o["remission_probability"] = pred.get("remission_probability")
            o["status_label"] = option.status_label
        crisis = {"crisis_warning": self.crisis_warning} if self.crisis_warning else {}
        return {**crisis, **ordered, **data}

    def to_json(self, *, indent: int | None = 2) -> str:
        """The :meth:`to_dict` rendering as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per option, in ranked order (what :meth:`summary` frames)."""
        return [
            {
                "rank": o.rank,
                "treatment": o.treatment,
                "status": o.status_label,
                "predicted_pcl5": None if o.prediction is None else o.prediction.expected_pcl5,
                "evidence": o.evidence_grade,
                "guideline_tier": o.guideline_tier,
                "availability": o.availability.status,
            }
            for o in self.options
        ]

    def to_text(self) -> str:
        """A few plain lines: crisis text, safety flags, the choice (or abstention), options."""
        lines = [f"Recommendation for {self.patient_id or 'patient'} as of {self.as_of}"]
        if self.crisis_warning:
            lines.append(f"CRISIS: {self.crisis_warning}")
        for f in self.safety_flags:
            lines.append(f"SAFETY: {f.text}")
        if self.recommended is not None:
            lines.append(f"Recommended: {self.recommended.name}")
        elif self.abstained:
            lines.append(f"No option is clearly better: {self.abstention_reason}")
        for o in self.options:
            pred = o.prediction
            shown = (
                f"PCL-5 {pred.expected_pcl5:.0f}"
                + (f" [{pred.interval[0]:.0f}, {pred.interval[1]:.0f}]" if pred.interval else "")
                + (f" ({pred.label})" if pred.source == "evidence_prior" else "")
                if pred
                else "no estimate"
            )
            rank = "--" if o.rank is None else f"{o.rank:>2}"
            lines.append(f"{rank}. {o.name}: {o.status_label}; {shown}")
            lines.extend(f"    dosing: {n.text}" for n in o.dosing_notes)
        return "\n".join(lines)
