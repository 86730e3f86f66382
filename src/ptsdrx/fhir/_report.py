"""What an import gives back: the records, their identifiers, and every element not mapped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ptsdrx.records import PatientRecord

if TYPE_CHECKING:
    from ptsdrx.registry import Identifiers


@dataclass(frozen=True)
class Unmapped:
    """One element of the Bundle that did not reach a record: where it is and why."""

    path: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready dict."""
        return {"path": self.path, "reason": self.reason}

    def summary(self) -> str:
        """One line."""
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class ImportedPatient:
    """One patient of a Bundle: the record and, apart from it, the direct identifiers."""

    key: str
    record: PatientRecord
    identifiers: Identifiers | None


@dataclass(frozen=True)
class ImportResult:
    """The patients a Bundle describes and the elements that could not be mapped."""

    bundle_type: str
    patients: tuple[ImportedPatient, ...]
    unmapped: tuple[Unmapped, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (records included; identifiers never)."""
        return {
            "bundle_type": self.bundle_type,
            "patients": [
                {
                    "key": p.key,
                    "identifiers": p.identifiers is not None,
                    "record": p.record.model_dump(mode="json", exclude_none=True),
                }
                for p in self.patients
            ],
            "unmapped": [u.to_dict() for u in self.unmapped],
        }

    def summary(self) -> str:
        """A few lines: how many patients, then each unmapped element."""
        lines = [
            f"{len(self.patients)} patient(s) from a {self.bundle_type} Bundle; "
            f"{len(self.unmapped)} element(s) not mapped"
        ]
        lines += [f"  {u.summary()}" for u in self.unmapped]
        return "\n".join(lines)


class BundleInvalidError(ValueError):
    """The input is not a valid FHIR R4B Bundle ptsdrx accepts; ``errors`` says why, per path."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("not a valid FHIR Bundle:\n" + "\n".join(f"  {e}" for e in errors))
        self.errors = tuple(errors)
