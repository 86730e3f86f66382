"""Screening results: per-rule outcomes, per-treatment status, the whole result.

Each object is immutable and checks its own consistency on construction (clinicedc's
eligibility habit): a treatment is ``excluded`` exactly when an exclusion rule fired,
``needs_information`` exactly when none fired but one could not be evaluated, ``caution``
when a caution rule fired or could not be evaluated, and ``eligible`` only when every
applicable rule was evaluated and none fired.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, Literal

from ptsdrx.screening._errors import ScreeningInconsistency

Effect = Literal["exclude", "caution"]
Outcome = Literal["fired", "not_fired", "unknown"]
Status = Literal["eligible", "caution", "excluded", "needs_information"]
STATUSES: tuple[Status, ...] = ("excluded", "needs_information", "caution", "eligible")


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

    def __post_init__(self) -> None:
        if (self.outcome == "unknown") != bool(self.missing):
            raise ScreeningInconsistency(
                f"rule {self.id}: outcome {self.outcome!r} with missing={self.missing!r} "
                "(missing fields are listed exactly when the outcome is 'unknown')"
            )

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
        return out


def derive_status(rules: Iterable[RuleOutcome]) -> Status:
    """Status from a rule trace: a fired exclusion wins, then an unknown exclusion.

    A caution that fired, or that could not be evaluated, gives ``caution``: ``eligible``
    means every applicable rule was evaluated and none fired, so missing data can never
    make a treatment look cleaner than it is.
    """
    rules = tuple(rules)
    if any(r.effect == "exclude" and r.outcome == "fired" for r in rules):
        return "excluded"
    if any(r.effect == "exclude" and r.outcome == "unknown" for r in rules):
        return "needs_information"
    if any(r.effect == "caution" and r.outcome != "not_fired" for r in rules):
        return "caution"
    return "eligible"


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
        """Rules that fired (exclusions first)."""
        return tuple(
            sorted(
                (r for r in self.rules if r.outcome == "fired"), key=lambda r: r.effect != "exclude"
            )
        )

    @property
    def unknown(self) -> tuple[RuleOutcome, ...]:
        """Rules that could not be evaluated (exclusions first)."""
        return tuple(
            sorted(
                (r for r in self.rules if r.outcome == "unknown"),
                key=lambda r: r.effect != "exclude",
            )
        )

    @property
    def missing(self) -> tuple[str, ...]:
        """Every field whose absence kept an exclusion rule from being evaluated."""
        return tuple(sorted({m for r in self.rules if r.effect == "exclude" for m in r.missing}))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``status`` and every rule's outcome."""
        return {"status": self.status, "rules": [r.to_dict() for r in self.rules]}

    def summary(self) -> str:
        """One line of status, then one line per fired or unknown rule."""
        lines = [f"{self.treatment}: {self.status}"]
        for r in self.fired:
            lines.append(f"  - {r.effect} [{r.id}] {r.rationale} ({r.source} {r.verification})")
        for r in self.unknown:
            lines.append(f"  ? {r.effect} [{r.id}] unknown: needs {', '.join(r.missing)}")
        return "\n".join(lines)


@dataclass(frozen=True)
class ScreeningResult:
    """Screening of one record for every treatment, plus record-level urgent safety flags."""

    per_treatment: Mapping[str, TreatmentScreening]
    safety_flags: tuple[str, ...]
    as_of: date
    patient_id: str | None = None
    site: str | None = None
    rules_version: str = ""
    parameters: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for tid, ts in self.per_treatment.items():
            if tid != ts.treatment:
                raise ScreeningInconsistency(f"per_treatment[{tid!r}] holds {ts.treatment!r}")
        object.__setattr__(self, "per_treatment", MappingProxyType(dict(self.per_treatment)))
        object.__setattr__(self, "parameters", MappingProxyType(dict(self.parameters)))

    def status(self, treatment: str) -> Status:
        """Status of one treatment: eligible, caution, excluded or needs_information."""
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
            "safety_flags": list(self.safety_flags),
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
            lines.append(f"URGENT {flag}: urgent safety assessment before any elective treatment")
        for status in STATUSES:
            for tid in self.by_status(status):
                lines.append(self.per_treatment[tid].summary())
        return "\n".join(lines)
