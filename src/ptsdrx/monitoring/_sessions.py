"""Dosing sessions: phase, treatment, doses, staff, a vitals series with CADSS, adverse events.

A session is a pydantic model (validated, immutable). Closing it as complete goes through
:func:`ptsdrx.monitoring.close_session`, which refuses while required readings are missing
(the REMS-style hard stop; SPRAVATO REMS requires ≥2 h monitoring, FACTS.md 6.2, 7).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ptsdrx.instruments import InstrumentError, get
from ptsdrx.records import VitalReadings
from ptsdrx.treatments import TREATMENT_IDS

DoseRoute = Literal["oral", "iv", "im", "intranasal", "sublingual", "other"]
"""How a dose is given (the choices a dosing-session form offers)."""


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Phase(StrEnum):
    """Where in a psychedelic-assisted or ketamine course the session sits."""

    preparation = "preparation"
    dosing = "dosing"
    integration = "integration"


class Dose(_Part):
    """One administered dose (the first dose is the reference for post-dose timing)."""

    given_at: datetime
    amount_mg: Annotated[float, Field(gt=0, le=2000, description="mg (0–2000).")] | None = None
    mg_per_kg: Annotated[float, Field(gt=0, le=20, description="mg/kg (0–20).")] | None = None
    route: DoseRoute
    supplemental: bool = Field(False, description="e.g. the MDMA half-dose 1.5–2.5 h later.")

    @model_validator(mode="after")
    def _amount(self) -> Dose:
        if self.amount_mg is None and self.mg_per_kg is None:
            raise ValueError("a dose needs 'amount_mg' or 'mg_per_kg' (or both)")
        return self


# Vital-sign ranges and the blood-pressure pairing come from records.VitalReadings (one
# definition for clinic and session vitals); the docstring stays the JSON-schema description.
class SessionVitals(VitalReadings):
    """One timed set of in-session readings; any reading may be absent."""

    cadss: float | None = Field(
        None,
        description=(
            "CADSS 23-item total (Bremner 1998); its range is checked by ptsdrx.instruments "
            "(0–92 with items 0–4, a [U] anchor range there)."
        ),
    )
    taken_by: str | None = None

    @field_validator("cadss")
    @classmethod
    def _cadss(cls, v: float | None) -> float | None:
        if v is None:
            return v
        try:
            return get("cadss").score_total(v).total
        except InstrumentError as exc:
            raise ValueError(str(exc)) from None


class SessionAdverseEvent(_Part):
    """An adverse event during or after the session."""

    term: Annotated[str, Field(min_length=2, description="e.g. 'nausea', 'hypertension'.")]
    onset: datetime
    severity: Literal["mild", "moderate", "severe"]
    serious: bool = False
    action: str | None = None
    resolved_at: datetime | None = None

    @model_validator(mode="after")
    def _dates(self) -> SessionAdverseEvent:
        if self.resolved_at is not None and self.resolved_at < self.onset:
            raise ValueError(f"resolved_at ({self.resolved_at}) is before onset ({self.onset})")
        return self


class DosingSession(_Part):
    """One preparation, dosing or integration session.

    ``status`` is ``open`` while the session runs; ``complete`` only via
    :func:`ptsdrx.monitoring.close_session`, which checks required readings; ``aborted``
    records a session stopped early (it keeps its readings and says why in ``note``).
    """

    session_id: str | None = None
    patient_id: str | None = None
    phase: Phase
    treatment: Annotated[str, Field(description="Treatment catalog id (ptsdrx.treatments).")]
    start: datetime
    end: datetime | None = None
    doses: tuple[Dose, ...] = ()
    staff: tuple[str, ...] = ()
    vitals: tuple[SessionVitals, ...] = ()
    adverse_events: tuple[SessionAdverseEvent, ...] = ()
    status: Literal["open", "complete", "aborted"] = "open"
    note: str | None = None

    @field_validator("treatment")
    @classmethod
    def _treatment(cls, v: str) -> str:
        if v not in TREATMENT_IDS:
            raise ValueError(f"treatment must be a catalog id: {', '.join(TREATMENT_IDS)}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> DosingSession:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        if self.status != "open" and self.end is None:
            raise ValueError(f"a session with status {self.status!r} needs an 'end' time")
        if self.doses and self.phase != Phase.dosing:
            raise ValueError(f"doses are recorded only in a dosing session, not {self.phase}")
        if self.status == "aborted" and not self.note:
            raise ValueError("an aborted session needs a 'note' saying why")
        for i, d in enumerate(self.doses):
            if d.given_at < self.start or (self.end is not None and d.given_at > self.end):
                raise ValueError(f"doses.{i}.given_at ({d.given_at}) is outside the session")
        return self

    @property
    def dose_time(self) -> datetime | None:
        """When the first (non-supplemental) dose was given; ``None`` before dosing."""
        firsts = [d.given_at for d in self.doses if not d.supplemental] or [
            d.given_at for d in self.doses
        ]
        return min(firsts) if firsts else None

    def ordered_vitals(self) -> tuple[SessionVitals, ...]:
        """Vitals oldest first."""
        return tuple(sorted(self.vitals, key=lambda v: v.taken_at))

    def with_vitals(self, *readings: SessionVitals) -> DosingSession:
        """A copy with more readings appended (sessions are immutable)."""
        if self.status != "open":
            raise ValueError(f"session is {self.status}; readings cannot be added")
        data = self.model_dump()
        data["vitals"] = [*self.vitals, *readings]
        return type(self).model_validate(data)
