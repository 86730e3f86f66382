"""Bundle out: a patient's record and scored assessments as a FHIR R4B ``collection`` Bundle.

Each administration is a QuestionnaireResponse with every item, plus one Observation per
total and subscale (``derivedFrom`` the response; LOINC where the instrument has a code,
always also ptsdrx's own score code) with its interpretation. Vital signs, weight, age,
pregnancy, labs and genetics are Observations; diagnoses Conditions; medications
MedicationStatements; dosing-session readings Observations marked with the session
extension; screening a RiskAssessment and a recommendation a GuidanceResponse, each with the
rule trace. The result is validated by ``fhir.resources`` before it is returned.

Record parts FHIR does not carry here (trauma history, family history, prior treatments,
preferences, consent, imaging, lactation, ``diagnoses_complete``) are listed in
:data:`NOT_CARRIED`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from ptsdrx.fhir import _codes as c
from ptsdrx.fhir._condition import write_condition
from ptsdrx.fhir._medication import write_medication
from ptsdrx.fhir._patient import EXT_SEX
from ptsdrx.fhir._questionnaire import write_questionnaire_response
from ptsdrx.fhir._tables import VitalField, tables
from ptsdrx.instruments import InstrumentError, score_administration
from ptsdrx.records import Administration, Biomarker, PatientRecord, VitalReadings

NOT_CARRIED = (
    "trauma",
    "family_history",
    "prior_treatments",
    "preferences",
    "consent",
    "imaging",
    "demographics.lactating",
    "demographics.gestational_weeks",
    "demographics.language",
    "vitals.posture",
    "organ_function",
    "diagnoses_complete",
    "psychiatric_history_complete",
    "medical_history_complete",
)
EMPTY_SECTIONS = ("assessments", "diagnoses", "medications", "vitals", "biomarkers")
_NS = uuid.UUID("0b6f3c9e-3f1e-4f7a-9a57-7d2f0c4c5e11")
_VITAL_UNITS = {
    "systolic": "mm[Hg]",
    "diastolic": "mm[Hg]",
    "heart_rate": "/min",
    "spo2": "%",
    "temperature_c": "Cel",
    "qtc_ms": "ms",
    "weight_kg": "kg",
    "age": "a",
}


def _cat(code: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": c.OBS_CATEGORY, "code": code}]}]


def _when(value: date | datetime) -> str:
    """ISO text; a time without an offset is written as UTC (FHIR requires an offset)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.isoformat() + "Z"
    return value.isoformat()


class _Builder:
    def __init__(self, seed: str) -> None:
        self.seed = seed
        self.entries: list[dict[str, Any]] = []

    def add(self, resource: dict[str, Any]) -> str:
        n = len(self.entries)
        rid = str(uuid.uuid5(_NS, f"{self.seed}/{n}"))
        resource = {"resourceType": resource.pop("resourceType"), "id": rid, **resource}
        url = f"urn:uuid:{rid}"
        self.entries.append({"fullUrl": url, "resource": resource})
        return url


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": c.UCUM, "code": unit}


def _vital(subject: str, field: VitalField, value: float, when: Any) -> dict[str, Any]:
    code = tables().vital_for(field)
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": _cat("vital-signs"),
        "code": {"coding": [{"system": c.LOINC, "code": code.loinc}]},
        "subject": {"reference": subject},
        "effectiveDateTime": _when(when),
        "valueQuantity": _quantity(value, _VITAL_UNITS[field]),
    }


