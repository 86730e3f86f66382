"""Screening results: per-rule outcomes, per-treatment status, the whole result.

Rules have graded effects (strongest first): ``contraindicated`` (absolute; a site can never
loosen it), ``exclude`` (a relative or protocol exclusion, offerable only with a recorded
override), ``hold`` (the suicide-risk hold: urgent assessment before any elective treatment),
``caution_major``, ``caution``, and ``note`` (a dosing or monitoring instruction that is shown
but never part of the status).

Each object is immutable and checks its own consistency on construction (clinicedc's
eligibility habit). The status follows from the trace, in the precedence of ``STATUSES``: a
fired contraindication gives ``contraindicated``, then a fired exclusion ``excluded``, a fired
hold ``hold``; a contraindication, exclusion or hold that could not be evaluated gives
``needs_information``; a caution that fired or could not be evaluated gives ``caution``; and
``eligible`` only when every applicable rule was evaluated and none but notes fired.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, Literal

from ptsdrx._datafiles import Frozen
from ptsdrx.screening._errors import ScreeningInconsistency
from ptsdrx.site import CrisisText

Effect = Literal["contraindicated", "exclude", "hold", "caution_major", "caution", "note"]
#: Effects strongest first; ``hold`` stands apart from the escalation ladder of the others.
EFFECTS: tuple[Effect, ...] = (
    "contraindicated",
    "exclude",
    "hold",
    "caution_major",
    "caution",
    "note",
)
#: Effects that block an option outright when they fire (and ask for data when unknown).
BLOCKING: frozenset[str] = frozenset({"contraindicated", "exclude", "hold"})
CAUTIONS: frozenset[str] = frozenset({"caution_major", "caution"})
Outcome = Literal["fired", "not_fired", "unknown"]
Status = Literal["contraindicated", "excluded", "hold", "needs_information", "caution", "eligible"]
#: Statuses in precedence order: the first that applies wins.
STATUSES: tuple[Status, ...] = (
    "contraindicated",
    "excluded",
    "hold",
    "needs_information",
    "caution",
    "eligible",
)
_FIRED_STATUS: dict[str, Status] = {
    "contraindicated": "contraindicated",
    "exclude": "excluded",
    "hold": "hold",
}


@dataclass(frozen=True)
class RuleOutcome:
    """One rule evaluated for one record."""

    id: str
    effect: Effect
    outcome: Outcome
    rationale: str
    source: str
    verification: str
    missing: tuple[str, ...] = ()
    origin: str = "core"
    until: date | None = None
    """For a fired time-limited rule (a washout): the last day it holds, e.g. the stop date of
    an MAOI plus the washout days. ``None``: not time-limited."""

    def __post_init__(self) -> None:
        if (self.outcome == "unknown") != bool(self.missing):
            raise ScreeningInconsistency(
                f"rule {self.id}: outcome {self.outcome!r} with missing={self.missing!r} "
                "(missing fields are listed exactly when the outcome is 'unknown')"
            )
        if self.until is not None and self.outcome != "fired":
            raise ScreeningInconsistency(f"rule {self.id}: 'until' is set only on a fired rule")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; ``missing`` only when the rule could not be evaluated."""
        out: dict[str, Any] = {
            "id": self.id,
            "effect": self.effect,
            "outcome": self.outcome,
            "rationale": self.rationale,
            "source": self.source,
            "verification": self.verification,
            "origin": self.origin,
        }
        if self.missing:
            out["missing"] = list(self.missing)
        if self.until is not None:
            out["until"] = self.until.isoformat()
        return out


def derive_status(rules: Iterable[RuleOutcome]) -> Status:
    """Status from a rule trace, in the precedence of ``STATUSES``.

    A fired contraindication, exclusion or hold wins (in that order); then one that could
    not be evaluated gives ``needs_information``. A caution that fired, or that could not be
    evaluated, gives ``caution``: ``eligible`` means every applicable rule was evaluated and
    none fired, so missing data can never make a treatment look cleaner than it is. Notes
    never change the status.
    """
    rules = tuple(rules)
    fired = {r.effect for r in rules if r.outcome == "fired"}
    for effect in ("contraindicated", "exclude", "hold"):
        if effect in fired:
            return _FIRED_STATUS[effect]
    if any(r.effect in BLOCKING and r.outcome == "unknown" for r in rules):
        return "needs_information"
    if any(r.effect in CAUTIONS and r.outcome != "not_fired" for r in rules):
        return "caution"
    return "eligible"


