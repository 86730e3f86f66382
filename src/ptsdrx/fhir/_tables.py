"""The FHIR code tables (``fhir/data/codes.yaml``), each entry with its source."""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import Field

from ptsdrx._datafiles import Frozen, Sourced, load, packaged

VitalField = Literal[
    "bp_panel",
    "systolic",
    "diastolic",
    "heart_rate",
    "spo2",
    "temperature_c",
    "qtc_ms",
    "weight_kg",
    "age",
]
Route = Literal["oral", "iv", "im", "intranasal", "sublingual", "transdermal"]


class VitalCode(Sourced):
    """A LOINC vital-sign code, the record field it fills and its accepted UCUM units."""

    loinc: str
    field: VitalField
    units: dict[str, float | Literal["degF"]]


class LabCode(Sourced):
    """A LOINC laboratory code and the biomarker name the record uses for it."""

    loinc: str
    name: str = Field(min_length=1)


class PregnancyCodes(Sourced):
    """The pregnancy-status observation and its two SNOMED CT answers."""

    loinc: str
    pregnant: str
    not_pregnant: str


class GeneticsCodes(Sourced):
    """LOINC codes of the genotype and drug-metabolism observations and their components."""

    genotype: str
    variant_id: str
    metabolizer: str
    gene: str


class RouteCode(Sourced):
    """A SNOMED CT route of administration."""

    snomed: str
    route: Route


class Tables(Frozen):
    """Every table of ``codes.yaml``."""

    vitals: tuple[VitalCode, ...]
    labs: tuple[LabCode, ...]
    pregnancy: PregnancyCodes
    genetics: GeneticsCodes
    routes: tuple[RouteCode, ...]

    def vital(self, loinc: str) -> VitalCode | None:
        """The vital-sign entry for a LOINC code, else ``None``."""
        return _by_loinc(self)[0].get(loinc)

    def vital_for(self, field: VitalField) -> VitalCode:
        """The first (preferred) LOINC entry for a record field."""
        return next(v for v in self.vitals if v.field == field)

    def lab(self, loinc: str) -> LabCode | None:
        """The laboratory entry for a LOINC code, else ``None``."""
        return _by_loinc(self)[1].get(loinc)

    def route(self, snomed: str) -> Route | None:
        """Route for a SNOMED CT code, else ``None``."""
        return next((r.route for r in self.routes if r.snomed == snomed), None)

    def route_code(self, route: str) -> str | None:
        """SNOMED CT code for a route, else ``None``."""
        return next((r.snomed for r in self.routes if r.route == route), None)


def _by_loinc(t: Tables) -> tuple[dict[str, VitalCode], dict[str, LabCode]]:
    if t is not tables():
        return {v.loinc: v for v in t.vitals}, {lab.loinc: lab for lab in t.labs}
    return _index()


@cache
def _index() -> tuple[dict[str, VitalCode], dict[str, LabCode]]:
    t = tables()
    return {v.loinc: v for v in t.vitals}, {lab.loinc: lab for lab in t.labs}


@cache
def tables() -> Tables:
    """The packaged code tables (read once)."""
    return load(Tables, packaged("ptsdrx.fhir", "codes.yaml"))
