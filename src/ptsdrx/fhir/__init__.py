"""HL7 FHIR R4 (R4B models from ``fhir.resources``) in and out: a boundary adapter.

Import reads a Bundle (transaction, collection, searchset or batch) into one
``PatientRecord`` per patient plus its direct identifiers (kept apart, for the registry's
identifier store); every element that could not be mapped is reported by path and reason.
Export writes a patient's record, scored assessments, dosing-session vital signs, screening
and recommendation as a validated ``collection`` Bundle. One adapter module per resource.

Examples
--------
>>> from datetime import date
>>> from ptsdrx.records import Administration, PatientRecord
>>> rec = PatientRecord(as_of=date(2026, 1, 5), assessments=[
...     Administration(instrument="pcl5", date=date(2026, 1, 5), responses=[2] * 20)])
>>> read_bundle(export_bundle(rec)).patients[0].record == rec
True
"""

from ptsdrx.fhir._exporter import NOT_CARRIED, export_bundle
from ptsdrx.fhir._importer import BUNDLE_TYPES, build_record, parse_bundle, read_bundle
from ptsdrx.fhir._report import BundleInvalidError, ImportedPatient, ImportResult, Unmapped
from ptsdrx.fhir._store import export_patient, import_bundle

__all__ = [
    "BUNDLE_TYPES",
    "NOT_CARRIED",
    "BundleInvalidError",
    "ImportResult",
    "ImportedPatient",
    "Unmapped",
    "build_record",
    "export_bundle",
    "export_patient",
    "import_bundle",
    "parse_bundle",
    "read_bundle",
]
