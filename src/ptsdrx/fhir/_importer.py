"""Bundle in: validated, grouped by patient, mapped to records and identifiers.

Validate it with ``fhir.resources`` (R4B), group its resources by patient, run one adapter per
resource type and build each patient's record and identifiers.

A Bundle that is not valid FHIR, of a type ptsdrx does not read, or whose facts make an
invalid record is refused as a whole (:class:`BundleInvalidError`); everything else that
could not be mapped is listed in :attr:`ImportResult.unmapped` by path and reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from pydantic import ValidationError

from ptsdrx.fhir._condition import read_condition
from ptsdrx.fhir._facts import Facts
from ptsdrx.fhir._list import read_list
from ptsdrx.fhir._medication import read_medication
from ptsdrx.fhir._observation import read_observation
from ptsdrx.fhir._patient import KNOWN_EXTENSIONS, read_patient
from ptsdrx.fhir._questionnaire import read_questionnaire_response
from ptsdrx.fhir._reader import Reader
from ptsdrx.fhir._report import BundleInvalidError, ImportedPatient, ImportResult, Unmapped
from ptsdrx.records import (
    Demographics,
    Genetics,
    PatientRecord,
    VitalSigns,
    format_validation_error,
)

BUNDLE_TYPES = ("transaction", "collection", "searchset", "batch")
_NO_PATIENT = "(no Patient resource)"

Adapter = Callable[[Reader, Facts], None]
_ADAPTERS: dict[str, Adapter] = {
    "QuestionnaireResponse": read_questionnaire_response,
    "Observation": read_observation,
    "Condition": read_condition,
    "List": read_list,
}


def parse_bundle(data: str | bytes | dict[str, Any]) -> Any:
    """A validated ``fhir.resources.R4B`` Bundle, or :class:`BundleInvalidError`."""
    from fhir.resources.R4B.bundle import Bundle

    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise BundleInvalidError([f"(document): not JSON: {exc}"]) from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        got = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise BundleInvalidError([f"resourceType: must be 'Bundle', got {got!r}"])
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as exc:
        raise BundleInvalidError(format_validation_error(exc).splitlines()) from None
    if bundle.type not in BUNDLE_TYPES:
        raise BundleInvalidError(
            [f"type: {bundle.type!r} is not read; allowed: {', '.join(BUNDLE_TYPES)}"]
        )
    return bundle


def _subject(resource: Any) -> str | None:
    ref = getattr(resource, "subject", None) or getattr(resource, "patient", None)
    return None if ref is None or ref.reference is None else str(ref.reference)


def read_bundle(data: str | bytes | dict[str, Any], *, as_of: date | None = None) -> ImportResult:
    """Map a FHIR Bundle to records and identifiers; see the module docstring."""
    from ptsdrx.registry import Identifiers

    bundle = parse_bundle(data)
    problems: list[Unmapped] = []
    facts: dict[str, Facts] = {}
    aliases: dict[str, str] = {}
    entries = list(enumerate(bundle.entry or ()))
    by_ref: dict[str, Any] = {}
    patient_keys: dict[int, str] = {}
    for i, entry in entries:
        res = entry.resource
        if res is None:
            problems.append(Unmapped(f"Bundle.entry[{i}]", "entry without a resource"))
            continue
        for key in (entry.fullUrl, f"{res.get_resource_type()}/{res.id}" if res.id else None):
            if key:
                by_ref[str(key)] = res
        if res.get_resource_type() == "Patient":
            key = str(entry.fullUrl or (f"Patient/{res.id}" if res.id else f"entry[{i}]"))
            facts[key] = Facts()
            patient_keys[id(res)] = key
            for alias in (entry.fullUrl, f"Patient/{res.id}" if res.id else None):
                if alias:
                    aliases[str(alias)] = key
    for i, entry in entries:
        res = entry.resource
        if res is None:
            continue
        path = f"Bundle.entry[{i}].resource({res.get_resource_type()}/{res.id or '-'})"
        if entry.request is not None and entry.request.method not in ("POST", "PUT"):
            problems.append(Unmapped(path, f"request {entry.request.method}: only POST/PUT"))
            continue
        if entry.search is not None and entry.search.mode == "outcome":
            problems.append(Unmapped(path, "search outcome (OperationOutcome): not a fact"))
            continue
        kind = res.get_resource_type()
        if getattr(res, "modifierExtension", None):
            urls = ", ".join(str(e.url) for e in res.modifierExtension)
            problems.append(
                Unmapped(path, f"modifier extension(s) {urls} may change its meaning: left out")
            )
            continue
        if kind == "Medication":
            continue  # read where a statement or request refers to it
        r = Reader(res, path, problems)
        if kind == "Patient":
            read_patient(r, facts[patient_keys[id(res)]])
            r.finish(KNOWN_EXTENSIONS)
            continue
        if kind not in _ADAPTERS and kind not in ("MedicationStatement", "MedicationRequest"):
            problems.append(Unmapped(path, f"resource type {kind} is not mapped by ptsdrx"))
            continue
        target = _owner(res, aliases, facts)
        if target is None:
            problems.append(
                Unmapped(path, f"subject {_subject(res)!r} is not a Patient in this Bundle")
            )
            continue
        if kind in _ADAPTERS:
            _ADAPTERS[kind](r, target)
        else:
            contained = {f"#{x.id}": x for x in getattr(res, "contained", None) or ()}
            read_medication(r, target, {**by_ref, **contained})
        r.finish()
    errors: list[str] = []
    patients = []
    for key, f in facts.items():
        try:
            record = build_record(f, as_of=as_of or _timestamp(bundle), problems=problems)
        except ValueError as exc:
            errors += [f"{key}: {line}" for line in format_validation_error(exc).splitlines()]
            continue
        idents = None
        if f.name or f.birth_date or f.mrn or f.contact or f.postal_code:
            try:
                idents = Identifiers(
                    name=f.name,
                    date_of_birth=f.birth_date,
                    mrn=f.mrn,
                    contact="; ".join(f.contact) or None,
                    postal_code=f.postal_code,
                )
            except ValueError as exc:
                errors += [
                    f"{key}: Patient: {x}" for x in format_validation_error(exc).splitlines()
                ]
                continue
        patients.append(ImportedPatient(key=key, record=record, identifiers=idents))
    if errors:
        raise BundleInvalidError(errors)
    return ImportResult(str(bundle.type), tuple(patients), tuple(problems))


def _timestamp(bundle: Any) -> date | None:
    return None if bundle.timestamp is None else bundle.timestamp.date()


def _owner(res: Any, aliases: dict[str, str], facts: dict[str, Facts]) -> Facts | None:
    subject = _subject(res)
    if subject is not None and subject in aliases:
        return facts[aliases[subject]]
    if subject is None and len(facts) == 1:
        return next(iter(facts.values()))
    if not aliases:  # no Patient resource: one patient per subject named
        return facts.setdefault(subject or _NO_PATIENT, Facts())
    return None


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def build_record(
    f: Facts, *, as_of: date | None, problems: list[Unmapped] | None = None
) -> PatientRecord:
    """The ``PatientRecord`` of the gathered facts (``ValueError`` when they contradict)."""
    as_of = as_of or (max(f.dates) if f.dates else None)
    demo = dict(f.demographics)
    if f.weights:
        demo["weight_kg"] = max(f.weights, key=lambda w: w[0])[1]
    if "age" not in demo and f.birth_date is not None and as_of is not None:
        demo["age"] = _age(f.birth_date, as_of)
    vitals = []
    for when in f.vitals:  # Bundle order (the record's order on a round trip)
        try:
            vitals.append(VitalSigns(taken_at=when, **f.vitals[when]))
        except ValueError as exc:
            for path in f.vital_paths.get(when, ()):
                if problems is not None:
                    problems.append(
                        Unmapped(path, f"readings left out: {format_validation_error(exc)}")
                    )
    genetics = None
    if f.genotypes is not None or f.metabolizers is not None:
        genetics = Genetics(genotypes=f.genotypes, metabolizers=f.metabolizers)
    return PatientRecord(
        patient_id=f.patient_id,
        as_of=as_of,
        demographics=Demographics(**demo) if demo else None,
        assessments=f.section("assessments", f.assessments),
        diagnoses=f.section("diagnoses", f.diagnoses),
        medications=f.section("medications", f.medications),
        vitals=f.section("vitals", vitals),
        biomarkers=f.section("biomarkers", f.biomarkers),
        genetics=genetics,
    )