def _readings(subject: str, v: VitalReadings, extra: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    if v.systolic is not None and v.diastolic is not None:
        t = tables()
        out.append(
            {
                "resourceType": "Observation",
                "status": "final",
                "category": _cat("vital-signs"),
                "code": {"coding": [{"system": c.LOINC, "code": t.vital_for("bp_panel").loinc}]},
                "subject": {"reference": subject},
                "effectiveDateTime": _when(v.taken_at),
                "component": [
                    {
                        "code": {"coding": [{"system": c.LOINC, "code": t.vital_for(f).loinc}]},
                        "valueQuantity": _quantity(getattr(v, f), "mm[Hg]"),
                    }
                    for f in ("systolic", "diastolic")
                ],
                **extra,
            }
        )
    fields: tuple[VitalField, ...] = ("heart_rate", "spo2", "temperature_c", "qtc_ms")
    for f in fields:
        value = getattr(v, f, None)
        if value is not None:
            out.append({**_vital(subject, f, value, v.taken_at), **extra})
    return out


def _scores(subject: str, adm: Administration, qr: str) -> list[dict[str, Any]]:
    """Observations for the total and each subscale of a scored administration."""
    try:
        result = score_administration(adm)
    except InstrumentError:
        return []  # unscorable items: the response itself still carries every answer
    base = {
        "resourceType": "Observation",
        "status": "final",
        "category": _cat("survey"),
        "subject": {"reference": subject},
        "effectiveDateTime": adm.date.isoformat(),
        "derivedFrom": [{"reference": qr}],
    }
    out = []
    if result.total is not None:
        coding = [{"system": c.CS_SCORE, "code": f"{adm.instrument}-total"}]
        if "total" in result.loinc:
            coding.insert(0, {"system": c.LOINC, "code": result.loinc["total"]})
        obs = {**base, "code": {"coding": coding}, "valueQuantity": {"value": result.total}}
        interp = _interpretation(result)
        if interp:
            obs["interpretation"] = interp
        out.append(obs)
    for name, value in result.subscales.items():
        code = {"coding": [{"system": c.CS_SCORE, "code": f"{adm.instrument}-{name}"}]}
        out.append({**base, "code": code, "valueQuantity": {"value": value}})
    return out


def _interpretation(result: Any) -> list[dict[str, Any]]:
    out = []
    details = result.details
    if details.get("provisional_diagnosis") is not None:
        met = details["provisional_diagnosis"]
        code = "provisional-ptsd" if met else "provisional-ptsd-not-met"
        text = "provisional PTSD" if met else "provisional PTSD criteria not met"
        out.append({"coding": [{"system": c.CS_INTERPRETATION, "code": code}], "text": text})
    if details.get("above_cutoff") is not None:
        code = "above-cutoff" if details["above_cutoff"] else "below-cutoff"
        out.append({"coding": [{"system": c.CS_INTERPRETATION, "code": code}]})
    if result.band:
        out.append({"coding": [{"system": c.CS_INTERPRETATION, "code": f"band-{result.band}"}]})
    for flag in result.flags:
        out.append({"coding": [{"system": c.CS_INTERPRETATION, "code": flag}], "text": flag})
    return out


def _biomarker(subject: str, b: Biomarker) -> dict[str, Any]:
    coding = [{"system": c.CS_BIOMARKER, "code": b.name}]
    if b.loinc:
        coding.insert(0, {"system": c.LOINC, "code": b.loinc})
    out: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": _cat("laboratory"),
        "code": {"coding": coding, "text": b.name},
        "subject": {"reference": subject},
        "valueQuantity": _quantity(b.value, b.unit),
    }
    if b.collected:
        out["effectiveDateTime"] = b.collected.isoformat()
    return out


def _genetics(subject: str, record: PatientRecord) -> list[dict[str, Any]]:
    g = tables().genetics
    out: list[dict[str, Any]] = []
    gen = record.genetics
    if gen is None:
        return out
    for rsid, call in (gen.genotypes or {}).items():
        out.append(
            {
                "resourceType": "Observation",
                "status": "final",
                "category": _cat("laboratory"),
                "code": {"coding": [{"system": c.LOINC, "code": g.genotype}]},
                "subject": {"reference": subject},
                "valueString": call,
                "component": [
                    {
                        "code": {"coding": [{"system": c.LOINC, "code": g.variant_id}]},
                        "valueCodeableConcept": {"coding": [{"system": c.DBSNP, "code": rsid}]},
                    }
                ],
            }
        )
    for gene, phenotype in (gen.metabolizers or {}).items():
        out.append(
            {
                "resourceType": "Observation",
                "status": "final",
                "category": _cat("laboratory"),
                "code": {"coding": [{"system": c.LOINC, "code": g.metabolizer}]},
                "subject": {"reference": subject},
                "valueCodeableConcept": {
                    "coding": [{"system": c.CS_PHENOTYPE, "code": phenotype}],
                    "text": f"{phenotype} metabolizer",
                },
                "component": [
                    {
                        "code": {"coding": [{"system": c.LOINC, "code": g.gene}]},
                        "valueCodeableConcept": {"text": gene},
                    }
                ],
            }
        )
    return out


