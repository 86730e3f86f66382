"""The clinical vocabulary: conditions with their codes, drugs with their names and classes.

Records arrive as an EHR holds them: diagnoses as ICD-10-CM or SNOMED CT codes, medications
as a clinician writes them ("Lithobid 300 mg", "phenelzine sulfate"). This package maps both
onto the ids screening rules and features read, from data files with their sources
(``vocabulary/data/``), so a rule never silently misses a patient because of spelling.

Examples
--------
>>> from ptsdrx.vocabulary import condition_for_code, drug_classes, drug_for_name
>>> condition_for_code("icd10cm", "F31.81")
'bipolar_ii'
>>> drug_for_name("Nardil"), "phenelzine" in drug_classes()["maoi"].members
('phenelzine', True)
"""

from ptsdrx.vocabulary._conditions import (
    SYSTEMS,
    CodeSystem,
    ConditionEntry,
    broader,
    condition_for_code,
    condition_for_icd10,
    condition_status,
    conditions,
    icd10_codes,
    narrower,
)
from ptsdrx.vocabulary._drugs import (
    Drug,
    DrugClass,
    drug_classes,
    drug_for_name,
    drug_for_rxnorm,
    drugs,
    name_keys,
    normalise_name,
)

__all__ = [
    "SYSTEMS",
    "CodeSystem",
    "ConditionEntry",
    "Drug",
    "DrugClass",
    "broader",
    "condition_for_code",
    "condition_for_icd10",
    "condition_status",
    "conditions",
    "drug_classes",
    "drug_for_name",
    "drug_for_rxnorm",
    "drugs",
    "icd10_codes",
    "name_keys",
    "narrower",
    "normalise_name",
]
