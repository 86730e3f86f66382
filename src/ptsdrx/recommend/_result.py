"""The recommendation result: immutable, typed, rendered the same by CLI, API and report."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal[
    "recommended", "alternative", "not preferred", "excluded", "needs information", "trial only"
]
STATUSES: tuple[Status, ...] = (
    "recommended",
    "alternative",
    "not preferred",
    "trial only",
    "needs information",
    "excluded",
)
"""Every option status, in the order options are listed."""

NEVER_RECOMMENDED: frozenset[str] = frozenset({"excluded", "trial only", "needs information"})
"""Statuses an option with these screening/availability outcomes can never leave."""

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


class RuleTrace(_Frozen):
    """One screening rule evaluated for an option (copied from the screening result)."""

    id: str
    effect: str
    outcome: str
    rationale: str
    source: str
    verification: str | None = None
    missing: tuple[str, ...] = ()


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
    as_of: str | None = None
    source: str | None = None


class Burden(_Frozen):
    """What an option costs the patient in time, and any clash with their preferences."""

    visits: float | None = None
    clinic_hours: float | None = None
    session_hours: float | None = None
    conflicts: tuple[str, ...] = ()


class AdverseEvent(_Frozen):
    """A known adverse-event rate from the evidence file."""

    event: str
    rate: str
    source: str


class Contribution(_Frozen):
    """One feature's contribution (SHAP, PCL-5 points) to this option's prediction."""

    feature: str
    value: float | str | None
    points: float


class Option(_Frozen):
    """One catalog treatment for this patient: status, prediction, evidence and reasons."""

    treatment: str
    name: str
    status: Status
    rank: int = Field(description="1-based position in the ranked list.")
    screening_status: str | None
    rules: tuple[RuleTrace, ...] = ()
    prediction: Prediction | None = None
    advantage_next_best: Advantage | None = None
    advantage_standard_care: Advantage | None = None
    evidence_grade: str | None = None
    evidence_notes: tuple[str, ...] = ()
    key_trials: tuple[str, ...] = ()
    availability: Availability
    burden: Burden
    adverse_events: tuple[AdverseEvent, ...] = ()
    contributions: tuple[Contribution, ...] = ()
    investigational: bool = False
    reasons: tuple[Reason, ...] = ()

    def fired_rules(self) -> tuple[RuleTrace, ...]:
        """Rules that fired or could not be evaluated (what stands against this option)."""
        return tuple(r for r in self.rules if r.outcome != "not_fired")

    def gating_rules(self) -> tuple[RuleTrace, ...]:
        """The screening rules that decided an ``excluded`` or ``needs information`` status.

        Exclusions that fired for an excluded option; rules that could not be evaluated for
        a needs-information option; empty for any other status.
        """
        if self.status == "excluded":
            return tuple(r for r in self.rules if r.outcome == "fired" and r.effect == "exclude")
        if self.status == "needs information":
            return tuple(r for r in self.rules if r.outcome == "unknown")
        return ()

    def missing_information(self) -> tuple[str, ...]:
        """What to record before a needs-information option can be screened (else empty)."""
        if self.status != "needs information":
            return ()
        return tuple(dict.fromkeys(m for r in self.gating_rules() for m in r.missing))


class SafetyFlag(_Frozen):
    """A record-level urgent flag that comes before any treatment choice."""

    flag: str
    text: str
    source: str | None = None


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


class Recommendation(_Frozen):
    """Ranked options for one patient, safety flags first, with an honest abstention.

    ``abstained`` is true when no option is clearly better than the next (the advantage
    interval does not clear the margin, intervals overlap, or the patient is outside the
    model's support); then no option is ``recommended``.
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

    def option(self, treatment: str) -> Option:
        """The option for one treatment id; ``KeyError`` naming the allowed ids otherwise."""
        for o in self.options:
            if o.treatment == treatment:
                return o
        allowed = ", ".join(o.treatment for o in self.options)
        raise KeyError(f"no option {treatment!r}; allowed: {allowed}")

    def status(self, treatment: str) -> Status:
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
        return {**ordered, **data}

    def to_json(self, indent: int = 2) -> str:
        """The :meth:`to_dict` rendering as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    def summary(self) -> str:
        """A few plain lines: safety flags, the choice (or abstention), then each option."""
        lines = [f"Recommendation for {self.patient_id or 'patient'} as of {self.as_of}"]
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
            lines.append(f"{o.rank:>2}. {o.name}: {o.status}; {shown}")
        return "\n".join(lines)
