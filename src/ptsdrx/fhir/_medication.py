"""MedicationStatement / MedicationRequest <-> ``Medication``.

The drug is the RxNorm code when the vocabulary lists it, else the name (coding display,
text, or a contained ``Medication``) matched to the drug vocabulary. A name the vocabulary
does not know is kept as written, lower case, and reported: dropping an unknown drug
would hide it from every interaction rule, keeping it at least shows it.
"""

from __future__ import annotations

from typing import Any

from ptsdrx.fhir import _codes as c
from ptsdrx.fhir._facts import Facts
from ptsdrx.fhir._reader import Reader, code_in, codings, day, number, text_of
from ptsdrx.fhir._tables import tables
from ptsdrx.records import Medication, format_validation_error

_ENDED = {"completed", "stopped", "cancelled"}
_NOT_FACTS = {"entered-in-error", "not-taken", "draft", "unknown", "intended"}
_MASS = {"mg": 1.0, "g": 1000.0, "ug": 0.001, "mcg": 0.001}


def read_medication(r: Reader, facts: Facts, contained: dict[str, Any]) -> None:
    """Map a MedicationStatement or MedicationRequest (``contained``: resources by ``#id``)."""
    m = r.resource
    statement = m.get_resource_type() == "MedicationStatement"
    r.used("status", "intent", "category", "dateAsserted", "informationSource", "requester")
    r.used("contained", "reasonCode", "reasonReference")
    if m.status in _NOT_FACTS:
        r.unmapped("status", f"status {m.status!r}: not a medication taken")
        return
    concept = r.get("medicationCodeableConcept")
    ref = r.get("medicationReference")
    if concept is None and ref is not None:
        med = contained.get(str(ref.reference or ""))
        if med is None:
            r.unmapped("medicationReference", "reference to a Medication not in the Bundle")
            return
        concept = med.code
    name = _drug(r, concept)
    if name is None:
        return
    values: dict[str, Any] = {"name": name}
    rx = code_in(concept, c.RXNORM)
    if rx and rx.isdigit() and len(rx) <= 8:
        values["rxnorm"] = rx
    if statement:
        period = r.get("effectivePeriod")
        start = period.start if period else r.get("effectiveDateTime")
        stop = period.end if period else None
        dosages = r.get("dosage") or ()
    else:
        start, stop = r.get("authoredOn"), None
        dosages = r.get("dosageInstruction") or ()
        r.used("dispenseRequest")
    values["start"], values["stop"] = day(start), day(stop)
    if m.status in _ENDED and values["stop"] is None:
        r.unmapped("status", f"{m.status} without an end date: left out (stop unknown)")
        return
    if dosages:
        _dosage(r, dosages[0], values, "dosage" if statement else "dosageInstruction")
        if len(dosages) > 1:
            r.unmapped("dosage[1:]", "only the first dosage is read")
    try:
        med = Medication(**values)
    except ValueError as exc:
        r.unmapped("", f"not a medication: {format_validation_error(exc)}")
        return
    facts.add("medications", med)
    for d in (med.start, med.stop):
        if d:
            facts.dates.append(d)


def _drug(r: Reader, concept: Any) -> str | None:
    rx = code_in(concept, c.RXNORM)
    found = c.drug_for_rxnorm(rx) if rx else None
    names = [d for _, _, d in codings(concept) if d]
    text = text_of(concept)
    names += [text] if text else []
    for n in names:
        found = found or c.drug_for_name(n)
    if found:
        return found
    if not names:
        r.unmapped("medication[x]", "no drug name or known RxNorm code: left out")
        return None
    r.unmapped(
        "medication[x]",
        f"{names[0]!r} is not in the drug vocabulary: kept as written, no class rule matches it",
    )
    return " ".join(names[0].lower().split())


def _dosage(r: Reader, dosage: Any, values: dict[str, Any], where: str) -> None:
    dr = dosage.doseAndRate[0] if dosage.doseAndRate else None
    q = dr.doseQuantity if dr is not None else None
    if q is not None:
        unit = q.code if q.system in (None, c.UCUM) and q.code else q.unit
        factor = _MASS.get(str(unit))
        if factor is None or number(q.value) is None:
            r.unmapped(f"{where}[0].doseAndRate", f"dose unit {unit!r} is not a mass: left out")
        else:
            values["dose_mg"] = round(number(q.value) * factor, 9)  # type: ignore[operator]
    elif dr is not None:
        r.unmapped(f"{where}[0].doseAndRate", "dose range or rate not read")
    if dosage.route is not None:
        route = tables().route(code_in(dosage.route, c.SNOMED) or "")
        if route is None and (text_of(dosage.route) or "").lower() == "other":
            route = "other"  # type: ignore[assignment]
        if route is None:
            r.unmapped(f"{where}[0].route", f"route {text_of(dosage.route)!r} not recognised")
        values["route"] = route
    timing = dosage.timing
    if timing is not None and timing.code is not None and text_of(timing.code):
        values["frequency"] = text_of(timing.code)
    elif timing is not None:
        r.unmapped(f"{where}[0].timing", "structured timing not read (only timing.code text)")
    if dosage.text and "frequency" not in values:
        r.unmapped(f"{where}[0].text", "free-text dosage instruction not read")


def write_medication(m: Medication, subject: str) -> dict[str, Any]:
    """The FHIR JSON of a MedicationStatement for ``m``."""
    out: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "status": "active" if m.stop is None else "completed",
        "subject": {"reference": subject},
        "medicationCodeableConcept": {"text": m.name},
    }
    if m.rxnorm:
        out["medicationCodeableConcept"]["coding"] = [{"system": c.RXNORM, "code": m.rxnorm}]
    period = {k: v.isoformat() for k, v in (("start", m.start), ("end", m.stop)) if v}
    if period:
        out["effectivePeriod"] = period
    dosage: dict[str, Any] = {}
    if m.dose_mg is not None:
        dosage["doseAndRate"] = [
            {"doseQuantity": {"value": m.dose_mg, "unit": "mg", "system": c.UCUM, "code": "mg"}}
        ]
    if m.route is not None:
        code = tables().route_code(m.route)
        coding = [{"system": c.SNOMED, "code": code}] if code else []
        dosage["route"] = {"coding": coding, "text": m.route} if coding else {"text": m.route}
    if m.frequency is not None:
        dosage["timing"] = {"code": {"text": m.frequency}}
    if dosage:
        out["dosage"] = [dosage]
    return out
