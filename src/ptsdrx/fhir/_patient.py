"""Patient: identifiers and contact details to the identifier store, sex and place to the record.

Name, birth date, MRN, telecom and postal code are direct identifiers: they go to
``ptsdrx.registry.Identifiers`` (telecom to ``contact``, the first address's postal code to
``postal_code``) and never into the ``PatientRecord``. Street, city and district are not
stored and are reported. The record keeps the sex at birth (US Core birthsex extension, or
ptsdrx's own), the jurisdiction (country and state) and the age, which is derived from the
birth date at the record's ``as_of``.
"""

from __future__ import annotations

from typing import Any

from ptsdrx.fhir import _codes as c
from ptsdrx.fhir._facts import Facts
from ptsdrx.fhir._reader import Reader, code_in

EXT_SEX = f"{c.PTSDRX}/StructureDefinition/sex-at-birth"
_BIRTHSEX = {"F": "female", "M": "male"}
_COUNTRIES = {"US": "US", "USA": "US", "UNITED STATES": "US", "AU": "AU", "AUS": "AU"}
_COUNTRIES |= {"CA": "CA", "CAN": "CA", "GB": "GB", "GBR": "GB", "NZ": "NZ", "NZL": "NZ"}


def read_patient(r: Reader, facts: Facts) -> None:
    """Map a Patient resource into ``facts``."""
    p = r.resource
    for i, ident in enumerate(r.get("identifier") or ()):
        type_code = code_in(ident.type, c.V2_0203) if ident.type is not None else None
        if ident.system == c.PATIENT_ID and ident.value:
            facts.patient_id = ident.value
        elif type_code == "MR" and ident.value and facts.mrn is None:
            facts.mrn = ident.value
        else:
            kind = type_code or ident.system or "untyped"
            r.unmapped(
                f"identifier[{i}]",
                f"identifier ({kind}) not stored: the identifier store keeps one MRN",
            )
    names = r.get("name") or ()
    if names:
        chosen = next((n for n in names if n.use in ("official", "usual")), names[0])
        text = chosen.text or " ".join([*(chosen.given or ()), chosen.family or ""]).strip()
        facts.name = text or None
    if p.birthDate is not None:
        facts.birth_date = r.get("birthDate")
    for t in r.get("telecom") or ():
        if t.value:
            facts.contact.append(f"{t.system or 'contact'}: {t.value}")
    for i, a in enumerate(r.get("address") or ()):
        _address(r, facts, a, i)
    _sex(r, facts)


def _address(r: Reader, facts: Facts, a: Any, i: int) -> None:
    below_state = [name for name in ("line", "city", "district") if getattr(a, name)]
    if below_state:
        r.unmapped(
            f"address[{i}]",
            f"{', '.join(below_state)} not stored: the identifier store keeps the postal code",
        )
    if a.postalCode:
        if facts.postal_code is None:
            facts.postal_code = str(a.postalCode).strip()
        else:
            r.unmapped(
                f"address[{i}].postalCode", "postal code not stored: the first address's is kept"
            )
    if i > 0 or "jurisdiction" in facts.demographics:
        return
    country = _COUNTRIES.get(str(a.country or "").strip().upper())
    if country is None:
        if a.state or a.country:
            r.unmapped(f"address[{i}]", "country not recognised: jurisdiction left unknown")
        return
    state = str(a.state or "").strip().upper()
    ok = 2 <= len(state) <= 3 and state.isalpha()
    facts.demographics["jurisdiction"] = f"{country}-{state}" if ok else country
    if state and not ok:
        r.unmapped(f"address[{i}].state", "state is not a 2-3 letter code: country only")


def _sex(r: Reader, facts: Facts) -> None:
    for ext in r.resource.extension or ():
        if ext.url == EXT_SEX and ext.valueCode in ("female", "male", "intersex"):
            facts.demographics["sex"] = ext.valueCode
            r.used("gender")
            return
        if ext.url == c.US_CORE_BIRTHSEX and ext.valueCode in _BIRTHSEX:
            facts.demographics["sex"] = _BIRTHSEX[ext.valueCode]
            r.used("gender")
            return
    if r.resource.gender is not None:
        r.used("gender")
        r.unmapped(
            "gender",
            "administrative gender is not sex at birth: sex left unknown (send the US Core "
            "birthsex extension)",
        )


KNOWN_EXTENSIONS = (EXT_SEX, c.US_CORE_BIRTHSEX)
