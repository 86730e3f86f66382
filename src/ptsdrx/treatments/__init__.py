"""Treatment catalog: what each PTSD treatment is and how it is given.

Its protocol, burden, monitoring and regulatory status per jurisdiction (data in
``data/catalog.yaml``, FACTS.md §7–8).

Examples
--------
>>> from ptsdrx.treatments import get_treatment
>>> get_treatment("sertraline").availability("US").status
'approved'
>>> get_treatment("ibogaine").investigational
True
"""

from ptsdrx.treatments._catalog import (
    CONTROL_ARMS,
    TREATMENT_IDS,
    AccessStatus,
    CatalogError,
    MonitoringItem,
    Protocol,
    RegulatoryStatus,
    Treatment,
    TreatmentBurden,
    catalog,
    get_treatment,
    load_catalog,
)

__all__ = [
    "CONTROL_ARMS",
    "TREATMENT_IDS",
    "AccessStatus",
    "CatalogError",
    "MonitoringItem",
    "Protocol",
    "RegulatoryStatus",
    "Treatment",
    "TreatmentBurden",
    "catalog",
    "get_treatment",
    "load_catalog",
]
