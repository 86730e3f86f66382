"""The registry side: a Bundle stored all-or-nothing, a patient exported as a Bundle (audited)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from ptsdrx.fhir._exporter import export_bundle
from ptsdrx.fhir._importer import read_bundle
from ptsdrx.fhir._report import ImportResult

if TYPE_CHECKING:
    from ptsdrx.registry import Registry


def import_bundle(
    registry: Registry,
    data: str | bytes | dict[str, Any],
    *,
    as_of: date | None = None,
    strict: bool = False,
) -> tuple[tuple[str, ...], ImportResult]:
    """Read a Bundle and store every patient in one transaction; returns their ids.

    Nothing is stored unless the whole Bundle is accepted: an invalid Bundle raises
    :class:`BundleInvalidError` before the database is touched, and a record the registry
    refuses rolls the transaction back. ``strict`` also refuses a Bundle with any
    unmapped element.
    """
    from ptsdrx.fhir._report import BundleInvalidError

    result = read_bundle(data, as_of=as_of)
    if strict and result.unmapped:
        raise BundleInvalidError([u.summary() for u in result.unmapped])
    ids = []
    with registry.transaction() as session:
        for p in result.patients:
            ids.append(
                registry.insert_record(
                    session, p.record, p.identifiers, source="fhir", unmapped=len(result.unmapped)
                )
            )
    return tuple(ids), result


def export_patient(
    registry: Registry, patient_id: str, *, screening: bool = True
) -> dict[str, Any]:
    """A registered patient as a FHIR Bundle: record, identifiers, sessions, screening."""
    from ptsdrx.registry import SessionStore
    from ptsdrx.registry._convert import load_record
    from ptsdrx.registry._models import PatientIdentifiers

    with registry.transaction() as session:
        record = load_record(session, registry.require_patient(session, patient_id))
        row = session.get(PatientIdentifiers, patient_id)
        registry.audit(session, "export", "record", patient_id, format="fhir")
    from ptsdrx.registry import Identifiers

    idents = None if row is None else Identifiers.of_row(row)
    sessions = SessionStore(registry).for_patient(patient_id)
    result = None
    if screening:
        from ptsdrx.screening import screen

        result = screen(record)
    return export_bundle(record, identifiers=idents, sessions=sessions, screening=result)