def _patient(record: PatientRecord, identifiers: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": "Patient"}
    idents: list[dict[str, Any]] = []
    if record.patient_id:
        idents.append({"system": c.PATIENT_ID, "value": record.patient_id})
    if identifiers is not None and identifiers.mrn:
        mr = {"coding": [{"system": c.V2_0203, "code": "MR"}]}
        idents.append({"type": mr, "value": identifiers.mrn})
    if idents:
        out["identifier"] = idents
    if identifiers is not None and identifiers.name:
        out["name"] = [{"text": identifiers.name}]
    if identifiers is not None and identifiers.date_of_birth:
        out["birthDate"] = identifiers.date_of_birth.isoformat()
    d = record.demographics
    if d is not None and d.sex is not None:
        out["extension"] = [{"url": EXT_SEX, "valueCode": d.sex}]
        if d.sex in ("female", "male"):
            out["gender"] = d.sex
    address: dict[str, str] = {}
    if identifiers is not None and identifiers.postal_code:
        address["postalCode"] = identifiers.postal_code
    if d is not None and d.jurisdiction:
        country, _, state = d.jurisdiction.partition("-")
        address |= {"country": country, **({"state": state} if state else {})}
    if address:
        out["address"] = [address]
    return out


def export_bundle(
    record: PatientRecord,
    *,
    identifiers: Any = None,
    sessions: Iterable[Any] = (),
    screening: Any = None,
    recommendation: Any = None,
) -> dict[str, Any]:
    """The patient's FHIR ``collection`` Bundle as JSON-ready dict (validated)."""
    from fhir.resources.R4B.bundle import Bundle

    b = _Builder(record.patient_id or "patient")
    subject = b.add(_patient(record, identifiers))
    d = record.demographics
    when = record.as_of or date.today()
    if d is not None and d.age is not None:
        b.add(_vital(subject, "age", d.age, when))
    if d is not None and d.weight_kg is not None:
        b.add(_vital(subject, "weight_kg", d.weight_kg, when))
    if d is not None and d.pregnant is not None:
        p = tables().pregnancy
        answer = p.pregnant if d.pregnant else p.not_pregnant
        b.add(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": c.LOINC, "code": p.loinc}]},
                "subject": {"reference": subject},
                "effectiveDateTime": when.isoformat(),
                "valueCodeableConcept": {"coding": [{"system": c.SNOMED, "code": answer}]},
            }
        )
    for adm in record.assessments or ():
        qr = b.add({**write_questionnaire_response(adm), "subject": {"reference": subject}})
        for obs in _scores(subject, adm, qr):
            b.add(obs)
    for diag in record.diagnoses or ():
        b.add(write_condition(diag, subject))
    for med in record.medications or ():
        b.add(write_medication(med, subject))
    for v in record.vitals or ():
        for obs in _readings(subject, v, {}):
            b.add(obs)
    for bio in record.biomarkers or ():
        b.add(_biomarker(subject, bio))
    for obs in _genetics(subject, record):
        b.add(obs)
    for s in sessions:
        ext = {"extension": [{"url": c.EXT_SESSION, "valueString": str(s.session_id)}]}
        for v in s.vitals:
            for obs in _readings(subject, v, ext):
                b.add(obs)
    for section in EMPTY_SECTIONS:
        if getattr(record, section) == []:
            b.add(_empty_list(subject, section))
    if screening is not None:
        b.add(_risk_assessment(subject, screening))
    if recommendation is not None:
        b.add(_guidance(subject, recommendation))
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection", "entry": b.entries}
    if record.as_of is not None:
        bundle["timestamp"] = f"{record.as_of.isoformat()}T00:00:00Z"
    Bundle.model_validate(bundle)  # every exported Bundle is valid R4B
    return bundle


def _empty_list(subject: str, section: str) -> dict[str, Any]:
    """A record section known to be empty, as a List with ``emptyReason`` nilknown."""
    return {
        "resourceType": "List",
        "status": "current",
        "mode": "snapshot",
        "code": {"coding": [{"system": c.CS_SECTION, "code": section}]},
        "subject": {"reference": subject},
        "emptyReason": {"coding": [{"system": c.LIST_EMPTY_REASON, "code": "nilknown"}]},
    }


def _trace(rules: Iterable[Any]) -> list[dict[str, Any]]:
    out = []
    for rule in rules:
        missing = f"; missing {', '.join(rule.missing)}" if rule.missing else ""
        out.append(
            {
                "display": (
                    f"{rule.id} [{rule.effect}] {rule.outcome}: {rule.rationale} "
                    f"(source: {rule.source}{missing})"
                )
            }
        )
    return out


def _risk_assessment(subject: str, screening: Any) -> dict[str, Any]:
    """Screening as a RiskAssessment: one prediction per treatment, rule trace in ``basis``."""
    predictions, basis = [], []
    for treatment, ts in screening.per_treatment.items():
        predictions.append(
            {
                "outcome": {"coding": [{"system": c.CS_TREATMENT, "code": treatment}]},
                "qualitativeRisk": {"coding": [{"system": c.CS_SCREENING, "code": ts.status}]},
            }
        )
        basis += [{"display": f"{treatment}: {x['display']}"} for x in _trace(ts.rules)]
    out: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "status": "final",
        "subject": {"reference": subject},
        "method": {"text": f"ptsdrx screening rules {screening.rules_version}".strip()},
        "occurrenceDateTime": screening.as_of.isoformat(),
        "prediction": predictions,
    }
    if basis:
        out["basis"] = basis
    return out


def _guidance(subject: str, rec: Any) -> dict[str, Any]:
    """A recommendation as a GuidanceResponse: ranked options in the note, trace in reasons."""
    notes = [{"text": f"{o.rank}. {o.treatment}: {o.status}"} for o in rec.options]
    reasons = [
        {"text": f"{o.treatment}: {x['display']}"} for o in rec.options for x in _trace(o.rules)
    ]
    out: dict[str, Any] = {
        "resourceType": "GuidanceResponse",
        "moduleUri": f"{c.PTSDRX}/recommend/policy/{rec.policy_version}",
        "status": "success" if not rec.abstained else "data-required",
        "subject": {"reference": subject},
        "occurrenceDateTime": rec.as_of.isoformat(),
    }
    if notes:
        out["note"] = notes
    if reasons:
        out["reasonCode"] = reasons
    return out
