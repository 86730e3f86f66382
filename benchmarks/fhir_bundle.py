"""A deterministic FHIR R4 Bundle of simulated patients in the shape EHRs send.

Each patient is a ``collection`` entry set with ``urn:uuid`` references: a Patient (MRN,
name, telecom, home address with a ZIP code, US Core birth sex, a race extension ptsdrx does
not read), a PCL-5 and a PHQ-9 QuestionnaireResponse (items by linkId, some answers as LOINC
answer codings with an ordinal value, as Epic sends them), vital signs (a blood-pressure
panel, heart rate, body weight in pounds), laboratory results (CRP in mg/L, creatinine that
ptsdrx does not map), Conditions (ICD-10-CM with SNOMED CT) and a MedicationStatement
(RxNorm). Everything comes from ``random.Random(seed)``: the same arguments give the same
Bundle. Nothing real: names, MRNs and phone numbers are made up.

Usage from a benchmark: ``bundle(1000)``; from the shell:
``python benchmarks/fhir_bundle.py 1000 > bundle.json``.
"""

from __future__ import annotations

import json
import random
import sys
import uuid
from datetime import date, timedelta
from typing import Any

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
PCL5_ANSWERS = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9", "LA6572-7")
ZIPS = ("97201", "80302", "10001", "60614", "94110", "02139", "73301", "98101", "03601")
STATES = {"97": "OR", "80": "CO", "10": "NY", "60": "IL", "94": "CA", "02": "MA", "73": "TX"}
CONDITIONS = (
    ("F43.10", "47505003", "Post-traumatic stress disorder, unspecified"),
    ("F32.1", "310495003", "Major depressive disorder, single episode, moderate"),
    ("I10", "59621000", "Essential hypertension"),
)
DRUGS = (("36437", "sertraline", 50), ("32937", "paroxetine", 20), ("39786", "venlafaxine", 75))


def _obs(
    pid: str, when: str, code: str, category: str, value: float, unit: str, ucum: str
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": category,
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": pid},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": ucum},
    }


def _qr(pid: str, when: str, loinc: str, answers: list[int], coded: bool) -> dict[str, Any]:
    items = []
    for n, value in enumerate(answers, start=1):
        if coded and n <= 2:
            answer = {
                "valueCoding": {
                    "system": LOINC,
                    "code": PCL5_ANSWERS[value],
                    "extension": [{"url": ORDINAL, "valueDecimal": value}],
                }
            }
        else:
            answer = {"valueInteger": value}
        items.append({"linkId": str(n), "answer": [answer]})
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{LOINC}/q/{loinc}",
        "status": "completed",
        "subject": {"reference": pid},
        "authored": when,
        "item": items,
    }


def patient_entries(rng: random.Random, i: int) -> list[dict[str, Any]]:
    """The resources of one simulated patient (about a dozen entries)."""
    pid = f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"
    born = date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 55))
    seen = date(2026, 1, 5) + timedelta(days=rng.randint(0, 300))
    when = f"{seen.isoformat()}T09:{rng.randint(0, 59):02d}:00-08:00"
    zip5 = rng.choice(ZIPS)
    sex = rng.choice("FM")
    patient = {
        "resourceType": "Patient",
        "extension": [
            {
                "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
                "extension": [{"url": "text", "valueString": "Unknown"}],
            },
            {
                "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
                "valueCode": sex,
            },
        ],
        "identifier": [
            {
                "type": {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
                    ]
                },
                "system": "urn:oid:1.2.840.114350.1.13.0.1.7.5.737384.14",
                "value": f"B{i:08d}",
            }
        ],
        "name": [{"use": "official", "family": f"Simulated{i}", "given": ["Pat"]}],
        "telecom": [{"system": "phone", "value": f"555-{rng.randint(0, 9999):04d}"}],
        "gender": "female" if sex == "F" else "male",
        "birthDate": born.isoformat(),
        "address": [
            {
                "use": "home",
                "line": [f"{rng.randint(1, 999)} Simulated St"],
                "city": "Simulated",
                "state": STATES.get(zip5[:2], "NH"),
                "postalCode": zip5,
                "country": "US",
            }
        ],
    }
    pcl5 = [rng.randint(0, 4) for _ in range(20)]
    phq9 = [rng.randint(0, 3) for _ in range(8)] + [rng.choice((0, 0, 0, 1))]
    bp = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
        "subject": {"reference": pid},
        "effectiveDateTime": when,
        "component": [
            {
                "code": {"coding": [{"system": LOINC, "code": code}]},
                "valueQuantity": {"value": v, "unit": "mm[Hg]", "system": UCUM, "code": "mm[Hg]"},
            }
            for code, v in (("8480-6", rng.randint(100, 160)), ("8462-4", rng.randint(60, 100)))
        ],
    }
    resources: list[dict[str, Any]] = [
        patient,
        _qr(pid, when, "101697-1", pcl5, coded=True),
        _qr(pid, when, "44249-1", phq9, coded=False),
        bp,
        _obs(pid, when, "8867-4", "vital-signs", rng.randint(55, 110), "/min", "/min"),
        _obs(pid, when, "29463-7", "vital-signs", rng.randint(110, 260), "lb", "[lb_av]"),
        _obs(pid, when, "1988-5", "laboratory", round(rng.uniform(0.2, 12), 1), "mg/L", "mg/L"),
        _obs(pid, when, "2160-0", "laboratory", round(rng.uniform(0.6, 1.3), 2), "mg/dL", "mg/dL"),
    ]
    for icd, sct, text in [CONDITIONS[0], *rng.sample(CONDITIONS[1:], rng.randint(0, 2))]:
        resources.append(
            {
                "resourceType": "Condition",
                "clinicalStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                            "code": "active",
                        }
                    ]
                },
                "code": {
                    "coding": [{"system": ICD10, "code": icd}, {"system": SNOMED, "code": sct}],
                    "text": text,
                },
                "subject": {"reference": pid},
                "onsetDateTime": (seen - timedelta(days=rng.randint(30, 3000))).isoformat(),
            }
        )
    rx, name, mg = rng.choice(DRUGS)
    resources.append(
        {
            "resourceType": "MedicationStatement",
            "status": "active",
            "medicationCodeableConcept": {
                "coding": [{"system": RXNORM, "code": rx, "display": name}]
            },
            "subject": {"reference": pid},
            "effectivePeriod": {"start": (seen - timedelta(days=rng.randint(7, 400))).isoformat()},
            "dosage": [
                {
                    "doseAndRate": [
                        {"doseQuantity": {"value": mg, "unit": "mg", "system": UCUM, "code": "mg"}}
                    ]
                }
            ],
        }
    )
    entries = [{"fullUrl": pid, "resource": resources[0]}]
    for res in resources[1:]:
        ref = f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        entries.append({"fullUrl": ref, "resource": res})
    return entries


def bundle(patients: int, seed: int = 15) -> dict[str, Any]:
    """A ``collection`` Bundle of ``patients`` simulated patients (same seed, same Bundle)."""
    if patients < 1:
        raise ValueError(f"patients must be at least 1, got {patients}")
    rng = random.Random(seed)
    entries: list[dict[str, Any]] = []
    for i in range(patients):
        entries += patient_entries(rng, i)
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": "2026-12-01T12:00:00Z",
        "entry": entries,
    }


if __name__ == "__main__":
    json.dump(bundle(int(sys.argv[1]) if len(sys.argv) > 1 else 1000), sys.stdout)
