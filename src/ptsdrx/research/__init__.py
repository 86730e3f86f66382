"""De-identified research export (HIPAA Safe Harbor): Parquet tables ready for ``ptsdrx train``.

All 18 Safe Harbor identifier classes are handled (``docs/deidentification.md``): names,
contacts, record numbers and free text never leave the registry; ZIP codes (the identifier
store's ``postal_code``) become their first three digits (``000`` for the 17 restricted
prefixes); dates become years, or are shifted by a per-patient offset kept in a separate key
file; ages over 89 become 90; patient ids become keyed HMAC pseudonyms. A k-anonymity /
l-diversity report (pycanon) comes with every export, and patients in classes smaller than
``k`` can be suppressed.

>>> zip3("97201"), zip3("69201"), age_group(89), age_group(90)
('972', '000', '85-89', '90+')
"""

from ptsdrx.research._export import (
    QUASI_IDENTIFIERS,
    SENSITIVE,
    Anonymity,
    ResearchExport,
    anonymity,
    export_research,
)
from ptsdrx.research._safeharbor import (
    AGE_TOP,
    DateShifter,
    age_group,
    age_safe,
    pseudonym,
    restricted_zip3,
    zip3,
)
from ptsdrx.research._tables import TABLES, Column, dictionary_rows

__all__ = [
    "AGE_TOP",
    "QUASI_IDENTIFIERS",
    "SENSITIVE",
    "TABLES",
    "Anonymity",
    "Column",
    "DateShifter",
    "ResearchExport",
    "age_group",
    "age_safe",
    "anonymity",
    "dictionary_rows",
    "export_research",
    "pseudonym",
    "restricted_zip3",
    "zip3",
]
