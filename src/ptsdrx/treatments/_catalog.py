"""The treatment catalog: typed, immutable entries loaded from ``data/catalog.yaml``.

Every clinical statement (protocol, burden, monitoring, regulatory status) is data with its
own source and verification tag (see ``/work/shared/clinical/FACTS.md`` §7–8); this module
only validates and serves it.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from ptsdrx._datafiles import DataFileError, Frozen, Sourced, describe, packaged, read_yaml

#: Treatment ids of the shared contract, in catalog order.
TREATMENT_IDS: tuple[str, ...] = (
    "mdma_at",
    "psilocybin_at",
    "ketamine_iv",
    "esketamine",
    "sertraline",
    "paroxetine",
    "venlafaxine",
    "prazosin",
    "cpt",
    "pe",
    "emdr",
    "ibogaine",
    "five_meo_dmt",
)

#: Control arms used by the simulator and the evidence base.
CONTROL_ARMS: tuple[str, ...] = ("placebo_therapy", "placebo", "midazolam", "waitlist")

Klass = Literal[
    "psychedelic_assisted", "rapid_acting", "pharmacotherapy", "psychotherapy", "investigational"
]
AccessStatus = Literal[
    "approved", "off_label", "authorised_prescriber", "state_program", "trial_only", "not_available"
]

_JURISDICTION = re.compile(r"^[A-Z]{2}(-[A-Z]{2,3})?$")


class CatalogError(DataFileError):
    """The catalog file is malformed; the message names the entry and field."""


class Protocol(Sourced):
    """The published protocol; ``None`` where the source does not say."""

    summary: str
    doses: str | None
    preparatory_sessions: int | None = Field(ge=0)
    dosing_sessions: int | None = Field(ge=0)
    integrative_sessions: int | None = Field(ge=0)
    dosing_session_hours: float | None = Field(gt=0)
    other_session_hours: float | None = Field(gt=0)
    course_weeks: float | None = Field(gt=0)


class TreatmentBurden(Sourced):
    """Patient burden of the acute course: clinic visits and hours (``None`` = unknown)."""

    visits: int | None = Field(ge=0)
    clinic_hours: float | None = Field(ge=0)
    clinic_hours_lower_bound: bool
    session_hours: float | None = Field(gt=0)
    basis: str


class MonitoringItem(Sourced):
    """One thing that must be watched during or after treatment."""

    what: str


class RegulatoryStatus(Sourced):
    """Status of a treatment *for PTSD* in one jurisdiction.

    ``as_of`` is the date on which the source shows the status holding (the latest dated
    source checked), never the date the status began; ``since`` is when it began (e.g. the
    FDA approval), at the precision the source gives (``1999-12``), or ``None`` when unknown.
    ``jurisdiction`` is the entry that answered; for a sub-national query without its own entry
    (``US-NY``) it is the country entry (``US``), whose status applies there.
    """

    jurisdiction: str
    status: AccessStatus
    as_of: date
    since: str | None = Field(None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    note: str | None = None
    approved_for: tuple[str, ...] = ()


class Treatment(Frozen):
    """One catalog entry.

    Examples
    --------
    >>> t = get_treatment("mdma_at")
    >>> t.availability("AU").status
    'authorised_prescriber'
    """

    id: str
    name: str
    klass: Klass
    mechanism: str
    investigational: bool
    protocol: Protocol
    burden: TreatmentBurden
    monitoring: tuple[MonitoringItem, ...]
    regulatory: dict[str, RegulatoryStatus]

    @field_validator("regulatory", mode="before")
    @classmethod
    def _stamp_jurisdictions(cls, value: Any) -> Any:
        if isinstance(value, dict):
            out = {}
            for code, entry in value.items():
                if not isinstance(code, str) or not _JURISDICTION.match(code):
                    raise ValueError(
                        f"jurisdiction key must look like 'US' or 'US-OR', got {code!r}"
                    )
                out[code] = {**entry, "jurisdiction": code} if isinstance(entry, dict) else entry
            return out
        return value

    def availability(self, jurisdiction: str) -> RegulatoryStatus | None:
        """Regulatory status for PTSD in ``jurisdiction``; the country's when no subdivision entry.

        Returns ``None`` when the catalog knows nothing for that country (unknown, not
        "unavailable").
        """
        code = _check_jurisdiction(jurisdiction)
        if code in self.regulatory:
            return self.regulatory[code]
        return self.regulatory.get(code.split("-")[0])

    def summary(self, jurisdiction: str | None = None) -> str:
        """A few plain lines for people: name, class, protocol, burden, status."""
        lines = [f"{self.name} [{self.id}] — {self.klass.replace('_', ' ')}"]
        if self.investigational:
            lines.append("  INVESTIGATIONAL: never recommended outside a registered trial")
        lines.append(f"  mechanism: {self.mechanism}")
        lines.append(f"  protocol: {self.protocol.summary}")
        hours = "unknown" if self.burden.clinic_hours is None else f"{self.burden.clinic_hours:g} h"
        if self.burden.clinic_hours_lower_bound and self.burden.clinic_hours is not None:
            hours = f">= {hours}"
        visits = "unknown" if self.burden.visits is None else str(self.burden.visits)
        lines.append(f"  burden: {visits} visits, {hours} in clinic")
        codes = [jurisdiction] if jurisdiction else sorted(self.regulatory)
        for code in codes:
            status = self.availability(code)
            text = "unknown" if status is None else _status_text(status)
            lines.append(f"  {code}: {text}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (dates as ISO strings)."""
        return self.model_dump(mode="json")


