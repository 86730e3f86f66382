"""Reading one resource: which elements an adapter used, and reporting the rest.

Each adapter marks the elements it consumed; :meth:`Reader.finish` reports every element
set on the resource that nobody consumed (and every extension by its URL), so nothing is
dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ptsdrx.fhir._report import Unmapped

# Elements that carry no clinical fact of their own (bookkeeping, narrative, links).
_IGNORED = frozenset(
    {"id", "meta", "text", "resourceType", "implicitRules", "language", "subject", "patient"}
)


class Reader:
    """One resource being mapped: ``path`` names it in reports."""

    def __init__(self, resource: Any, path: str, problems: list[Unmapped]) -> None:
        self.resource = resource
        self.path = path
        self.problems = problems
        self._used: set[str] = set()

    def used(self, *names: str) -> None:
        """Mark top-level elements as consumed."""
        self._used.update(names)

    def unmapped(self, where: str, reason: str) -> None:
        """Report one element (``where`` relative to the resource) and why it was not mapped."""
        sep = "" if not where or where.startswith("[") else "."
        self.problems.append(Unmapped(f"{self.path}{sep}{where}", reason))

    def get(self, name: str) -> Any:
        """The element ``name``, marked as consumed."""
        self._used.add(name)
        return getattr(self.resource, name, None)

    def finish(self, known_extensions: Iterable[str] = ()) -> None:
        """Report every element set and not consumed, and each unknown extension."""
        known = set(known_extensions)
        extensions = () if "extension" in self._used else self.resource.extension
        for i, ext in enumerate(extensions or ()):
            if ext.url not in known:
                self.unmapped(f"extension[{i}]", f"extension {ext.url} is not mapped by ptsdrx")
        for name in sorted(self.resource.model_fields_set):
            if name in self._used or name in _IGNORED:
                continue
            if name in {"extension", "modifierExtension"}:
                continue
            self.unmapped(name, "element not mapped by ptsdrx")


def codings(concept: Any) -> Iterator[tuple[str, str, str | None]]:
    """``(system, code, display)`` of each coding in a CodeableConcept (or list of them)."""
    if concept is None:
        return
    for c in concept if isinstance(concept, list) else [concept]:
        for coding in c.coding or ():
            if coding.code is not None:
                yield (coding.system or "", str(coding.code), coding.display)


def code_in(concept: Any, system: str) -> str | None:
    """The first code of ``system`` in a CodeableConcept, else ``None``."""
    return next((code for s, code, _ in codings(concept) if s == system), None)


def text_of(concept: Any) -> str | None:
    """A CodeableConcept's text, else its first coding's display."""
    if concept is None:
        return None
    if concept.text:
        return str(concept.text)
    return next((d for _, _, d in codings(concept) if d), None)


def day(value: Any) -> date | None:
    """A FHIR date/dateTime as a ``date``; ``None`` for partial dates (year or month only)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def instant(value: Any) -> datetime | None:
    """A FHIR dateTime as a ``datetime`` (a full date alone is midnight); else ``None``."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return None


def number(value: Any) -> float | None:
    """A FHIR decimal or integer as ``float``."""
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return float(value)
    return None
