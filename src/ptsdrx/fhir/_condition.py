"""Condition <-> ``Diagnosis``: ICD-10-CM and SNOMED CT codes to the conditions vocabulary.

``clinicalStatus`` active/recurrence/relapse is *current*, inactive/remission/resolved is
*past*; ``verificationStatus`` refuted is *absent* (assessed and ruled out). A Condition
without either status is not guessed: it is reported.
"""

from __future__ import annotations

import re
from typing import Any

from ptsdrx.fhir import _codes as c
from ptsdrx.fhir._facts import Facts
from ptsdrx.fhir._reader import Reader, code_in, codings, day
from ptsdrx.records import Condition, Diagnosis, format_validation_error

_CURRENT = {"active", "recurrence", "relapse"}
_PAST = {"inactive", "remission", "resolved"}
_SCTID = re.compile(r"^\d{6,18}$")
_ICD = re.compile(r"^([A-TV-Z]\d{2})\.?([0-9A-Z]{0,4})$")


def icd10_dotted(code: str) -> str | None:
    """``F4310`` or ``F43.10`` as ``F43.10``; ``None`` when not an ICD-10 code."""
    m = _ICD.match(code.strip().upper())
    if m is None:
        return None
    return m.group(1) + (f".{m.group(2)}" if m.group(2) else "")


def read_condition(r: Reader, facts: Facts) -> None:
    """Map a Condition into a ``Diagnosis`` (or report it)."""
    cond = r.resource
    r.used("code", "clinicalStatus", "verificationStatus", "category", "recordedDate")
    verification = code_in(cond.verificationStatus, c.CONDITION_VERIFICATION)
    clinical = code_in(cond.clinicalStatus, c.CONDITION_CLINICAL)
    if verification == "entered-in-error":
        r.unmapped("verificationStatus", "entered in error: not a fact")
        return
    if verification == "refuted":
        status = "absent"
    elif clinical in _CURRENT:
        status = "current"
    elif clinical in _PAST:
        status = "past"
    else:
        r.unmapped("clinicalStatus", f"clinical status {clinical!r}: current or past unknown")
        return
    if verification in ("provisional", "differential"):
        r.unmapped("verificationStatus", f"{verification} diagnosis imported as {status}")
    condition, icd10, snomed = _match(cond.code)
    if condition is None:
        shown = ", ".join(f"{s or '?'}|{code}" for s, code, _ in codings(cond.code)) or "no coding"
        r.unmapped("code", f"not in the conditions vocabulary ({shown})")
        return
    values: dict[str, Any] = {
        "condition": condition,
        "status": status,
        "icd10": icd10,
        "snomed": snomed,
    }
    onset = r.get("onsetDateTime")
    if onset is not None:
        values["onset"] = day(onset)
        if values["onset"] is None:
            r.unmapped("onsetDateTime", "partial onset date left out")
    notes = [n.text for n in r.get("note") or () if n.text]
    if notes:
        values["note"] = "\n".join(notes)
    try:
        d = Diagnosis(**values)
    except ValueError as exc:
        r.unmapped("code", f"not a diagnosis: {format_validation_error(exc)}")
        return
    facts.add("diagnoses", d)
    if d.onset:
        facts.dates.append(d.onset)


def _match(concept: Any) -> tuple[Condition | None, str | None, str | None]:
    icd10 = snomed = None
    found: str | None = None
    for system, code, _ in codings(concept):
        if system == c.CS_CONDITION and code in Condition.__members__:
            found = code
        elif system in (c.ICD10CM, c.ICD10):
            dotted = icd10_dotted(code)
            icd10 = icd10 or dotted
            found = found or (c.condition_for_code("icd10cm", dotted) if dotted else None)
        elif system == c.SNOMED:
            snomed = snomed or (code if _SCTID.match(code) else None)
            found = found or c.condition_for_code("snomed", code)
    return (Condition(found) if found else None), icd10, snomed


def write_condition(d: Diagnosis, subject: str) -> dict[str, Any]:
    """The FHIR JSON of a Condition for ``d`` (a coded-only diagnosis keeps only its codes)."""
    coding = [] if d.condition is None else [{"system": c.CS_CONDITION, "code": d.condition.value}]
    if d.snomed:
        coding.insert(0, {"system": c.SNOMED, "code": d.snomed})
    if d.icd10:
        coding.insert(0, {"system": c.ICD10CM, "code": d.icd10})
    code: dict[str, Any] = {"coding": coding}
    if d.condition is not None:
        code["text"] = d.condition.value.replace("_", " ")
    out: dict[str, Any] = {
        "resourceType": "Condition",
        "subject": {"reference": subject},
        "code": code,
    }
    if d.status == "absent":
        out["verificationStatus"] = _cc(c.CONDITION_VERIFICATION, "refuted")
    else:
        clinical = "active" if d.status == "current" else "inactive"
        out["clinicalStatus"] = _cc(c.CONDITION_CLINICAL, clinical)
        out["verificationStatus"] = _cc(c.CONDITION_VERIFICATION, "confirmed")
    if d.onset:
        out["onsetDateTime"] = d.onset.isoformat()
    if d.note:
        out["note"] = [{"text": d.note}]
    return out


def _cc(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}
