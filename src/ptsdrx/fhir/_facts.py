"""The facts gathered for one patient while a Bundle is read, then built into a record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ptsdrx.records import Administration, Biomarker, Diagnosis, Medication


@dataclass
class Facts:
    """Everything the adapters found for one patient (mutable while reading)."""

    patient_id: str | None = None
    name: str | None = None
    birth_date: date | None = None
    mrn: str | None = None
    contact: list[str] = field(default_factory=list)
    postal_code: str | None = None
    demographics: dict[str, Any] = field(default_factory=dict)
    weights: list[tuple[datetime, float]] = field(default_factory=list)
    assessments: list[Administration] | None = None
    diagnoses: list[Diagnosis] | None = None
    medications: list[Medication] | None = None
    vitals: dict[datetime, dict[str, float]] = field(default_factory=dict)
    vital_paths: dict[datetime, list[str]] = field(default_factory=dict)
    biomarkers: list[Biomarker] | None = None
    genotypes: dict[str, str] | None = None
    metabolizers: dict[str, str] | None = None
    dates: list[date] = field(default_factory=list)
    empty: set[str] = field(default_factory=set)

    def section(self, name: str, items: list[Any] | None) -> list[Any] | None:
        """A list section: its items, else ``[]`` when a List said it is empty, else unknown."""
        if items:
            return items
        return [] if name in self.empty else None

    def add(self, section: str, item: Any) -> None:
        """Append to a list section, making it known."""
        items = getattr(self, section)
        if items is None:
            items = []
            setattr(self, section, items)
        items.append(item)