def _status_text(status: RegulatoryStatus) -> str:
    since = f"since {status.since}, " if status.since else ""
    text = f"{status.status} ({since}as of {status.as_of.isoformat()}, [{status.verification}])"
    if status.approved_for:
        text += f"; approved for: {', '.join(status.approved_for)}"
    return text


def _check_jurisdiction(jurisdiction: str) -> str:
    if not isinstance(jurisdiction, str) or not _JURISDICTION.match(jurisdiction):
        raise ValueError(
            f"jurisdiction must be an ISO 3166 code like 'US', 'US-OR' or 'AU': {jurisdiction!r}"
        )
    return jurisdiction


def load_catalog(path: str | Path | None = None) -> tuple[Treatment, ...]:
    """Load and validate a catalog file (the packaged one by default).

    Raises
    ------
    CatalogError
        Naming the entry and field that failed, or the missing / unknown / duplicate ids.
    """
    try:
        raw = read_yaml(packaged("ptsdrx.treatments", "catalog.yaml") if path is None else path)
    except DataFileError as exc:
        raise CatalogError(str(exc)) from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("treatments"), list):
        raise CatalogError("catalog: expected a mapping with a 'treatments' list")
    entries: list[Treatment] = []
    for i, item in enumerate(raw["treatments"]):
        label = item.get("id", f"#{i}") if isinstance(item, dict) else f"#{i}"
        try:
            entries.append(Treatment.model_validate(item))
        except ValidationError as exc:
            problems = describe(exc).replace("\n", "; ")
            raise CatalogError(f"catalog entry {label!r}: {problems}") from exc
    ids = [t.id for t in entries]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    missing = [i for i in TREATMENT_IDS if i not in ids]
    unknown = [i for i in ids if i not in TREATMENT_IDS]
    if duplicates or missing or unknown:
        raise CatalogError(
            f"catalog ids: duplicates={duplicates}, missing={missing}, unknown={unknown}; "
            f"allowed: {', '.join(TREATMENT_IDS)}"
        )
    for t in entries:
        if t.investigational != (t.klass == "investigational"):
            raise CatalogError(f"catalog entry {t.id!r}: investigational must match klass")
    return tuple(sorted(entries, key=lambda t: TREATMENT_IDS.index(t.id)))


@cache
def catalog() -> tuple[Treatment, ...]:
    """The packaged catalog, in the canonical id order (loaded once)."""
    return load_catalog()


def get_treatment(treatment_id: str) -> Treatment:
    """The catalog entry for ``treatment_id``; ``KeyError`` listing the allowed ids otherwise."""
    for t in catalog():
        if t.id == treatment_id:
            return t
    raise KeyError(f"unknown treatment {treatment_id!r}; allowed: {', '.join(TREATMENT_IDS)}")
