"""List: a record section known to be empty (``emptyReason`` nilknown, e.g. no medications).

FHIR says "nothing known to be taken" with an empty List; ptsdrx reads it as the section
``[]`` (known empty), which is different from no List at all (unknown).
"""

from __future__ import annotations

from ptsdrx.fhir import _codes as c
from ptsdrx.fhir._facts import Facts
from ptsdrx.fhir._reader import Reader, code_in

SECTIONS = ("assessments", "diagnoses", "medications", "vitals", "biomarkers")
_LOINC_SECTIONS = {"10160-0": "medications", "11450-4": "diagnoses"}


def read_list(r: Reader, facts: Facts) -> None:
    """Map an empty List naming a section; a List with entries is reported."""
    lst = r.resource
    r.used("status", "mode", "code", "emptyReason", "date", "title")
    section = code_in(lst.code, c.CS_SECTION) or _LOINC_SECTIONS.get(
        code_in(lst.code, c.LOINC) or ""
    )
    reason = code_in(lst.emptyReason, c.LIST_EMPTY_REASON)
    if lst.entry or section not in SECTIONS or reason != "nilknown":
        r.used("entry")
        r.unmapped("", "only an empty List (emptyReason nilknown) naming a section is read")
        return
    facts.empty.add(section)