def _strength(r: RuleOutcome) -> int:
    return EFFECTS.index(r.effect)


@dataclass(frozen=True)
class TreatmentScreening:
    """The status of one treatment with the trace of every rule that applies to it."""

    treatment: str
    status: Status
    rules: tuple[RuleOutcome, ...]

    def __post_init__(self) -> None:
        expected = derive_status(self.rules)
        if self.status != expected:
            raise ScreeningInconsistency(
                f"{self.treatment}: status {self.status!r} but its rules give {expected!r}"
            )

    @property
    def fired(self) -> tuple[RuleOutcome, ...]:
        """Rules that fired, strongest effect first (notes last)."""
        return tuple(sorted((r for r in self.rules if r.outcome == "fired"), key=_strength))

    @property
    def unknown(self) -> tuple[RuleOutcome, ...]:
        """Rules that could not be evaluated, strongest effect first."""
        return tuple(sorted((r for r in self.rules if r.outcome == "unknown"), key=_strength))

    @property
    def missing(self) -> tuple[str, ...]:
        """Every field whose absence kept a contraindication, exclusion or hold unevaluated."""
        return tuple(sorted({m for r in self.rules if r.effect in BLOCKING for m in r.missing}))

    def _cautions(self, effect: str) -> tuple[RuleOutcome, ...]:
        return tuple(r for r in self.rules if r.effect == effect and r.outcome != "not_fired")

    @property
    def major_cautions(self) -> tuple[RuleOutcome, ...]:
        """``caution_major`` rules that fired or could not be evaluated."""
        return self._cautions("caution_major")

    @property
    def minor_cautions(self) -> tuple[RuleOutcome, ...]:
        """``caution`` rules that fired or could not be evaluated."""
        return self._cautions("caution")

    @property
    def caution_level(self) -> Literal["major", "minor"] | None:
        """The strongest caution that fired or could not be evaluated (``None``: none)."""
        if self.major_cautions:
            return "major"
        return "minor" if self.minor_cautions else None

    @property
    def notes(self) -> tuple[RuleOutcome, ...]:
        """Fired ``note`` rules: dosing and monitoring instructions, never part of the status."""
        return tuple(r for r in self.rules if r.effect == "note" and r.outcome == "fired")

    @property
    def _exclusions(self) -> tuple[RuleOutcome, ...]:
        return tuple(
            r
            for r in self.rules
            if r.outcome == "fired" and r.effect in ("contraindicated", "exclude")
        )

    @property
    def excluded_until(self) -> date | None:
        """When every fired contraindication or exclusion is time-limited: the latest ``until``."""
        found = self._exclusions
        if not found or any(r.until is None for r in found):
            return None
        return max(r.until for r in found if r.until is not None)

    @property
    def overridable(self) -> bool:
        """True when the status is ``excluded`` and only ``exclude`` rules (no contraindication)
        exclude it: a clinician may offer it with a recorded override."""
        found = self._exclusions
        return self.status == "excluded" and all(r.effect == "exclude" for r in found)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``status``, the caution summary, notes and every rule's outcome."""
        until = self.excluded_until
        return {
            "status": self.status,
            "caution_level": self.caution_level,
            "excluded_until": None if until is None else until.isoformat(),
            "overridable": self.overridable,
            "notes": [r.id for r in self.notes],
            "rules": [r.to_dict() for r in self.rules],
        }

    def status_text(self) -> str:
        """The status with what qualifies it: ``excluded until 2026-11-23``, ``caution (major)``."""
        until = self.excluded_until
        if until is not None and self.status in ("contraindicated", "excluded"):
            return f"{self.status} until {until.isoformat()}"
        if self.status == "caution" and self.caution_level is not None:
            return f"caution ({self.caution_level})"
        return self.status

    def summary(self) -> str:
        """One line of status, then one line per fired or unknown rule (notes last)."""
        lines = [f"{self.treatment}: {self.status_text()}"]
        for r in self.fired:
            until = f" until {r.until.isoformat()}" if r.until else ""
            lines.append(
                f"  - {r.effect}{until} [{r.id}] {r.rationale} ({r.source} {r.verification})"
            )
        for r in self.unknown:
            lines.append(f"  ? {r.effect} [{r.id}] unknown: needs {', '.join(r.missing)}")
        return "\n".join(lines)


class SafetyFlag(Frozen):
    """A record-level urgent flag raised by an instrument (e.g. C-SSRS high risk).

    ``suicide_risk`` flags call for the site's crisis text. ``str()`` gives the id.
    """

    id: str
    instrument: str
    text: str
    suicide_risk: bool

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True)
class ScreeningResult:
    """Screening of one record for every treatment, plus record-level urgent safety flags."""

    per_treatment: Mapping[str, TreatmentScreening]
    safety_flags: tuple[SafetyFlag, ...]
    as_of: date
    patient_id: str | None = None
    site: str | None = None
    rules_version: str = ""
    parameters: Mapping[str, float] = field(default_factory=dict)
    crisis: CrisisText | None = None
    """The site's crisis text for the patient's jurisdiction and language (``None``: none)."""

    @property
    def crisis_missing(self) -> bool:
        """A suicide-risk flag fired and no crisis text is configured for this patient."""
        return self.crisis is None and any(f.suicide_risk for f in self.safety_flags)

    def __post_init__(self) -> None:
        for tid, ts in self.per_treatment.items():
            if tid != ts.treatment:
                raise ScreeningInconsistency(f"per_treatment[{tid!r}] holds {ts.treatment!r}")
        object.__setattr__(self, "per_treatment", MappingProxyType(dict(self.per_treatment)))
        object.__setattr__(self, "parameters", MappingProxyType(dict(self.parameters)))

    def status(self, treatment: str) -> Status:
        """Status of one treatment (one of ``STATUSES``)."""
        try:
            return self.per_treatment[treatment].status
        except KeyError:
            allowed = ", ".join(self.per_treatment)
            raise KeyError(f"unknown treatment {treatment!r}; screened: {allowed}") from None

    def by_status(self, status: Status) -> tuple[str, ...]:
        """Treatment ids with the given status, in screening order."""
        return tuple(t for t, ts in self.per_treatment.items() if ts.status == status)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; ``treatments`` maps each id to its status and rule trace."""
        return {
            "patient_id": self.patient_id,
            "as_of": self.as_of.isoformat(),
            "site": self.site,
            "rules_version": self.rules_version,
            "parameters": dict(self.parameters),
            "safety_flags": [f.model_dump() for f in self.safety_flags],
            "crisis": None if self.crisis is None else self.crisis.model_dump(),
            "crisis_missing": self.crisis_missing,
            "treatments": {t: ts.to_dict() for t, ts in self.per_treatment.items()},
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The ``to_dict`` rendering as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    def summary(self) -> str:
        """Plain-text summary: urgent flags first, then treatments grouped by status."""
        who = self.patient_id or "patient"
        lines = [f"Screening of {who} as of {self.as_of.isoformat()}"]
        if self.site:
            lines[0] += f" (site: {self.site})"
        for flag in self.safety_flags:
            lines.append(f"URGENT {flag.id}: {flag.text}")
        if self.crisis is not None and any(f.suicide_risk for f in self.safety_flags):
            lines.append(f"CRISIS ({self.crisis.jurisdiction}): {self.crisis.text}")
        elif self.crisis_missing:
            lines.append(
                "CRISIS TEXT NOT CONFIGURED for this patient's jurisdiction: give local "
                "crisis-line details now (add them to the site file's safety section)"
            )
        for status in STATUSES:
            for tid in self.by_status(status):
                lines.append(self.per_treatment[tid].summary())
        return "\n".join(lines)
